/*
 * mergepatch.h - JSON Merge Patch (RFC 7386).
 */
#ifndef CAPA_MERGEPATCH_H
#define CAPA_MERGEPATCH_H

#include <jansson.h>

/*
 * Apply patch to target and return the result as a new reference; neither
 * argument is modified (both borrowed). A non-object patch replaces the target
 * wholesale, as the RFC says. Returns NULL only when out of memory.
 */
json_t *mergepatch_apply(const json_t *target, const json_t *patch);

#endif
