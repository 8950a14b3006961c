/*
 * jsonshape.h - bounds on the shape of a request's JSON, whatever the
 * operation: how deep it nests and how long its member names are. Field
 * values have their own limits in each validator. Pure.
 */
#ifndef CAPA_JSONSHAPE_H
#define CAPA_JSONSHAPE_H

#include <jansson.h>
#include <stddef.h>

/* No capa body nests deeper than a root-cause fault tree needs. */
#define JSHAPE_MAX_DEPTH 32
/* No member name of a capa body is longer. */
#define JSHAPE_MAX_KEY 128

/*
 * ERR_OK when j nests at most JSHAPE_MAX_DEPTH levels (a scalar is level 0,
 * the members of the top object level 1) and every member name is at most
 * JSHAPE_MAX_KEY bytes; ERR_BAD_REQUEST with the reason in detail otherwise.
 */
int jshape_check(const json_t *j, char *detail, size_t detail_size);

#endif
