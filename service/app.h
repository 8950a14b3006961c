/*
 * app.h - the state shared by every request: configuration and the connection
 * pool. One instance lives in main(); the HTTP layer hands it to each
 * callback as ulfius user_data. No mutable globals elsewhere.
 */
#ifndef CAPA_APP_H
#define CAPA_APP_H

#include "config.h"
#include "store.h"

struct app {
    struct cfg cfg;
    struct store_pool *pool;
};

#endif
