/* record.c - validation of the records beneath a case (record.h). */
#include "record.h"

#include <stdio.h>
#include <string.h>

#include "case.h"
#include "chain.h"
#include "dtime.h"
#include "err.h"
#include "field.h"
#include "iso27001.h"
#include "mergepatch.h"
#include "uuid.h"

static const struct {
    const char *name;
    const char *event;
} kinds[REC__COUNT] = {
    [REC_CORRECTION] = {"correction", "capa.correction.recorded"},
    [REC_ROOT_CAUSE] = {"root_cause", "capa.rootcause.recorded"},
    [REC_ACTION] = {"action", "capa.action.created"},
    [REC_REVIEW] = {"review", "capa.review.scheduled"},
    [REC_ISMS_CHANGE] = {"isms_change", "capa.isms_change.recorded"},
    [REC_LINK] = {"link", "capa.link.added"},
    [REC_EVIDENCE] = {"evidence", "capa.evidence.added"},
    [REC_COMMENT] = {"comment", "capa.comment.added"},
    [REC_APPROVAL] = {"approval", "capa.approval.recorded"},
};

const char *
rec_kind_name(enum rec_kind k)
{
    return kinds[k].name;
}

const char *
rec_event_type(enum rec_kind k)
{
    return kinds[k].event;
}

/* ---- fields ---- */

enum ftype {
    F_TEXT,      /* one line */
    F_MULTILINE, /* free text */
    F_DATETIME,  /* RFC 3339 -> canonical */
    F_DATE,      /* YYYY-MM-DD */
    F_ENUM,      /* one of values */
    F_NAME,      /* lower-case identifier, e.g. an approval step */
    F_CASE_REF,  /* a case id or key (resolved by the use case) */
    F_CONTROL,   /* an Annex A control id such as A.8.8 (checked against the catalogue later) */
    F_IDS,       /* array of UUIDs (at most 50, unique) */
    F_PERSON,    /* free text, or a principal (case_person_decode) */
    F_ANY,       /* validated by the kind's own check */
};

/* How a field's value relates to time, and who writes it. */
enum fflag {
    FF_PAST = 1u,       /* F_DATETIME: when something was done (struct rec_when) */
    FF_FROM_TODAY = 2u, /* F_DATE: a due date, today or later */
    FF_SERVER = 4u,     /* written by the service: a request may not set or change it */
};

struct field {
    const char *name;
    enum ftype type;
    bool required;
    size_t max;
    const char *const *values; /* F_ENUM */
    unsigned flags;            /* enum fflag */
};

static void
enum_detail(const char *const *values, char *out, size_t size)
{
    size_t off = (size_t)snprintf(out, size, "must be one of:");
    for (int i = 0; values[i] && off < size; i++)
        off += (size_t)snprintf(out + off, size - off, "%s %s", i ? "," : "", values[i]);
}

static bool
in_values(const char *const *values, const char *s)
{
    for (; *values; values++)
        if (strcmp(*values, s) == 0)
            return true;
    return false;
}

static bool
date_valid(const char *s)
{
    char canon[DTIME_LEN];
    return strlen(s) == 10 && dtime_parse_date(s, canon) == ERR_OK;
}

static bool
name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* "A.<theme>.<number>": A.5.1 ... A.8.34 */
static bool
control_valid(const char *s)
{
    size_t theme, number;
    if (strncmp(s, "A.", 2) != 0)
        return false;
    s += 2;
    theme = strspn(s, "0123456789");
    if (theme < 1 || theme > 2 || s[theme] != '.')
        return false;
    s += theme + 1;
    number = strspn(s, "0123456789");
    return number >= 1 && number <= 3 && s[number] == '\0';
}

/* The time rules of struct rec_when for a value s (canonical) of f. */
static bool
check_time(const struct field *f, const char *s, const struct rec_when *when, json_t *j_errors)
{
    char detail[160];
    if ((f->flags & FF_PAST) && !case_time_past(s, when->now)) {
        snprintf(detail, sizeof detail, "must not be in the future: the service's clock says %.27s",
                 when->now);
        field_error_add(j_errors, f->name, "future", detail);
        return false;
    }
    if ((f->flags & FF_PAST) && strcmp(s, when->detected_at) < 0) {
        snprintf(detail, sizeof detail, "must not be before the case was detected (%.27s)",
                 when->detected_at);
        field_error_add(j_errors, f->name, "before_detection", detail);
        return false;
    }
    if ((f->flags & FF_FROM_TODAY) && strncmp(s, when->now, 10) < 0) {
        snprintf(detail, sizeof detail, "must be today (%.10s, UTC) or later", when->now);
        field_error_add(j_errors, f->name, "past", detail);
        return false;
    }
    return true;
}

/*
 * Validate one member into out (canonical). Its time rules apply when it is
 * new or changed from *was (NULL: new). Returns false after recording an error.
 */
static bool
decode_field(const struct field *f, const json_t *v, const json_t *was, const struct rec_when *when,
             json_t *out, json_t *j_errors)
{
    char detail[256], canon[DTIME_LEN];
    const char *s = NULL;

    if (f->type == F_ANY) {
        json_object_set(out, f->name, (json_t *)v);
        return true;
    }
    if (f->type == F_PERSON) {
        json_t *j_person = case_person_decode(v, f->name, j_errors);
        if (j_person != NULL)
            json_object_set_new(out, f->name, j_person);
        return j_person != NULL;
    }
    if (f->type == F_IDS) {
        size_t i;
        json_t *item;
        if (!json_is_array(v) || json_array_size(v) > 50) {
            field_error_add(j_errors, f->name, "type", "must be an array of at most 50 ids");
            return false;
        }
        json_array_foreach(v, i, item)
        {
            if (!uuid_valid(json_string_value(item))) {
                field_error_add(j_errors, f->name, "format", "every item must be a UUID");
                return false;
            }
            for (size_t k = 0; k < i; k++) {
                if (json_equal(json_array_get(v, k), item)) {
                    field_error_add(j_errors, f->name, "duplicate", "an id appears twice");
                    return false;
                }
            }
        }
        json_object_set(out, f->name, (json_t *)v);
        return true;
    }
    /* blank text is refused even in an optional member: leave it out (or null) instead */
    s = case_text_field(v, f->name, f->max ? f->max : REC_SHORT_MAX, f->type == F_MULTILINE, true,
                        j_errors);
    if (s == NULL)
        return false;
    switch (f->type) {
    case F_DATETIME:
        if (dtime_parse(s, canon) != ERR_OK) {
            field_error_add(j_errors, f->name, "format", "must be an RFC 3339 date-time");
            return false;
        }
        s = canon;
        break;
    case F_DATE:
        if (!date_valid(s)) {
            field_error_add(j_errors, f->name, "format", "must be a date YYYY-MM-DD");
            return false;
        }
        break;
    case F_ENUM:
        if (!in_values(f->values, s)) {
            enum_detail(f->values, detail, sizeof detail);
            field_error_add(j_errors, f->name, "enum", detail);
            return false;
        }
        break;
    case F_NAME:
        if (!name_valid(s)) {
            field_error_add(j_errors, f->name, "format",
                            "must be 1 to 63 lower-case letters, digits or '_'");
            return false;
        }
        break;
    case F_CASE_REF:
        if (!uuid_valid(s) && !case_key_valid(s)) {
            field_error_add(j_errors, f->name, "format", "must be a case id or key");
            return false;
        }
        break;
    case F_CONTROL:
        if (!control_valid(s)) {
            field_error_add(j_errors, f->name, "format",
                            "must be an ISO/IEC 27001:2022 Annex A control such as A.8.8");
            return false;
        }
        if (!iso_control_known(s)) {
            field_error_add(j_errors, f->name, "unknown",
                            "is not an ISO/IEC 27001:2022 Annex A control (see /v1/controls)");
            return false;
        }
        break;
    default:
        break;
    }
    json_t *j_value = json_string(s);
    if ((was == NULL || !json_equal(was, j_value)) && !check_time(f, s, when, j_errors)) {
        json_decref(j_value);
        return false;
    }
    json_object_set_new(out, f->name, j_value);
    return true;
}

/*
 * Decode j against fields: unknown members and missing required ones are
 * errors; null leaves an optional member out. current is the content j
 * changes (NULL for a create): members the service writes must be as they
 * are there, and time rules apply only to values new or changed from it.
 * Returns the content (new reference; partial when errors were recorded).
 */
static json_t *
decode_fields(const json_t *j, const struct field *fields, const json_t *current,
              const struct rec_when *when, json_t *j_errors)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;

    if (!json_is_object(j)) {
        field_error_add(j_errors, "", "type", "the request body must be a JSON object");
        return out;
    }
    json_object_foreach((json_t *)j, key, v)
    {
        const struct field *f = fields;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        const json_t *was = f->name ? json_object_get(current, f->name) : NULL;
        if (f->name == NULL)
            field_error_add(j_errors, key, "unknown", "is not a member of this record");
        else if ((f->flags & FF_SERVER) && (was == NULL || !json_equal(was, v)))
            field_error_add(j_errors, key, "read_only", "is set by the service");
        else if (!json_is_null(v))
            decode_field(f, v, was, when, out, j_errors);
    }
    for (const struct field *f = fields; f->name; f++) {
        const json_t *given = json_object_get(j, f->name);
        if (f->required && (given == NULL || json_is_null(given)))
            field_error_add(j_errors, f->name, "required", "is required");
    }
    return out;
}

static const char *
str(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

/* ---- kinds ---- */

static const char *const methods[] = {"five_whys", "fishbone", "fault_tree", "other", NULL};
static const char *const yes_no_unknown[] = {"yes", "no", "unknown", NULL};
static const char *const action_types[] = {"correction",  "corrective",  "preventive",
                                           "improvement", "isms_change", NULL};
static const char *const action_statuses[] = {"open", "in_progress", "done", "cancelled", NULL};

static int
index_of(const char *const *values, const char *s)
{
    for (int i = 0; s && values[i]; i++)
        if (strcmp(values[i], s) == 0)
            return i;
    return -1;
}

int
rec_action_type_from_text(const char *s)
{
    return index_of(action_types, s);
}

int
rec_action_status_from_text(const char *s)
{
    return index_of(action_statuses, s);
}
static const char *const verdicts[] = {"effective", "not_effective", NULL};
static const char *const isms_decisions[] = {"change", "none_needed", NULL};
static const char *const isms_types[] = {"policy", "control", "risk", "asset", "document", NULL};
static const char *const link_types[] = {"related_case", "recurrence_of", "duplicate_of", "control",
                                         NULL};
static const char *const decisions[] = {"approve", "reject", NULL};

static const struct field correction_fields[] = {
    {"description", F_MULTILINE, true, REC_TEXT_MAX, NULL, 0},
    {"performed_by", F_TEXT, true, 200, NULL, 0},
    {"performed_at", F_DATETIME, true, 64, NULL, FF_PAST},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field root_cause_fields[] = {
    {"method", F_ENUM, true, 32, methods, 0},
    {"analysis", F_ANY, true, 0, NULL, 0},
    {"root_cause", F_MULTILINE, true, REC_TEXT_MAX, NULL, 0},
    {"similar_exist", F_ENUM, true, 16, yes_no_unknown, 0},
    {"similar_where", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {"similar_cases", F_IDS, false, 0, NULL, 0},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field action_fields[] = {
    {"type", F_ENUM, true, 32, action_types, 0},
    {"title", F_TEXT, true, 200, NULL, 0},
    {"description", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {"assignee", F_PERSON, false, 200, NULL, 0},
    {"due_date", F_DATE, false, 64, NULL, FF_FROM_TODAY},
    {"status", F_ENUM, false, 16, action_statuses, 0},
    {"completion_note", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {"completed_at", F_DATETIME, false, 64, NULL, FF_PAST},
    {"completed_by", F_ANY, false, 0, NULL, FF_SERVER},
    {"reason", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {"cancelled_at", F_DATETIME, false, 64, NULL, FF_SERVER},
    {"cancelled_by", F_ANY, false, 0, NULL, FF_SERVER},
    {"external_refs", F_ANY, false, 0, NULL, 0},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field review_fields[] = {
    {"scheduled_for", F_DATE, true, 64, NULL, FF_FROM_TODAY},
    {"reviewer", F_PERSON, true, 200, NULL, 0},
    {"criteria", F_MULTILINE, true, REC_TEXT_MAX, NULL, 0},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field verdict_fields[] = {
    {"verdict", F_ENUM, true, 16, verdicts, 0},
    {"rationale", F_MULTILINE, true, REC_TEXT_MAX, NULL, 0},
    {"evidence", F_IDS, false, 0, NULL, 0},
    {"performed_at", F_DATETIME, false, 64, NULL, FF_PAST},
    {"early_reason", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field isms_fields[] = {
    {"decision", F_ENUM, true, 16, isms_decisions, 0},
    {"type", F_ENUM, false, 16, isms_types, 0},
    {"reference", F_TEXT, false, 200, NULL, 0},
    {"description", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {"justification", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field link_fields[] = {{"type", F_ENUM, true, 16, link_types, 0},
                                           {"target_case", F_CASE_REF, false, 64, NULL, 0},
                                           {"control", F_CONTROL, false, 16, NULL, 0},
                                           {NULL, 0, false, 0, NULL, 0}};

static const struct field comment_fields[] = {{"body", F_MULTILINE, true, REC_TEXT_MAX, NULL, 0},
                                              {NULL, 0, false, 0, NULL, 0}};

static const struct field approval_fields[] = {
    {"step", F_NAME, true, 63, NULL, 0},
    {"decision", F_ENUM, true, 16, decisions, 0},
    {"comment", F_MULTILINE, false, REC_TEXT_MAX, NULL, 0},
    {NULL, 0, false, 0, NULL, 0}};

static const struct field *const create_fields[REC__COUNT] = {
    [REC_CORRECTION] = correction_fields, [REC_ROOT_CAUSE] = root_cause_fields,
    [REC_ACTION] = action_fields,         [REC_REVIEW] = review_fields,
    [REC_ISMS_CHANGE] = isms_fields,      [REC_LINK] = link_fields,
    [REC_COMMENT] = comment_fields,       [REC_APPROVAL] = approval_fields,
};

/* A list of 1..max non-blank strings of at most 1000 characters. */
static bool
text_list(const json_t *v, const char *field, size_t max, json_t *j_errors)
{
    char name[96];
    size_t i;
    json_t *item;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > max) {
        snprintf(name, sizeof name, "must be an array of 1 to %zu texts", max);
        field_error_add(j_errors, field, "type", name);
        return false;
    }
    json_array_foreach(v, i, item)
    {
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        if (case_text_field(item, name, REC_SHORT_MAX, true, true, j_errors) == NULL)
            return false;
    }
    return true;
}

/* The structured analysis, validated per method. */
static void
check_analysis(const char *method, const json_t *a, json_t *j_errors)
{
    char name[96];
    size_t i;
    json_t *item;

    if (method == NULL || a == NULL)
        return;
    if (strcmp(method, "five_whys") == 0) {
        /* an ordered chain of why/because pairs */
        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 10) {
            field_error_add(j_errors, "analysis", "type",
                            "five_whys: an array of 1 to 10 {\"why\", \"because\"} steps");
            return;
        }
        json_array_foreach(a, i, item)
        {
            snprintf(name, sizeof name, "analysis[%zu]", i);
            if (!json_is_object(item) || json_object_size(item) != 2) {
                field_error_add(j_errors, name, "type",
                                "must be {\"why\": text, \"because\": text}");
                continue;
            }
            snprintf(name, sizeof name, "analysis[%zu].why", i);
            case_text_field(json_object_get(item, "why"), name, REC_SHORT_MAX, true, true,
                            j_errors);
            snprintf(name, sizeof name, "analysis[%zu].because", i);
            case_text_field(json_object_get(item, "because"), name, REC_SHORT_MAX, true, true,
                            j_errors);
        }
    } else if (strcmp(method, "fishbone") == 0) {
        /* categories, each with its causes */
        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 12) {
            field_error_add(j_errors, "analysis", "type",
                            "fishbone: an array of 1 to 12 {\"category\", \"causes\": [...]}");
            return;
        }
        json_array_foreach(a, i, item)
        {
            snprintf(name, sizeof name, "analysis[%zu]", i);
            if (!json_is_object(item) || json_object_size(item) != 2) {
                field_error_add(j_errors, name, "type",
                                "must be {\"category\": text, \"causes\": [text, ...]}");
                continue;
            }
            snprintf(name, sizeof name, "analysis[%zu].category", i);
            case_text_field(json_object_get(item, "category"), name, 200, false, true, j_errors);
            snprintf(name, sizeof name, "analysis[%zu].causes", i);
            text_list(json_object_get(item, "causes"), name, 20, j_errors);
        }
    } else if (strcmp(method, "fault_tree") == 0) {
        if (!json_is_object(a) || json_object_size(a) != 2) {
            field_error_add(j_errors, "analysis", "type",
                            "fault_tree: {\"top_event\": text, \"causes\": [text, ...]}");
            return;
        }
        case_text_field(json_object_get(a, "top_event"), "analysis.top_event", REC_SHORT_MAX, true,
                        true, j_errors);
        text_list(json_object_get(a, "causes"), "analysis.causes", 50, j_errors);
    } else {
        case_text_field(a, "analysis", REC_TEXT_MAX, true, true, j_errors);
    }
}

/* Checks across members, per kind. */
static void
check_content(enum rec_kind k, const json_t *c, json_t *j_errors)
{
    switch (k) {
    case REC_ROOT_CAUSE:
        check_analysis(str(c, "method"), json_object_get(c, "analysis"), j_errors);
        if (str(c, "similar_exist") && strcmp(str(c, "similar_exist"), "yes") == 0 &&
            str(c, "similar_where") == NULL &&
            json_array_size(json_object_get(c, "similar_cases")) == 0)
            field_error_add(j_errors, "similar_where", "required",
                            "where similar nonconformities exist or could occur is required when "
                            "similar_exist is yes (or give similar_cases)");
        break;
    case REC_ACTION: {
        const json_t *refs = json_object_get(c, "external_refs");
        json_decref(refs ? case_external_refs_decode(refs, j_errors) : NULL);
        const char *status = str(c, "status");
        if (status && strcmp(status, "done") == 0 && str(c, "completion_note") == NULL)
            field_error_add(j_errors, "completion_note", "required",
                            "a completion note is required to mark an action done");
        if (status && strcmp(status, "cancelled") == 0 && str(c, "reason") == NULL)
            field_error_add(j_errors, "reason", "required",
                            "a reason is required to cancel an action");
        break;
    }
    case REC_ISMS_CHANGE:
        if (str(c, "decision") && strcmp(str(c, "decision"), "change") == 0) {
            const char *need[] = {"type", "reference", "description"};
            for (int i = 0; i < 3; i++)
                if (str(c, need[i]) == NULL)
                    field_error_add(j_errors, need[i], "required",
                                    "is required for an ISMS change");
            if (str(c, "justification"))
                field_error_add(j_errors, "justification", "unexpected",
                                "belongs to a none_needed decision");
        } else if (str(c, "decision")) {
            if (str(c, "justification") == NULL)
                field_error_add(j_errors, "justification", "required",
                                "a decision that no ISMS change is needed must be justified");
            const char *none[] = {"type", "reference", "description"};
            for (int i = 0; i < 3; i++)
                if (str(c, none[i]))
                    field_error_add(j_errors, none[i], "unexpected",
                                    "belongs to an ISMS change, not to a none_needed decision");
        }
        break;
    case REC_LINK: {
        const char *type = str(c, "type");
        bool control = type && strcmp(type, "control") == 0;
        if (type && control && str(c, "control") == NULL)
            field_error_add(j_errors, "control", "required", "is required for a control link");
        if (type && !control && str(c, "target_case") == NULL)
            field_error_add(j_errors, "target_case", "required", "is required for a case link");
        if (type && control && str(c, "target_case"))
            field_error_add(j_errors, "target_case", "unexpected", "a control link names no case");
        if (type && !control && str(c, "control"))
            field_error_add(j_errors, "control", "unexpected", "a case link names no control");
        break;
    }
    case REC_APPROVAL:
        if (str(c, "decision") && strcmp(str(c, "decision"), "reject") == 0 &&
            str(c, "comment") == NULL)
            field_error_add(j_errors, "comment", "required", "a rejection needs a comment");
        break;
    default:
        break;
    }
}

int
rec_validate_create(enum rec_kind k, const json_t *j_body, const struct rec_when *when,
                    json_t **content, json_t *j_errors)
{
    int n_errors = (int)json_array_size(j_errors);
    *content = NULL;
    if (create_fields[k] == NULL) {
        field_error_add(j_errors, "", "unsupported", "this record is not created from JSON");
        return ERR_INVALID;
    }
    json_t *c = decode_fields(j_body, create_fields[k], NULL, when, j_errors);
    if (k == REC_ACTION) {
        /* an action starts open; its status moves by update only */
        if (json_object_get(c, "status") || json_object_get(c, "completion_note") ||
            json_object_get(c, "completed_at") || json_object_get(c, "reason"))
            field_error_add(j_errors, "status", "read_only",
                            "an action is created open; its status changes by an update");
        json_object_set_new(c, "status", json_string("open"));
    }
    if ((int)json_array_size(j_errors) == n_errors)
        check_content(k, c, j_errors);
    if ((int)json_array_size(j_errors) > n_errors) {
        json_decref(c);
        return ERR_INVALID;
    }
    *content = c;
    return ERR_OK;
}

/* open -> in_progress -> done | cancelled; open -> done | cancelled; in_progress -> open */
static bool
action_move_allowed(const char *from, const char *to)
{
    if (strcmp(from, to) == 0)
        return true;
    if (strcmp(from, "done") == 0 || strcmp(from, "cancelled") == 0)
        return false;
    return true;
}

/* The action's new content c after a move from -> to: when it was done, or cancelled. */
static const char *
action_update(const json_t *current, json_t *c, const struct rec_when *when, json_t *j_errors)
{
    const char *from = str(current, "status"), *to = str(c, "status");
    bool finished = from && (strcmp(from, "done") == 0 || strcmp(from, "cancelled") == 0);

    if (to == NULL) {
        field_error_add(j_errors, "status", "required", "an action always has a status");
        return "capa.action.updated";
    }
    if (!action_move_allowed(from, to)) {
        char detail[128];
        snprintf(detail, sizeof detail, "an action that is %s cannot become %s", from, to);
        field_error_add(j_errors, "status", "transition", detail);
        return "capa.action.updated";
    }
    if (finished) {
        if (!json_equal(current, c))
            field_error_add(j_errors, "status", "closed",
                            "a done or cancelled action cannot change");
        return "capa.action.updated";
    }
    if (strcmp(to, "done") == 0) {
        if (json_object_get(c, "completed_at") == NULL)
            json_object_set_new(c, "completed_at", json_string(when->now));
        return "capa.action.completed";
    }
    if (json_object_get(c, "completed_at") != NULL)
        field_error_add(j_errors, "completed_at", "unexpected",
                        "is given with the change of status to done");
    if (strcmp(to, "cancelled") == 0) {
        json_object_set_new(c, "cancelled_at", json_string(when->now));
        return "capa.action.cancelled";
    }
    return "capa.action.updated";
}

/* A verdict v on review current: when it was performed; early needs a reason. */
static void
verdict_update(const json_t *current, json_t *v, const struct rec_when *when, json_t *j_errors)
{
    char detail[160];
    if (json_object_get(v, "performed_at") == NULL)
        json_object_set_new(v, "performed_at", json_string(when->now));
    const char *performed = str(v, "performed_at"), *scheduled = str(current, "scheduled_for");
    bool early = performed && scheduled && strncmp(performed, scheduled, 10) < 0;
    if (early && str(v, "early_reason") == NULL) {
        snprintf(detail, sizeof detail,
                 "the verdict comes before the review's scheduled date %.10s: say why it is "
                 "given early",
                 scheduled);
        field_error_add(j_errors, "early_reason", "required", detail);
    } else if (!early && str(v, "early_reason") != NULL) {
        field_error_add(j_errors, "early_reason", "unexpected",
                        "belongs to a verdict given before the scheduled date");
    }
}

int
rec_validate_update(enum rec_kind k, const json_t *current, const json_t *j_patch,
                    const struct rec_when *when, json_t **content, const char **event_type,
                    json_t *j_errors)
{
    int n_errors = (int)json_array_size(j_errors);
    json_t *merged = NULL, *c = NULL;

    *content = NULL;
    *event_type = NULL;
    if (!json_is_object(j_patch)) {
        field_error_add(j_errors, "", "type", "the request body must be a JSON object");
        return ERR_INVALID;
    }
    switch (k) {
    case REC_ACTION:
        merged = mergepatch_apply(current, j_patch);
        c = decode_fields(merged, action_fields, current, when, j_errors);
        *event_type = action_update(current, c, when, j_errors);
        break;
    case REC_REVIEW:
        *event_type = "capa.review.recorded";
        if (json_object_get(current, "verdict") != NULL) {
            field_error_add(j_errors, "verdict", "recorded",
                            "this review's verdict is recorded; schedule a new review");
            break;
        }
        c = decode_fields(j_patch, verdict_fields, NULL, when, j_errors);
        if ((int)json_array_size(j_errors) == n_errors)
            verdict_update(current, c, when, j_errors);
        if ((int)json_array_size(j_errors) == n_errors) {
            json_t *with = json_deep_copy(current);
            json_object_update(with, c);
            json_decref(c);
            c = with;
        }
        break;
    case REC_ROOT_CAUSE:
        /* a new revision replaces the analysis; the old one stays in the log */
        c = decode_fields(j_patch, root_cause_fields, NULL, when, j_errors);
        *event_type = "capa.rootcause.recorded";
        break;
    default:
        return ERR_CONFLICT;
    }
    if ((int)json_array_size(j_errors) == n_errors)
        check_content(k, c, j_errors);
    json_decref(merged);
    if ((int)json_array_size(j_errors) > n_errors) {
        json_decref(c);
        return ERR_INVALID;
    }
    *content = c;
    return ERR_OK;
}

bool
rec_kind_writable_when_closed(enum rec_kind k)
{
    return k == REC_COMMENT || k == REC_LINK;
}

bool
rec_action_overdue(const json_t *content, const char *today)
{
    const char *status = str(content, "status"), *due = str(content, "due_date");
    return status && due && (strcmp(status, "open") == 0 || strcmp(status, "in_progress") == 0) &&
           strcmp(due, today) < 0;
}

bool
rec_filename_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return false;
    }
    return true;
}

bool
rec_media_type_valid(const char *s)
{
    size_t n = strlen(s), type = strcspn(s, "/");
    const char *token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+";
    if (n == 0 || n > 255 || type == 0 || type == n || strspn(s, token) != type)
        return false;
    size_t sub = strspn(s + type + 1, token);
    const char *rest = s + type + 1 + sub;
    if (sub == 0)
        return false;
    /* then nothing, or parameters after optional white space and ';' */
    rest += strspn(rest, " \t");
    if (*rest != '\0' && *rest != ';')
        return false;
    /* kept as JSON text and sent back as Content-Type: visible ASCII, space and tab only */
    for (; *rest; rest++)
        if ((*rest < 0x20 && *rest != '\t') || (unsigned char)*rest >= 0x7f)
            return false;
    return true;
}
