/* hex.h - hexadecimal digits, written once. */
#ifndef CAPA_HEX_H
#define CAPA_HEX_H

#include <stddef.h>

/* The value of the hex digit c (either case), or -1 when c is none. */
int hex_digit(int c);

/* The n bytes of bin as 2n lower-case hex digits and a NUL, into out (2n + 1 bytes). */
void hex_encode(const unsigned char *bin, size_t n, char *out);

#endif
