/* the domain reaching into the store by a path (the review's probe) */
#include "store/store.h"

int probe_domain_store_path;
