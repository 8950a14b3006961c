/* api calling the store instead of a use case */
#include "store.h"

int probe_api_store;
