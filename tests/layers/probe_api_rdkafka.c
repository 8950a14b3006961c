/* api using librdkafka, whose header is in /usr/include (the review's probe) */
#include <librdkafka/rdkafka.h>

int probe_api_rdkafka;
