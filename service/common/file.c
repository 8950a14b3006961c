/* file.c - reading a whole file (file.h). */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

int
file_read_all(const char *path, size_t max, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = 0;

    *data = NULL;
    *len = 0;
    if (f == NULL)
        return errno;
    /* one byte over max tells a file at the limit from a larger one */
    buf = mem_alloc(max + 2);
    n = fread(buf, 1, max + 1, f);
    if (ferror(f))
        rc = errno ? errno : EIO;
    else if (n > max)
        rc = EFBIG;
    fclose(f);
    if (rc != 0) {
        explicit_bzero(buf, max + 2);
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
