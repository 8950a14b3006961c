/* case.c - the case aggregate: validation, JSON form, key, due dates (case.h). */
#include "case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "field.h"
#include "iso27001.h"
#include "mem.h"
#include "mergepatch.h"

static const char *const kind_texts[CASE_KIND__COUNT] = {"nonconformity", "improvement"};
static const char *const severity_texts[CASE_SEV__COUNT] = {"major", "minor", "observation",
                                                            "none"};
static const char *const source_texts[CASE_SRC__COUNT] = {
    "internal_audit", "external_audit",  "certification_audit", "incident", "management_review",
    "monitoring",     "risk_assessment", "customer_complaint",  "supplier", "self_identified"};

static int
text_index(const char *const *texts, int n, const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(texts[i], s) == 0)
            return i;
    return -1;
}

const char *
case_kind_text(enum case_kind k)
{
    return kind_texts[k];
}

int
case_kind_from_text(const char *s)
{
    return text_index(kind_texts, CASE_KIND__COUNT, s);
}

const char *
case_severity_text(enum case_severity s)
{
    return severity_texts[s];
}

int
case_severity_from_text(const char *s)
{
    return text_index(severity_texts, CASE_SEV__COUNT, s);
}

const char *
case_source_text(enum case_source s)
{
    return source_texts[s];
}

int
case_source_from_text(const char *s)
{
    return text_index(source_texts, CASE_SRC__COUNT, s);
}

bool
case_severity_allowed(enum case_kind k, enum case_severity s)
{
    return k == CASE_KIND_IMPROVEMENT ? s == CASE_SEV_NONE : s != CASE_SEV_NONE;
}

void
case_record_cleanup(struct case_record *c)
{
    if (c == NULL)
        return;
    free(c->title);
    free(c->description);
    free(c->reported_by);
    free(c->owner);
    json_decref(c->j_owner);
    json_decref(c->j_tags);
    json_decref(c->j_clause_refs);
    json_decref(c->j_external_refs);
    json_decref(c->j_recurrences);
    memset(c, 0, sizeof *c);
}

/* Number of code points in valid UTF-8 (jansson guarantees validity). */
static size_t
utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* Control characters are refused; multi-line text may hold newlines and tabs. */
static bool
has_control(const char *s, bool multiline)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f) {
            if (multiline && (ch == '\n' || ch == '\r' || ch == '\t'))
                continue;
            return true;
        }
    }
    return false;
}

static bool
only_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

const char *
case_text_field(const json_t *j, const char *field, size_t max, bool multiline, bool required,
                json_t *j_errors)
{
    char detail[128];
    if (!json_is_string(j)) {
        field_error_add(j_errors, field, "type", "must be a string");
        return NULL;
    }
    const char *s = json_string_value(j);
    if (json_string_length(j) != strlen(s)) {
        field_error_add(j_errors, field, "format", "must not contain NUL characters");
        return NULL;
    }
    if (has_control(s, multiline)) {
        field_error_add(j_errors, field, "format", "must not contain control characters");
        return NULL;
    }
    if (required && only_blank(s)) {
        field_error_add(j_errors, field, "required", "must not be empty");
        return NULL;
    }
    if (utf8_length(s) > max) {
        snprintf(detail, sizeof detail, "must be at most %zu characters", max);
        field_error_add(j_errors, field, "too_long", detail);
        return NULL;
    }
    return s;
}

static int
enum_field(const json_t *j, const char *field, const char *const *texts, int n, json_t *j_errors)
{
    char detail[512];
    bool text = json_is_string(j) && json_string_length(j) == strlen(json_string_value(j));
    int v = text ? text_index(texts, n, json_string_value(j)) : -1;
    if (v < 0) {
        size_t off = (size_t)snprintf(detail, sizeof detail, "must be one of:");
        for (int i = 0; i < n && off < sizeof detail; i++)
            off += (size_t)snprintf(detail + off, sizeof detail - off, "%s %s", i ? "," : "",
                                    texts[i]);
        field_error_add(j_errors, field, json_is_string(j) ? "enum" : "type", detail);
    }
    return v;
}

static bool
tag_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CASE_TAG_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '-' || c == '_' || c == '.' || c == ':'));
        if (!ok)
            return false;
    }
    return true;
}

/* "8.1", "10.2", "A.5.15", "A.8.34": an optional "A.", then 1 to 4 dotted numbers. */
static bool
clause_ref_valid(const char *s)
{
    int parts = 0;
    if (strncmp(s, "A.", 2) == 0)
        s += 2;
    while (*s) {
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            s++;
            digits++;
        }
        if (digits == 0 || digits > 3)
            return false;
        parts++;
        if (*s == '.')
            s++;
        else if (*s != '\0')
            return false;
        else
            break;
    }
    return parts >= 1 && parts <= 4 && s[-1] != '.';
}

/*
 * A list of unique strings each passing valid(). Returns a new reference to a
 * copy, or NULL after recording errors.
 */
static json_t *
string_list_field(const json_t *j, const char *field, bool (*valid)(const char *),
                  const char *format_detail, json_t *j_errors)
{
    char name[96];
    size_t i;
    json_t *item;
    bool ok = true;

    if (!json_is_array(j)) {
        field_error_add(j_errors, field, "type", "must be an array of strings");
        return NULL;
    }
    if (json_array_size(j) > CASE_LIST_MAX) {
        field_error_add(j_errors, field, "too_many", "must have at most 50 items");
        return NULL;
    }
    json_array_foreach(j, i, item)
    {
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        if (!json_is_string(item) || json_string_length(item) != strlen(json_string_value(item))) {
            field_error_add(j_errors, name, "type", "must be a string");
            ok = false;
            continue;
        }
        if (!valid(json_string_value(item))) {
            field_error_add(j_errors, name, "format", format_detail);
            ok = false;
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            if (json_equal(json_array_get(j, k), item)) {
                field_error_add(j_errors, name, "duplicate", "appears more than once");
                ok = false;
                break;
            }
        }
    }
    return ok ? json_deep_copy(j) : NULL;
}

static bool
url_valid(const char *s)
{
    return (strncmp(s, "https://", 8) == 0 && s[8] != '\0') ||
           (strncmp(s, "http://", 7) == 0 && s[7] != '\0');
}

static bool
system_valid(const char *s)
{
    return tag_valid(s) && strlen(s) <= 50;
}

json_t *
case_person_decode(const json_t *j, const char *field, json_t *j_errors)
{
    char name[96];
    const char *key;
    json_t *v;

    if (!json_is_object(j)) {
        const char *s = case_text_field(j, field, CASE_PERSON_MAX, false, true, j_errors);
        return s ? json_string(s) : NULL;
    }
    int n_errors = (int)json_array_size(j_errors);
    json_object_foreach((json_t *)j, key, v)
    {
        snprintf(name, sizeof name, "%s.%.40s", field, key);
        if (strcmp(key, "kind") == 0) {
            const char *kind = json_string_value(v);
            if (kind == NULL || (strcmp(kind, "user") != 0 && strcmp(kind, "api_key") != 0))
                field_error_add(j_errors, name, "enum", "must be one of: user, api_key");
        } else if (strcmp(key, "subject") == 0) {
            case_text_field(v, name, 255, false, true, j_errors);
        } else if (strcmp(key, "name") == 0) {
            case_text_field(v, name, CASE_PERSON_MAX, false, true, j_errors);
        } else {
            field_error_add(j_errors, name, "unknown", "is not a member of a principal");
        }
    }
    static const char *const required[] = {"kind", "subject"};
    for (size_t i = 0; i < 2; i++) {
        if (json_object_get(j, required[i]) == NULL) {
            snprintf(name, sizeof name, "%s.%s", field, required[i]);
            field_error_add(j_errors, name, "required", "is required of a principal");
        }
    }
    return (int)json_array_size(j_errors) > n_errors ? NULL : json_deep_copy(j);
}

json_t *
case_external_refs_decode(const json_t *j, json_t *j_errors)
{
    char name[96];
    size_t i;
    json_t *item;
    bool ok = true;

    if (!json_is_array(j)) {
        field_error_add(j_errors, "external_refs", "type", "must be an array of objects");
        return NULL;
    }
    if (json_array_size(j) > CASE_LIST_MAX) {
        field_error_add(j_errors, "external_refs", "too_many", "must have at most 50 items");
        return NULL;
    }
    json_array_foreach(j, i, item)
    {
        const char *key;
        json_t *v;
        if (!json_is_object(item)) {
            snprintf(name, sizeof name, "external_refs[%zu]", i);
            field_error_add(j_errors, name, "type", "must be an object");
            ok = false;
            continue;
        }
        json_object_foreach(item, key, v)
        {
            snprintf(name, sizeof name, "external_refs[%zu].%.40s", i, key);
            if (strcmp(key, "system") == 0) {
                const char *s = case_text_field(v, name, 50, false, true, j_errors);
                if (s == NULL)
                    ok = false;
                else if (!system_valid(s)) {
                    field_error_add(j_errors, name, "format",
                                    "must be lower-case letters, digits, '-', '_', '.' or ':'");
                    ok = false;
                }
            } else if (strcmp(key, "key") == 0) {
                ok = case_text_field(v, name, 100, false, true, j_errors) != NULL && ok;
            } else if (strcmp(key, "url") == 0) {
                const char *s = case_text_field(v, name, 2000, false, true, j_errors);
                if (s == NULL)
                    ok = false;
                else if (!url_valid(s)) {
                    field_error_add(j_errors, name, "format", "must be an http or https URL");
                    ok = false;
                }
            } else {
                field_error_add(j_errors, name, "unknown", "is not a field of an external ref");
                ok = false;
            }
        }
        static const char *const required[] = {"system", "key"};
        for (size_t r = 0; r < 2; r++) {
            if (json_object_get(item, required[r]) == NULL) {
                snprintf(name, sizeof name, "external_refs[%zu].%s", i, required[r]);
                field_error_add(j_errors, name, "required", "is required");
                ok = false;
            }
        }
        for (size_t k = 0; ok && k < i; k++) {
            const json_t *o = json_array_get(j, k);
            if (json_equal(json_object_get(o, "system"), json_object_get(item, "system")) &&
                json_equal(json_object_get(o, "key"), json_object_get(item, "key"))) {
                snprintf(name, sizeof name, "external_refs[%zu]", i);
                field_error_add(j_errors, name, "duplicate", "system and key appear twice");
                ok = false;
            }
        }
    }
    return ok ? json_deep_copy(j) : NULL;
}

/* Fields a client may write, and fields that exist but only the service writes. */
static const char *const editable_fields[] = {"title",       "description",   "source", "severity",
                                              "detected_at", "reported_by",   "owner",  "tags",
                                              "clause_refs", "external_refs", NULL};
static const char *const read_only_fields[] = {"id",
                                               "key",
                                               "kind",
                                               "status",
                                               "version",
                                               "workflow_version",
                                               "created_at",
                                               "updated_at",
                                               "contain_due_at",
                                               "close_due_at",
                                               "contained_at",
                                               "closed_at",
                                               "overdue",
                                               "reopened_count",
                                               "recurrence_candidates",
                                               "cycle",
                                               "containment_performed_at",
                                               "readiness",
                                               NULL};

bool
case_in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static char *
dup_or_null(const char *s)
{
    return s ? mem_strdup(s) : NULL;
}

/*
 * Clause refs must name a clause or an Annex A control of ISO/IEC 27001:2022;
 * those in j_kept (the case's refs before a patch, NULL on create) stay
 * accepted as they were, so that an older case can still be edited.
 */
static void
check_refs_known(const json_t *j_refs, const json_t *j_kept, json_t *j_errors)
{
    char name[64];
    size_t i, k;
    json_t *item, *kept;

    json_array_foreach(j_refs, i, item)
    {
        bool known = iso_ref_known(json_string_value(item));
        json_array_foreach(j_kept, k, kept) known = known || json_equal(kept, item);
        if (known)
            continue;
        snprintf(name, sizeof name, "clause_refs[%zu]", i);
        field_error_add(j_errors, name, "unknown",
                        "is neither a clause of ISO/IEC 27001:2022 (4 to 10 and their "
                        "sub-clauses) nor an Annex A control (see /v1/controls)");
    }
}

/* Validate the editable fields of j into rec (kind already set); see check_refs_known. */
static int
decode_editable(const json_t *j, struct case_record *rec, const json_t *j_kept_refs,
                json_t *j_errors)
{
    const json_t *v;
    const char *s;
    int n_errors = (int)json_array_size(j_errors);

    s = (v = json_object_get(j, "title"))
            ? case_text_field(v, "title", CASE_TITLE_MAX, false, true, j_errors)
            : (field_error_add(j_errors, "title", "required", "is required"), NULL);
    rec->title = dup_or_null(s);

    v = json_object_get(j, "description");
    s = v ? case_text_field(v, "description", CASE_DESCRIPTION_MAX, true, false, j_errors) : "";
    rec->description = dup_or_null(s);

    if ((v = json_object_get(j, "source")) != NULL) {
        int src = enum_field(v, "source", source_texts, CASE_SRC__COUNT, j_errors);
        rec->source = src < 0 ? 0 : (enum case_source)src;
    } else {
        field_error_add(j_errors, "source", "required", "is required");
    }

    v = json_object_get(j, "severity");
    if (v == NULL && rec->kind == CASE_KIND_IMPROVEMENT) {
        rec->severity = CASE_SEV_NONE;
    } else if (v == NULL) {
        field_error_add(j_errors, "severity", "required", "is required");
    } else {
        int sev = enum_field(v, "severity", severity_texts, CASE_SEV__COUNT, j_errors);
        if (sev >= 0 && !case_severity_allowed(rec->kind, (enum case_severity)sev)) {
            field_error_add(j_errors, "severity", "enum",
                            rec->kind == CASE_KIND_IMPROVEMENT
                                ? "must be none for an improvement"
                                : "must be one of: major, minor, observation");
            sev = -1;
        }
        rec->severity = sev < 0 ? 0 : (enum case_severity)sev;
    }

    if ((v = json_object_get(j, "detected_at")) == NULL)
        field_error_add(j_errors, "detected_at", "required", "is required");
    else if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
             dtime_parse(json_string_value(v), rec->detected_at) != ERR_OK)
        field_error_add(j_errors, "detected_at", "format",
                        "must be an RFC 3339 date-time, e.g. 2026-11-29T08:30:00Z");
    else if (strcmp(rec->detected_at, CASE_DETECTED_AT_MAX) > 0) /* canonical text sorts */
        field_error_add(j_errors, "detected_at", "range",
                        "must be no later than 9989-12-31T23:59:59Z, so that its due dates exist");

    s = (v = json_object_get(j, "reported_by"))
            ? case_text_field(v, "reported_by", CASE_PERSON_MAX, false, true, j_errors)
            : (field_error_add(j_errors, "reported_by", "required", "is required"), NULL);
    rec->reported_by = dup_or_null(s);

    v = json_object_get(j, "owner");
    if (v != NULL && !json_is_null(v) &&
        (rec->j_owner = case_person_decode(v, "owner", j_errors))) {
        /* the text the list filters on: a principal's stable subject */
        const json_t *j_text =
            json_is_object(rec->j_owner) ? json_object_get(rec->j_owner, "subject") : rec->j_owner;
        rec->owner = dup_or_null(json_string_value(j_text));
    }

    v = json_object_get(j, "tags");
    rec->j_tags = v ? string_list_field(v, "tags", tag_valid,
                                        "must be 1 to 64 lower-case letters, digits, '-', '_', "
                                        "'.' or ':', starting with a letter or digit",
                                        j_errors)
                    : json_array();
    v = json_object_get(j, "clause_refs");
    rec->j_clause_refs = v ? string_list_field(v, "clause_refs", clause_ref_valid,
                                               "must be an ISO/IEC 27001 clause or Annex A "
                                               "reference such as 8.1 or A.5.15",
                                               j_errors)
                           : json_array();
    check_refs_known(rec->j_clause_refs, j_kept_refs, j_errors);
    v = json_object_get(j, "external_refs");
    rec->j_external_refs = v ? case_external_refs_decode(v, j_errors) : json_array();

    return (int)json_array_size(j_errors) > n_errors ? ERR_INVALID : ERR_OK;
}

/* Unknown and read-only members of a request object are errors. */
static void
check_members(const json_t *j, const char *const *allowed, json_t *j_errors)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        (void)v;
        if (case_in_list(allowed, key))
            continue;
        if (case_in_list(read_only_fields, key))
            field_error_add(j_errors, key, "read_only",
                            "is set by the service and cannot be written");
        else
            field_error_add(j_errors, key, "unknown", "is not a field of a case");
    }
}

int
case_input_decode(const json_t *j_body, struct case_record *rec, json_t *j_errors)
{
    static const char *const create_fields[] = {
        "kind",        "title", "description", "source",      "severity",      "detected_at",
        "reported_by", "owner", "tags",        "clause_refs", "external_refs", NULL};
    const json_t *v;
    int n_errors = (int)json_array_size(j_errors);

    if (!json_is_object(j_body)) {
        field_error_add(j_errors, "", "type", "the request body must be a JSON object");
        return ERR_INVALID;
    }
    check_members(j_body, create_fields, j_errors);
    if ((v = json_object_get(j_body, "kind")) == NULL) {
        field_error_add(j_errors, "kind", "required", "is required");
        rec->kind = CASE_KIND_NONCONFORMITY;
    } else {
        int k = enum_field(v, "kind", kind_texts, CASE_KIND__COUNT, j_errors);
        rec->kind = k < 0 ? CASE_KIND_NONCONFORMITY : (enum case_kind)k;
    }
    decode_editable(j_body, rec, NULL, j_errors);
    return (int)json_array_size(j_errors) > n_errors ? ERR_INVALID : ERR_OK;
}

json_t *
case_editable_json(const struct case_record *c)
{
    return json_pack("{s:s?, s:s?, s:s, s:s, s:s, s:s?, s:O?, s:O?, s:O?, s:O?}", "title", c->title,
                     "description", c->description, "source", case_source_text(c->source),
                     "severity", case_severity_text(c->severity), "detected_at", c->detected_at,
                     "reported_by", c->reported_by, "owner", c->j_owner, "tags", c->j_tags,
                     "clause_refs", c->j_clause_refs, "external_refs", c->j_external_refs);
}

static json_t *
ts_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

json_t *
case_to_json(const struct case_record *c)
{
    /* identity and state first, then what a client writes, then what is derived */
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "id", c->id, "key", c->key, "kind",
                          case_kind_text(c->kind), "status", c->status, "version", c->version,
                          "workflow_version", c->workflow_version);
    json_t *j_editable = case_editable_json(c);
    if (j == NULL || j_editable == NULL || json_object_update(j, j_editable) != 0) {
        json_decref(j);
        json_decref(j_editable);
        return NULL;
    }
    json_decref(j_editable);
    json_object_set_new(j, "created_at", ts_or_null(c->created_at));
    json_object_set_new(j, "updated_at", ts_or_null(c->updated_at));
    json_object_set_new(j, "contain_due_at", ts_or_null(c->contain_due_at));
    json_object_set_new(j, "close_due_at", ts_or_null(c->close_due_at));
    json_object_set_new(j, "contained_at", ts_or_null(c->contained_at));
    json_object_set_new(j, "containment_performed_at", ts_or_null(c->containment_performed_at));
    json_object_set_new(j, "closed_at", ts_or_null(c->closed_at));
    json_object_set_new(j, "overdue", json_boolean(c->overdue));
    json_object_set_new(j, "reopened_count", json_integer(c->reopened_count));
    json_object_set_new(j, "cycle", json_integer(c->cycle));
    json_object_set_new(j, "recurrence_candidates",
                        c->j_recurrences ? json_incref(c->j_recurrences) : json_array());
    return j;
}

json_t *
case_diff_json(const json_t *before, const json_t *after)
{
    json_t *j_diff = json_object();
    for (const char *const *f = editable_fields; *f; f++) {
        json_t *b = json_object_get(before, *f);
        json_t *a = json_object_get(after, *f);
        if ((a == NULL && b == NULL) || (a != NULL && b != NULL && json_equal(a, b)))
            continue;
        json_object_set_new(
            j_diff, *f,
            json_pack("{s:O, s:O}", "before", b ? b : json_null(), "after", a ? a : json_null()));
    }
    return j_diff;
}

int
case_patch(struct case_record *rec, const json_t *j_patch, json_t **j_diff, json_t *j_errors)
{
    json_t *j_before = NULL, *j_after = NULL;
    struct case_record next = {0};
    int n_errors = (int)json_array_size(j_errors);
    int rc = ERR_INVALID;

    *j_diff = NULL;
    if (!json_is_object(j_patch)) {
        field_error_add(j_errors, "", "type", "a merge patch of a case must be a JSON object");
        goto out;
    }
    check_members(j_patch, editable_fields, j_errors);
    if ((int)json_array_size(j_errors) > n_errors)
        goto out;
    j_before = case_editable_json(rec);
    j_after = mergepatch_apply(j_before, j_patch);
    if (j_before == NULL || j_after == NULL) {
        rc = ERR_INTERNAL;
        goto out;
    }
    next.kind = rec->kind;
    if (decode_editable(j_after, &next, rec->j_clause_refs, j_errors) != ERR_OK)
        goto out;
    /* the diff of the values as stored (canonical), not as the patch wrote them */
    json_decref(j_after);
    if ((j_after = case_editable_json(&next)) == NULL) {
        rc = ERR_INTERNAL;
        goto out;
    }
    *j_diff = case_diff_json(j_before, j_after);
    /* swap the editable fields in; the old ones leave with next */
#define SWAP(f)                                                                                    \
    do {                                                                                           \
        __typeof__(rec->f) t_ = rec->f;                                                            \
        rec->f = next.f;                                                                           \
        next.f = t_;                                                                               \
    } while (0)
    SWAP(title);
    SWAP(description);
    SWAP(reported_by);
    SWAP(owner);
    SWAP(j_owner);
    SWAP(j_tags);
    SWAP(j_clause_refs);
    SWAP(j_external_refs);
#undef SWAP
    rec->source = next.source;
    rec->severity = next.severity;
    memcpy(rec->detected_at, next.detected_at, DTIME_LEN);
    rc = ERR_OK;
out:
    case_record_cleanup(&next);
    json_decref(j_before);
    json_decref(j_after);
    return rc;
}

const char *
case_key_prefix(enum case_kind kind)
{
    return kind == CASE_KIND_IMPROVEMENT ? "OFI" : "NC";
}

int
case_key_format(enum case_kind kind, int year, int n, char out[CASE_KEY_LEN])
{
    if (year < 1900 || year > 9999 || n < 1 || n > 999999999)
        return ERR_INVALID;
    snprintf(out, CASE_KEY_LEN, "%s-%04d-%04d", case_key_prefix(kind), year, n);
    return ERR_OK;
}

bool
case_key_valid(const char *s)
{
    const char *p;
    size_t digits = 0;
    if (strncmp(s, "NC-", 3) == 0)
        p = s + 3;
    else if (strncmp(s, "OFI-", 4) == 0)
        p = s + 4;
    else
        return false;
    for (int i = 0; i < 4; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    if (p[4] != '-')
        return false;
    for (p += 5; *p; p++, digits++)
        if (*p < '0' || *p > '9')
            return false;
    return digits >= 4 && digits <= 9;
}

int
case_due_dates(struct case_record *c, int contain_days, int close_days)
{
    c->contain_due_at[0] = c->close_due_at[0] = '\0';
    if (contain_days >= 0 &&
        dtime_add_days(c->detected_at, contain_days, c->contain_due_at) != ERR_OK)
        return ERR_INVALID;
    if (close_days >= 0 && dtime_add_days(c->detected_at, close_days, c->close_due_at) != ERR_OK)
        return ERR_INVALID;
    return ERR_OK;
}

const char *
case_next_due(const struct case_record *c)
{
    if (c->closed_at[0])
        return "";
    if (!c->contained_at[0] && c->contain_due_at[0])
        return c->contain_due_at;
    return c->close_due_at;
}

bool
case_time_past(const char *t, const char *now)
{
    int64_t ts, ns;
    return dtime_to_unix(t, &ts) == ERR_OK && dtime_to_unix(now, &ns) == ERR_OK &&
           ts <= ns + CASE_CLOCK_SKEW_S;
}

int
case_check_detected(const struct case_record *c, const char *now, json_t *j_errors)
{
    char detail[160];
    if (case_time_past(c->detected_at, now))
        return ERR_OK;
    snprintf(detail, sizeof detail,
             "must not be in the future: the service's clock says %.27s (%d minutes of skew "
             "allowed)",
             now, CASE_CLOCK_SKEW_S / 60);
    field_error_add(j_errors, "detected_at", "future", detail);
    return ERR_INVALID;
}
