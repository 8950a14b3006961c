/* apikey_cmd.h - the `capad apikey` commands (apikey_cmd.c). */
#ifndef CAPA_APIKEY_CMD_H
#define CAPA_APIKEY_CMD_H

#include "app.h"

#define APIKEY_EXIT_USAGE 64
#define APIKEY_EXIT_UNAVAILABLE 69

/*
 * Run `capad apikey <argv...>` (argv[0] is the subcommand) with app's pool.
 * Returns the exit status.
 */
int apikey_command(struct app *app, int argc, char **argv);

#endif
