/* the event encoder reading the database */
#include "store.h"

int probe_events_store;
