/* query.c - validation of the case list query (query.h). */
#include "query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "chain.h"
#include "err.h"
#include "field.h"
#include "hex.h"
#include "mem.h"
#include "uuid.h"

static const char *const sort_texts[] = {"-created_at", "created_at", "due_date"};

const char *
case_sort_text(enum case_sort s)
{
    return sort_texts[s];
}

void
case_query_cleanup(struct case_query *q)
{
    if (q == NULL)
        return;
    json_decref(q->j_status);
    json_decref(q->j_kind);
    json_decref(q->j_severity);
    json_decref(q->j_source);
    free(q->owner);
    free(q->tag);
    free(q->clause_ref);
    free(q->text);
    free(q->control);
    memset(q, 0, sizeof *q);
}

static bool
state_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/*
 * A comma-separated list whose items pass valid (or, when valid is NULL, are
 * names of the enum in from_text). Returns a new array or NULL after an error.
 */
static json_t *
list_param(const char *name, const char *value, int (*from_text)(const char *),
           bool (*valid)(const char *), json_t *j_errors)
{
    char *copy = mem_strdup(value), *save = NULL, detail[160];
    json_t *j_list = json_array();
    int count = 0;

    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        bool ok = valid ? valid(tok) : from_text(tok) >= 0;
        if (!ok || ++count > 20) {
            snprintf(detail, sizeof detail,
                     "%.64s is not a valid value (a comma-separated list "
                     "of at most 20)",
                     tok);
            field_error_add(j_errors, name, "invalid", detail);
            json_decref(j_list);
            j_list = NULL;
            break;
        }
        json_array_append_new(j_list, json_string(tok));
    }
    if (j_list != NULL && json_array_size(j_list) == 0) {
        field_error_add(j_errors, name, "invalid", "must not be empty");
        json_decref(j_list);
        j_list = NULL;
    }
    free(copy);
    return j_list;
}

static char *
text_param(const char *name, const char *value, size_t max, json_t *j_errors)
{
    size_t n = strlen(value);
    if (n == 0 || n > max) {
        char detail[96];
        snprintf(detail, sizeof detail, "must be 1 to %zu characters", max);
        field_error_add(j_errors, name, "invalid", detail);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)value[i] < 0x20) {
            field_error_add(j_errors, name, "invalid", "must not contain control characters");
            return NULL;
        }
    }
    return mem_strdup(value);
}

static void
date_param(const char *name, const char *value, char out[DTIME_LEN], json_t *j_errors)
{
    if (dtime_parse_date(value, out) != ERR_OK)
        field_error_add(j_errors, name, "invalid",
                        "must be an RFC 3339 date-time or a date (YYYY-MM-DD)");
}

static bool
tag_like(const char *s)
{
    /* the same alphabet as tags; clause refs are checked by their own rule */
    size_t n = strlen(s);
    if (n == 0 || n > CASE_TAG_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':'))
            return false;
    }
    return true;
}

static bool
clause_like(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'A'))
            return false;
    return true;
}

bool
case_query_int(const char *s, long min, long max, long *out)
{
    size_t n = s ? strlen(s) : 0;
    /* 18 digits cannot overflow a long */
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return false;
    long v = strtol(s, NULL, 10);
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

static void
parse_one(const char *name, const char *value, struct case_query *q, json_t *j_errors)
{
    if (strcmp(name, "status") == 0) {
        q->j_status = list_param(name, value, NULL, state_name_valid, j_errors);
    } else if (strcmp(name, "kind") == 0) {
        q->j_kind = list_param(name, value, case_kind_from_text, NULL, j_errors);
    } else if (strcmp(name, "severity") == 0) {
        q->j_severity = list_param(name, value, case_severity_from_text, NULL, j_errors);
    } else if (strcmp(name, "source") == 0) {
        q->j_source = list_param(name, value, case_source_from_text, NULL, j_errors);
    } else if (strcmp(name, "owner") == 0) {
        q->owner = text_param(name, value, CASE_PERSON_MAX, j_errors);
    } else if (strcmp(name, "tag") == 0) {
        if (tag_like(value))
            q->tag = mem_strdup(value);
        else
            field_error_add(j_errors, name, "invalid", "is not a valid tag");
    } else if (strcmp(name, "clause_ref") == 0) {
        if (clause_like(value))
            q->clause_ref = mem_strdup(value);
        else
            field_error_add(j_errors, name, "invalid", "is not a valid clause reference");
    } else if (strcmp(name, "control") == 0) {
        if (strncmp(value, "A.", 2) == 0 && clause_like(value))
            q->control = mem_strdup(value);
        else
            field_error_add(j_errors, name, "invalid", "is not an Annex A control such as A.8.8");
    } else if (strcmp(name, "has_recurrence") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
            q->has_recurrence = strcmp(value, "true") == 0;
        else
            field_error_add(j_errors, name, "invalid", "must be true or false");
    } else if (strcmp(name, "q") == 0) {
        q->text = text_param(name, value, QUERY_TEXT_MAX, j_errors);
    } else if (strcmp(name, "overdue") == 0) {
        if (strcmp(value, "true") == 0)
            q->overdue = 1;
        else if (strcmp(value, "false") == 0)
            q->overdue = 0;
        else
            field_error_add(j_errors, name, "invalid", "must be true or false");
    } else if (strcmp(name, "created_after") == 0) {
        date_param(name, value, q->created_after, j_errors);
    } else if (strcmp(name, "created_before") == 0) {
        date_param(name, value, q->created_before, j_errors);
    } else if (strcmp(name, "detected_after") == 0) {
        date_param(name, value, q->detected_after, j_errors);
    } else if (strcmp(name, "detected_before") == 0) {
        date_param(name, value, q->detected_before, j_errors);
    } else if (strcmp(name, "sort") == 0) {
        int s = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(value, sort_texts[i]) == 0)
                s = i;
        if (s < 0)
            field_error_add(j_errors, name, "invalid",
                            "must be one of: -created_at, created_at, due_date");
        else
            q->sort = (enum case_sort)s;
    } else if (strcmp(name, "limit") == 0) {
        long v;
        if (!case_query_int(value, 1, QUERY_LIMIT_MAX, &v))
            field_error_add(j_errors, name, "invalid", "must be an integer from 1 to 200");
        else
            q->limit = (int)v;
    } else if (strcmp(name, "cursor") == 0) {
        if (cursor_decode(value, &q->after) != ERR_OK)
            field_error_add(j_errors, name, "invalid", "is not a cursor this service issued");
        else
            q->has_cursor = true;
    } else {
        field_error_add(j_errors, name, "unknown", "is not a query parameter of this endpoint");
    }
}

int
case_query_parse(const json_t *j_params, struct case_query *q, json_t *j_errors)
{
    const char *name;
    json_t *value;
    int n_errors = (int)json_array_size(j_errors);

    memset(q, 0, sizeof *q);
    q->overdue = -1;
    q->has_recurrence = -1;
    q->limit = QUERY_LIMIT_DEFAULT;
    json_object_foreach((json_t *)j_params, name, value)
    {
        if (!json_is_string(value))
            field_error_add(j_errors, name, "invalid", "must be text");
        else
            parse_one(name, json_string_value(value), q, j_errors);
    }
    if (q->has_cursor) {
        char canon[DTIME_LEN];
        bool key_ok = q->sort == CASE_SORT_DUE_ASC && strcmp(q->after.key, "infinity") == 0
                          ? true
                          : dtime_parse(q->after.key, canon) == ERR_OK;
        if (strcmp(q->after.sort, sort_texts[q->sort]) != 0 || !key_ok || !uuid_valid(q->after.id))
            field_error_add(j_errors, "cursor", "invalid",
                            "belongs to another sort order or is damaged");
    }
    return (int)json_array_size(j_errors) > n_errors ? ERR_BAD_REQUEST : ERR_OK;
}

/* Percent-decode in place ('+' is a space). Returns false on a bad escape or a NUL. */
static bool
url_decode(char *s)
{
    char *out = s;
    for (; *s; s++) {
        if (*s == '+') {
            *out++ = ' ';
        } else if (*s == '%') {
            int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            *out++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
    return true;
}

static bool
clean_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int
query_string_decode(const char *qs, const char *const *allowed, json_t **j_params, char *detail,
                    size_t detail_size)
{
    char *copy = NULL, *save = NULL;
    json_t *j = json_object();
    int rc = j ? ERR_OK : ERR_INTERNAL;

    *j_params = NULL;
    detail[0] = '\0';
    if (rc == ERR_OK && qs != NULL)
        copy = mem_strdup(qs);
    for (char *pair = copy ? strtok_r(copy, "&", &save) : NULL; pair && rc == ERR_OK;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *value = eq ? eq + 1 : pair + strlen(pair);
        if (eq)
            *eq = '\0';
        if (!url_decode(pair) || !url_decode(value) || !clean_text(pair) || !clean_text(value)) {
            snprintf(detail, detail_size,
                     "the query string has a bad escape or a control character");
        } else if (json_object_get(j, pair) != NULL) {
            snprintf(detail, detail_size, "query parameter %.64s is given more than once", pair);
        } else if (allowed != NULL && !case_in_list(allowed, pair)) {
            snprintf(detail, detail_size, "%.64s is not a query parameter of this endpoint", pair);
        } else {
            json_t *v = json_string(value); /* NULL: not valid UTF-8 */
            if (v == NULL || json_object_set_new(j, pair, v) != 0)
                snprintf(detail, detail_size, "the query string is not valid UTF-8");
        }
        if (detail[0])
            rc = ERR_BAD_REQUEST;
    }
    free(copy);
    if (rc != ERR_OK) {
        json_decref(j);
        return rc;
    }
    *j_params = j;
    return ERR_OK;
}
