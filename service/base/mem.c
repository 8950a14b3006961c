/* mem.c - allocations that end the process when memory is out (mem.h). */
#include "mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
mem_exhausted(size_t size)
{
    /* no allocation here: snprintf into the stack, one write(2) */
    char line[96];
    int n =
        snprintf(line, sizeof line,
                 "{\"level\":\"error\",\"msg\":\"out of memory allocating %zu bytes\"}\n", size);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        n = 0;
    abort();
}

void *
mem_alloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL && size > 0)
        mem_exhausted(size);
    return p;
}

void *
mem_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL && n > 0 && size > 0)
        mem_exhausted(n * size);
    return p;
}

void *
mem_realloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (q == NULL && size > 0)
        mem_exhausted(size);
    return q;
}

char *
mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

char *
mem_strndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        mem_exhausted(n + 1);
    return p;
}

void
mem_install_jansson(void)
{
    json_set_alloc_funcs(mem_alloc, free);
}
