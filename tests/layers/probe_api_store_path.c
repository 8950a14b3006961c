/* api reaching into the store by a path from service/ (the review's probe) */
#include "store/store.h"

int probe_api_store_path;
