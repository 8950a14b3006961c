/*
 * field.h - the per-field errors every validation records (the "errors" of a
 * 422 or 400 problem: {field, code, detail}), and text made safe to quote in
 * them. Pure: no I/O.
 */
#ifndef CAPA_FIELD_H
#define CAPA_FIELD_H

#include <jansson.h>

/*
 * Append one per-field error to j_errors (which may be NULL: then nothing).
 * field and detail may quote the request and be cut by snprintf inside a
 * UTF-8 sequence: bytes that are not valid UTF-8 are replaced by '?', so the
 * error is always recorded (a lost error would let invalid input through).
 */
void field_error_add(json_t *j_errors, const char *field, const char *code, const char *detail);

/*
 * Replace, in place, every byte of s that is not part of a valid UTF-8
 * sequence (as jansson defines it: no overlong forms, surrogates or code
 * points past U+10FFFF) by '?'. The length does not change.
 */
void field_utf8_repair(char *s);

#endif
