/*
 * embedded.h - files compiled into capad (cmake/embed.cmake): the migrations in
 * sql/ and openapi.yaml. Each table ends with an entry whose name is NULL; data
 * is NUL-terminated (size excludes the NUL).
 */
#ifndef CAPA_EMBEDDED_H
#define CAPA_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name;
    const char *data;
    size_t size;
};

/* sql/NNNN_name.sql, in file-name order */
extern const struct embedded_file capa_migrations[];
/* openapi.yaml */
extern const struct embedded_file capa_openapi[];

#endif
