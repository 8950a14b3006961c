/* api talking to PostgreSQL */
#include <libpq-fe.h>

int probe_api_libpq;
