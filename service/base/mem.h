/*
 * mem.h - capa's one out-of-memory policy: running out of memory ends the
 * process.
 *
 * A service that cannot allocate cannot answer correctly either, and every
 * write is a transaction: ending before the commit loses nothing that was
 * acknowledged, and the supervisor starts a fresh process. So allocations do
 * not fail: mem_alloc and its kin abort (after one line on stderr) when
 * malloc fails, and mem_install_jansson makes jansson allocate the same way,
 * so no caller checks for NULL after them or after a json_* constructor.
 * json_pack can still fail on a bad format or argument: check it.
 *
 * main (and every test and fuzz main that builds JSON) calls
 * mem_install_jansson once, before any other thread starts.
 */
#ifndef CAPA_MEM_H
#define CAPA_MEM_H

#include <stddef.h>

void mem_install_jansson(void);

/* malloc, calloc, realloc, strdup and strndup that never return NULL. */
void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);

/* Write one line on stderr and abort: out of memory (or an allocation too large). */
_Noreturn void mem_exhausted(size_t size);

#endif
