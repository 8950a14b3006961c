/*
 * server.h - the HTTP server: the route table and the ulfius instance.
 *
 *   api_server_start  bind, register every route, start serving
 *   api_server_stop   stop serving and release the instance
 */
#ifndef CAPA_SERVER_H
#define CAPA_SERVER_H

#include <ulfius.h>

#include "app.h"

#include <netinet/in.h>

struct api_server {
    struct _u_instance inst;
    struct sockaddr_in addr; /* borrowed by inst */
};

/*
 * Start serving app on port (the configured bind address). Returns 0, or
 * ERR_UNAVAILABLE when the port cannot be bound. Stop with api_server_stop.
 */
int api_server_start(struct app *app, unsigned port, struct api_server *srv);
void api_server_stop(struct api_server *srv);

#endif
