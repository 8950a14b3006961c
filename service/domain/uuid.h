/* uuid.h - random (version 4) UUIDs, and whether a text is a UUID. */
#ifndef CAPA_UUID_H
#define CAPA_UUID_H

#include <stdbool.h>

#define UUID_LEN 37 /* 36 characters and NUL */

/* A new random UUID, lower case. Returns 0, or ERR_INTERNAL if the random generator fails. */
int uuid_v4(char out[UUID_LEN]);
/* True when s is a UUID in canonical lower- or upper-case text form. */
bool uuid_valid(const char *s);

#endif
