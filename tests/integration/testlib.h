/*
 * testlib.h - what the integration tests read and assert of capa's answers,
 * written once: JSON members, problems and their field errors, and the
 * requests that walk a case through its workflow. Every function fails the
 * running cmocka test with a message when what it expects does not hold.
 *
 *   tl_str, tl_int          a member of a JSON object (NULL / 0 when absent)
 *   tl_assert_problem       a problem of a status and slug
 *   tl_has_field_error      whether a problem names a field with a code
 *   tl_assert_field_error   a 422 validation problem naming a field with a code
 *   tl_as                   send the next requests with another credential
 *   tl_create_case          create a case from a body, as the harness key
 *   tl_case, tl_case_version  read a case
 *   tl_post, tl_post_ok     POST a JSON body; the ok one returns the new record's id
 *   tl_move, tl_move_ok     a transition with the case's current ETag
 *   tl_move_refused         a transition refused (409) naming exactly these unmet guards
 *   tl_patch_action_ok      PATCH an action with its current ETag
 *   tl_today                the database's date today (UTC), YYYY-MM-DD
 *   tl_stderr_begin/_end    what this process (the server in it) writes to stderr
 *   tl_log_line             the log line of a request id and a message
 *   tl_sha256_hex           SHA-256 in hex, computed apart from the service's code
 */
#ifndef CAPA_TESTLIB_H
#define CAPA_TESTLIB_H

#include <jansson.h>
#include <stdbool.h>

#include "harness.h"

const char *tl_str(const json_t *j, const char *key);
json_int_t tl_int(const json_t *j, const char *key);

void tl_assert_problem(const struct http_resp *r, long status, const char *slug);
bool tl_has_field_error(const json_t *j_problem, const char *field, const char *code);
void tl_assert_field_error(const struct http_resp *r, const char *field, const char *code);

/* Requests from now on carry cred (an API key); NULL: the harness's own key again. */
void tl_as(struct harness *h, const char *cred);

/* Create a case from body (JSON text); copies its id (37 bytes). */
void tl_create_case(struct harness *h, const char *body, char id[37]);
/* GET /v1/cases/{id} (caller decrefs). */
json_t *tl_case(const struct harness *h, const char *id);
int tl_case_version(const struct harness *h, const char *id);

/* POST body to path with optional extra headers (NULL-terminated, or NULL); the status. */
long tl_post(const struct harness *h, const char *path, const char *body, const char *const *extra,
             struct http_resp *r);
/* POST a record of case_id under segment and expect 201; its id (caller frees). */
char *tl_post_ok(const struct harness *h, const char *case_id, const char *segment,
                 const char *body);
/* Move case_id to `to` (comment may be NULL) with its current ETag; the status. */
long tl_move(const struct harness *h, const char *case_id, const char *to, const char *comment,
             struct http_resp *r);
void tl_move_ok(const struct harness *h, const char *case_id, const char *to);
/* Moving case_id to `to` is refused (409) with exactly guards unmet (NULL-terminated). */
void tl_move_refused(const struct harness *h, const char *case_id, const char *to,
                     const char *const *guards);
void tl_patch_action_ok(const struct harness *h, const char *case_id, const char *action_id,
                        const char *patch);

/* The database's date today (UTC), into out. */
void tl_today(const struct harness *h, char out[11]);

/* Capture stderr (the in-process server's log) into a temporary file. */
struct tl_capture {
    int saved; /* the real stderr */
    int fd;    /* the file it goes to meanwhile */
};
void tl_stderr_begin(struct tl_capture *c);
/* Stop capturing; what was written (caller frees). */
char *tl_stderr_end(struct tl_capture *c);

/*
 * The first JSON log line of text whose "request_id" is request_id and whose
 * "msg" starts with msg_prefix (new reference), or NULL.
 */
json_t *tl_log_line(const char *text, const char *request_id, const char *msg_prefix);

/* The SHA-256 of len bytes as 64 lower-case hex digits and a NUL (GnuTLS, not capa's code). */
void tl_sha256_hex(const void *bytes, size_t len, char out[65]);

#endif
