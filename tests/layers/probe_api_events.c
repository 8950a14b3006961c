/* api publishing to Kafka itself */
#include "kafka.h"

int probe_api_events;
