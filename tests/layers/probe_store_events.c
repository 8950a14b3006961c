/* the store publishing events */
#include "kafka.h"

int probe_store_events;
