/*
 * tx.h - how a use case runs against the database (private to usecase/).
 *
 *   uc_run_tx    fn inside one transaction, retried (up to 3 attempts) on
 *                serialization failure or deadlock; fn must reset its outputs
 *                at the start of each attempt
 *   uc_run_read  fn on a pooled connection without an explicit transaction
 *                (single statements, or reads of append-only rows); retried
 *                once when the connection turned out to be lost
 */
#ifndef CAPA_TX_H
#define CAPA_TX_H

#include "app.h"

typedef int (*uc_fn)(struct store_conn *c, void *ctx);

int uc_run_tx(struct app *app, uc_fn fn, void *ctx);
int uc_run_read(struct app *app, uc_fn fn, void *ctx);

#endif
