/* file.h - reading a whole (small) file, written once. */
#ifndef CAPA_FILE_H
#define CAPA_FILE_H

#include <stddef.h>

/*
 * Read the file at path, at most max bytes, into a new NUL-terminated buffer
 * *data of *len bytes (caller frees; an empty file is read, *len 0). Returns
 * 0, or the errno of what failed: fopen's or fread's, EFBIG when the file has
 * more than max bytes. On failure *data is NULL and what was read is wiped
 * first (the file may hold a private key).
 */
int file_read_all(const char *path, size_t max, char **data, size_t *len);

#endif
