/*
 * record.h - the records beneath a case that clause 10.2 asks for:
 * corrections, the root-cause analysis, actions, effectiveness reviews, ISMS
 * changes, links, evidence, comments and approvals. Pure: no I/O.
 *
 * Each kind validates its request bodies into canonical content (a JSON
 * object: what is stored, what events carry). Checks that need the database
 * (a linked case or control exists) are the use case's.
 *
 *   rec_kind_name, rec_event_type
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

enum rec_action_type {
    REC_ACTION_CORRECTION,
    REC_ACTION_CORRECTIVE,
    REC_ACTION_PREVENTIVE,
    REC_ACTION_IMPROVEMENT,
    REC_ACTION_ISMS_CHANGE,
    REC_ACTION_TYPE__COUNT
};

enum rec_action_status {
    REC_ACTION_OPEN,
    REC_ACTION_IN_PROGRESS,
    REC_ACTION_DONE,
    REC_ACTION_CANCELLED,
    REC_ACTION_STATUS__COUNT
};

/* The enums of an action's "type" and "status" from their text, or -1. */
int rec_action_type_from_text(const char *s);
int rec_action_status_from_text(const char *s);

#define REC_TEXT_MAX 20000
#define REC_SHORT_MAX 1000

/* "correction", "root_cause", ... (the stored kind). */
const char *rec_kind_name(enum rec_kind k);

/* The event type of a create ("capa.correction.recorded", "capa.action.created", ...). */
const char *rec_event_type(enum rec_kind k);

/*
 * What the date rules of a write compare with. A time something was done
 * (a correction performed, an action completed, a review performed) lies
 * between the case's detection and now (CASE_CLOCK_SKEW_S of skew allowed);
 * a due date (an action's, a review's scheduled date) is today or later,
 * today being the date of now in UTC. Only values a write sets or changes
 * are checked: an action past its due date can still be worked.
 */
struct rec_when {
    const char *now;         /* the database's clock, canonical text */
    const char *detected_at; /* the case's detection, canonical text */
};

/*
 * Validate a create body. *content (new reference) is the canonical content:
 * known members only, defaults filled (an action starts "open"). Returns 0 or
 * ERR_INVALID with entries in j_errors. Evidence is not created from JSON
 * (its metadata comes from the upload): ERR_INVALID.
 */
int rec_validate_create(enum rec_kind k, const json_t *j_body, const struct rec_when *when,
                        json_t **content, json_t *j_errors);

/*
 * Validate a merge patch of current content (actions: fields and status;
 * reviews: the verdict; root cause: a new revision). *content is the new
 * content, *event_type the event it makes (for actions: updated, completed
 * or cancelled). An action made done gets completed_at (the patch's, or now),
 * one cancelled gets cancelled_at; a verdict gets performed_at (the patch's,
 * or now) and needs early_reason when it comes before the scheduled date.
 * Who did it (completed_by, cancelled_by, performed_by) is the caller's to
 * add: members the service sets are read-only to the patch. Kinds that cannot
 * be changed give ERR_CONFLICT.
 */
int rec_validate_update(enum rec_kind k, const json_t *current, const json_t *j_patch,
                        const struct rec_when *when, json_t **content, const char **event_type,
                        json_t *j_errors);

/* Whether records of a kind may still be added to a case in a terminal state (comments, links). */
bool rec_kind_writable_when_closed(enum rec_kind k);

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
