/*
 * b64url.h - base64url (RFC 4648 section 5) without padding, written once:
 * cursors, API keys and JWTs use it. Decoding is canonical: a character
 * outside the alphabet (padding and whitespace included), an impossible
 * length or a set unused bit is refused, so each byte string has one text.
 */
#ifndef CAPA_B64URL_H
#define CAPA_B64URL_H

#include <stddef.h>

/* The value of the base64url digit c, or -1. */
int b64url_digit(int c);

/* n bytes of in as text and a NUL into out, which holds 4 * ceil(n / 3) + 1 bytes. */
void b64url_encode(const unsigned char *in, size_t n, char *out);

/*
 * Decode the n characters at in into out (out_size bytes). Returns the
 * decoded length, or -1 when the text is not canonical base64url or out is
 * too small.
 */
long b64url_decode(const char *in, size_t n, unsigned char *out, size_t out_size);

#endif
