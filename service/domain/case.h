/*
 * case.h - the case aggregate: its fields, validation, JSON form, key and due
 * dates. Pure: no I/O.
 *
 *   case_kind_*, case_severity_*, case_source_*  enum <-> text
 *   case_record_cleanup     release what a record owns
 *   case_input_decode       validate a create body into a record
 *   case_patch              apply a JSON Merge Patch to a record's editable fields
 *   case_to_json            the full JSON representation
 *   case_editable_json      the editable fields only
 *   case_diff_json          before/after of each changed editable field
 *   case_key_format         NC-YYYY-NNNN / OFI-YYYY-NNNN
 *   case_key_valid          whether text has the form of a case key
 *   case_due_dates          contain-by and close-by from the SLA
 *
 * Validation failures are reported as per-field entries appended to a JSON
 * array j_errors: {"field": "...", "code": "...", "detail": "..."}.
 */
#ifndef CAPA_CASE_H
#define CAPA_CASE_H

#include <jansson.h>
#include <stdbool.h>

#include "chain.h"
#include "dtime.h"
#include "uuid.h"

enum case_kind { CASE_KIND_NONCONFORMITY, CASE_KIND_IMPROVEMENT, CASE_KIND__COUNT };

enum case_severity {
    CASE_SEV_MAJOR,
    CASE_SEV_MINOR,
    CASE_SEV_OBSERVATION,
    CASE_SEV_NONE, /* improvements only */
    CASE_SEV__COUNT
};

enum case_source {
    CASE_SRC_INTERNAL_AUDIT,
    CASE_SRC_EXTERNAL_AUDIT,
    CASE_SRC_CERTIFICATION_AUDIT,
    CASE_SRC_INCIDENT,
    CASE_SRC_MANAGEMENT_REVIEW,
    CASE_SRC_MONITORING,
    CASE_SRC_RISK_ASSESSMENT,
    CASE_SRC_CUSTOMER_COMPLAINT,
    CASE_SRC_SUPPLIER,
    CASE_SRC_SELF_IDENTIFIED,
    CASE_SRC__COUNT
};

#define CASE_KEY_LEN 24
#define CASE_STATUS_LEN 64
#define CASE_TITLE_MAX 200
#define CASE_DESCRIPTION_MAX 20000
#define CASE_PERSON_MAX 200
#define CASE_LIST_MAX 50 /* tags, clause refs, external refs */
#define CASE_TAG_MAX 64
/* The longest SLA a workflow may set, in days. */
#define CASE_SLA_DAYS_MAX 3650
/*
 * The latest detected_at accepted (canonical text): 3650 days later is still
 * before the year 10000, so every due date a workflow's SLA gives exists.
 */
#define CASE_DETECTED_AT_MAX "9989-12-31T23:59:59.999999Z"

/* Enum <-> text. *_from_text return -1 for unknown text. */
const char *case_kind_text(enum case_kind k);
int case_kind_from_text(const char *s);
const char *case_severity_text(enum case_severity s);
int case_severity_from_text(const char *s);
const char *case_source_text(enum case_source s);
int case_source_from_text(const char *s);
/* Whether a severity is allowed for a kind (improvements: none only). */
bool case_severity_allowed(enum case_kind k, enum case_severity s);

/*
 * One case. Strings are owned (heap) unless they are arrays; json arrays are
 * owned references. Text timestamps are canonical dtime text, "" when unset.
 */
struct case_record {
    char id[UUID_LEN];
    char key[CASE_KEY_LEN];
    enum case_kind kind;
    int workflow_id;
    int workflow_version;
    char status[CASE_STATUS_LEN];
    char *title;
    char *description;
    enum case_source source;
    enum case_severity severity;
    char detected_at[DTIME_LEN];
    char *reported_by;
    char *owner;     /* NULL: no owner yet; a principal owner: its subject */
    json_t *j_owner; /* the owner as given: a string, or a principal object; NULL: none */
    json_t *j_tags;
    json_t *j_clause_refs;
    json_t *j_external_refs;
    int version;
    char created_at[DTIME_LEN];
    char updated_at[DTIME_LEN];
    char contain_due_at[DTIME_LEN];
    char close_due_at[DTIME_LEN];
    char contained_at[DTIME_LEN];
    char closed_at[DTIME_LEN];
    bool overdue;
    int reopened_count;    /* reopenings: not-effective verdicts and reopening transitions */
    json_t *j_recurrences; /* earlier cases that look like recurrences (array) */
    int cycle;             /* 1, then one more after each reopening (workflow.h) */
    char containment_performed_at[DTIME_LEN]; /* the corrections' time, when it became contained */
};

/* Release what the record owns and zero it. Accepts a zeroed record. */
void case_record_cleanup(struct case_record *c);

/*
 * Validate a create request body and fill rec's editable fields and kind.
 * Unknown and read-only fields are errors; detected_at is from 1900 to
 * CASE_DETECTED_AT_MAX, so that case_due_dates succeeds for it with any SLA
 * from 0 to CASE_SLA_DAYS_MAX days. Returns 0, or ERR_INVALID with
 * entries appended to j_errors. rec must be zeroed; on error it may hold
 * partial content: clean it up in either case.
 */
int case_input_decode(const json_t *j_body, struct case_record *rec, json_t *j_errors);

/*
 * Apply a merge patch to rec's editable fields, validating the result as a
 * create would (kind fixed). Fields that exist but are not editable are
 * "read_only" errors; unknown fields "unknown". On success rec is updated and
 * *j_diff (new reference) holds case_diff_json of the change; returns 0, or
 * ERR_INVALID with j_errors filled and rec untouched.
 */
int case_patch(struct case_record *rec, const json_t *j_patch, json_t **j_diff, json_t *j_errors);

/* New reference; NULL only when out of memory. */
json_t *case_to_json(const struct case_record *c);
json_t *case_editable_json(const struct case_record *c);
/* {"field": {"before": x, "after": y}, ...} for the fields that differ. */
json_t *case_diff_json(const json_t *before, const json_t *after);

/* Format the n-th key of a year: "NC-2026-0042". Returns 0 or ERR_INVALID. */
int case_key_format(enum case_kind kind, int year, int n, char out[CASE_KEY_LEN]);
/* Prefix of a kind's keys: "NC" or "OFI". */
const char *case_key_prefix(enum case_kind kind);
bool case_key_valid(const char *s);

/*
 * Set contain_due_at / close_due_at from detected_at plus the SLA days (-1:
 * no deadline, leaves the field ""). Returns 0 or ERR_INVALID.
 */
int case_due_dates(struct case_record *c, int contain_days, int close_days);

/*
 * How far ahead of the service's clock (the database's now) a time that has
 * happened may lie: clocks of clients and servers differ by a little.
 */
#define CASE_CLOCK_SKEW_S 300
/*
 * Whether t (canonical text) has happened by now (canonical text): at most
 * CASE_CLOCK_SKEW_S seconds after it. False for text that is not canonical.
 */
bool case_time_past(const char *t, const char *now);
/*
 * A detection in the future is refused: 0, or ERR_INVALID with an error on
 * detected_at. now is the database's clock (canonical text).
 */
int case_check_detected(const struct case_record *c, const char *now, json_t *j_errors);

/* The next deadline: contain-by until contained, then close-by; "" when none. */
const char *case_next_due(const struct case_record *c);

/* Whether s is one of list (NULL-terminated). */
bool case_in_list(const char *const *list, const char *s);

/*
 * Validate a text member: a string without NUL or control characters
 * (multiline allows newlines and tabs), not blank when required, at most max
 * characters. Returns the string (borrowed from j) or NULL after recording an
 * error under field.
 */
const char *case_text_field(const json_t *j, const char *field, size_t max, bool multiline,
                            bool required, json_t *j_errors);

/*
 * A person a case or record names (an owner, an assignee, a reviewer): free
 * text (1 to CASE_PERSON_MAX characters, one line), or a principal
 * {"kind": "user" | "api_key", "subject": 1-255 characters, "name"?: text},
 * which segregation of duties compares by identity rather than spelling.
 * Returns a new reference to the canonical value, or NULL after recording an
 * error under field.
 */
json_t *case_person_decode(const json_t *j, const char *field, json_t *j_errors);

/*
 * external_refs: [{system, key, url?}] unique by (system, key). Returns a new
 * reference to a copy, or NULL after recording errors.
 */
json_t *case_external_refs_decode(const json_t *j, json_t *j_errors);

#endif
