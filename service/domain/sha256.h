/* sha256.h - SHA-256 of a buffer as lower-case hex (GnuTLS). */
#ifndef CAPA_SHA256_H
#define CAPA_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 65 /* 64 hex digits and NUL */

/* Fill out with the SHA-256 of buf. Returns 0, or ERR_INTERNAL if hashing fails. */
int sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN]);

#endif
