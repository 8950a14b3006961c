/*
 * query.h - the case list query: filters, sort and page, validated from the
 * query parameters of a request. Pure: no I/O.
 */
#ifndef CAPA_QUERY_H
#define CAPA_QUERY_H

#include <jansson.h>
#include <stdbool.h>

#include "cursor.h"
#include "dtime.h"

#define QUERY_LIMIT_MAX 200
#define QUERY_LIMIT_DEFAULT 50
#define QUERY_TEXT_MAX 200

enum case_sort { CASE_SORT_CREATED_DESC, CASE_SORT_CREATED_ASC, CASE_SORT_DUE_ASC };

struct case_query {
    json_t *j_status; /* arrays of strings, NULL: no filter */
    json_t *j_kind;
    json_t *j_severity;
    json_t *j_source;
    char *owner; /* NULL: no filter */
    char *tag;
    char *clause_ref;
    char *text;                    /* q */
    char *control;                 /* linked to this Annex A control */
    int has_recurrence;            /* -1: no filter, 0 or 1 */
    int overdue;                   /* -1: no filter, 0 or 1 */
    char created_after[DTIME_LEN]; /* "" : no bound */
    char created_before[DTIME_LEN];
    char detected_after[DTIME_LEN];
    char detected_before[DTIME_LEN];
    enum case_sort sort;
    int limit;
    bool has_cursor;
    struct cursor after; /* the last item of the previous page */
};

/*
 * Validate query parameters, given as a JSON object of name -> string (the
 * HTTP layer rejects repeated names before). Unknown names and bad values are
 * errors. Returns 0, or ERR_BAD_REQUEST with entries appended to j_errors.
 * Clean up q with case_query_cleanup in either case.
 */
int case_query_parse(const json_t *j_params, struct case_query *q, json_t *j_errors);

/*
 * A query string (what follows '?'; NULL: none) as a JSON object of name ->
 * value: pairs split at '&' and the first '=', percent-decoded with '+' as a
 * space. A bad escape, %00, a control character, invalid UTF-8, a repeated
 * name, or a name outside allowed (NULL-terminated; NULL allows any) is
 * ERR_BAD_REQUEST with the reason in detail. *j_params is a new reference
 * on success; ERR_INTERNAL when out of memory.
 */
int query_string_decode(const char *qs, const char *const *allowed, json_t **j_params, char *detail,
                        size_t detail_size);
void case_query_cleanup(struct case_query *q);
const char *case_sort_text(enum case_sort s);

/*
 * An integer query parameter: decimal digits only (no sign, space or
 * exponent, which strtol would take), from min to max (min >= 0). Returns
 * whether s is one; *out is set only then.
 */
bool case_query_int(const char *s, long min, long max, long *out);

#endif
