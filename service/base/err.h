/*
 * err.h - the one error type of capa.
 *
 * Every action returns an enum err; 0 is success. The codes, their names in
 * logs and the problem each is answered with are one table (err_table.h);
 * nothing else decides a status.
 */
#ifndef CAPA_ERR_H
#define CAPA_ERR_H

#include "err_table.h"

#define ERR_ENUM_MEMBER(code, name, status, slug, title, meaning) code,
enum err { ERR_TABLE(ERR_ENUM_MEMBER) ERR__COUNT };
#undef ERR_ENUM_MEMBER

/* Stable lower-case name of an error code, for logs. */
const char *err_name(int err);

/*
 * The whole table as a new JSON text (caller frees):
 * [{"code", "name", "status", "slug", "title", "meaning"}] in
 * code order, ERR_OK left out. `capad problems` prints it.
 */
char *err_table_text(void);

#endif
