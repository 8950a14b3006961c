/*
 * records.h - the records beneath a case that clause 10.2 asks for:
 * corrections, the root-cause analysis, actions, effectiveness reviews, ISMS
 * changes, links, evidence, comments and approvals. Pure: no I/O.
 *
 * Each kind validates its request bodies into canonical content (a JSON
 * object: what is stored, what events carry). Checks that need the database
 * (a linked case or control exists) are the use case's.
 *
 *   rec_kind_name, rec_kind_from_segment, rec_event_type
 *   rec_validate_create   a create body -> content
 *   rec_validate_update   a merge patch of the content -> new content, event type
 *   rec_action_overdue    whether an action is past due on a date
 */
#ifndef CAPA_RECORDS_H
#define CAPA_RECORDS_H

#include <jansson.h>
#include <stdbool.h>

enum rec_kind {
    REC_CORRECTION,
    REC_ROOT_CAUSE,
    REC_ACTION,
    REC_REVIEW,
    REC_ISMS_CHANGE,
    REC_LINK,
    REC_EVIDENCE,
    REC_COMMENT,
    REC_APPROVAL,
    REC__COUNT
};

#define REC_TEXT_MAX 20000
#define REC_SHORT_MAX 1000

/* "correction", "root_cause", ... (the stored kind). */
const char *rec_kind_name(enum rec_kind k);
/* The kind whose path segment under /v1/cases/{id}/ this is ("corrections", "root-cause"...), or
 * -1. */
int rec_kind_from_segment(const char *segment);
const char *rec_kind_segment(enum rec_kind k);

/* The event type of a create ("capa.correction.recorded", "capa.action.created", ...). */
const char *rec_event_type(enum rec_kind k);

/*
 * Validate a create body. *content (new reference) is the canonical content:
 * known members only, defaults filled (an action starts "open"). Returns 0 or
 * ERR_INVALID with entries in j_errors. Evidence is not created from JSON
 * (its metadata comes from the upload): ERR_INVALID.
 */
int rec_validate_create(enum rec_kind k, const json_t *j_body, json_t **content, json_t *j_errors);

/*
 * Validate a merge patch of current content (actions: fields and status;
 * reviews: the verdict; root cause: a new revision). *content is the new
 * content, *event_type the event it makes (for actions: updated, completed
 * or cancelled). Kinds that cannot be changed give ERR_CONFLICT.
 */
int rec_validate_update(enum rec_kind k, const json_t *current, const json_t *j_patch,
                        json_t **content, const char **event_type, json_t *j_errors);

/* Whether an action (content) is open or in progress with a due date before today (YYYY-MM-DD). */
bool rec_action_overdue(const json_t *content, const char *today);

/* A filename for evidence: 1-255 bytes, no path separators, no control characters, not "." or "..".
 */
bool rec_filename_valid(const char *s);
/*
 * A media type "type/subtype", then nothing or parameters after optional white
 * space and ';', at most 255 bytes of visible ASCII, space and tab.
 */
bool rec_media_type_valid(const char *s);

#endif
