/*
 * cursor.h - opaque keyset-pagination cursors.
 *
 * A cursor is base64url (no padding) of a small JSON object {"s": sort,
 * "k": sort key of the last item, "i": id of the last item}. Clients treat it
 * as opaque; the service validates every part when it comes back.
 */
#ifndef CAPA_CURSOR_H
#define CAPA_CURSOR_H

#include <stddef.h>

#define CURSOR_MAX 512 /* longest encoded cursor, with NUL */
#define CURSOR_FIELD_MAX 64

struct cursor {
    char sort[CURSOR_FIELD_MAX];
    char key[CURSOR_FIELD_MAX];
    char id[CURSOR_FIELD_MAX];
};

/* Returns 0, or ERR_INVALID when a field is too long. */
int cursor_encode(const struct cursor *c, char out[CURSOR_MAX]);
/* Returns 0, or ERR_BAD_REQUEST when text is not a cursor this service made. */
int cursor_decode(const char *text, struct cursor *c);

#endif
