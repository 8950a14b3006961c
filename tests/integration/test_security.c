/*
 * test_security.c - authentication and authorisation over real HTTP against a
 * real database (README "Authentication", openapi.yaml "Authentication and
 * roles"):
 *
 *   the role matrix    every operation x the five roles x no credential, from
 *                      a table written here from the documentation, which must
 *                      also equal capad's route table
 *   401s               every failed authentication answers the same bytes
 *   JWTs               tokens of an identity provider whose key the test made
 *   segregation        owners, assignees and raisers may not sign off a case
 *   delegates          Capa-On-Behalf-Of, and the history that records it
 *   idempotency        keys per principal
 *   API keys           names, revocation, last use, no secret in listings
 *   metrics            failed authentications counted by reason
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "harness.h"
#include "testlib.h"
#include "tjwt.h"
#include "usecase.h"
#include "apikey.h"

#define PROBLEMS "https://capa.example.org/problems/"
#define ISS "https://idp.example.org/realms/capa"
#define AUD "capa-api"
#define KID "capa-test-1"

static struct harness h;

/*
 * The matrix's principals: a key of each of the five roles, then nobody. The
 * roles are this test's own bits, by the names the documentation gives them.
 */
enum { P_VIEWER, P_REPORTER, P_CONTRIBUTOR, P_APPROVER, P_ADMIN, P_NOBODY };
#define N_ROLES P_NOBODY
static const char *const role_names[N_ROLES] = {"viewer", "reporter", "contributor", "approver",
                                                "admin"};
#define VIEWER (1u << P_VIEWER)
#define REPORTER (1u << P_REPORTER)
#define CONTRIBUTOR (1u << P_CONTRIBUTOR)
#define APPROVER (1u << P_APPROVER)
#define ADMIN (1u << P_ADMIN)
#define ALL (VIEWER | REPORTER | CONTRIBUTOR | APPROVER | ADMIN)
#define PUBLIC 0u
static char role_key[N_ROLES][APIKEY_LEN + 1];
static char approver_key[APIKEY_LEN + 1]; /* approvals and verdicts of fixtures */

/* JWTs: the identity provider's key pair, another pair under the same kid, the JWKS file. */
static jwk_t *idp_priv, *idp_pub, *evil_priv, *evil_pub;
static char jwks_path[64];

/* The body and WWW-Authenticate of the first 401: every other one must equal them. */
static char *unauth_body;
static char unauth_challenge[128];

static unsigned long n_requests; /* every request this program sent */

/* ---- requests ---------------------------------------------------------------------------- */

struct req {
    const char *method;
    char path[320];
    const char *content_type; /* with body */
    char *body;               /* malloc'd, or NULL: none */
    char if_match[32];        /* "": none */
    const char *extra;        /* one more header line, or NULL */
};

static void
req_cleanup(struct req *q)
{
    free(q->body);
    memset(q, 0, sizeof *q);
}

/* Send q with cred as the Bearer credential (NULL: no Authorization header at all). */
static long
send_as(const char *cred, const struct req *q, struct http_resp *r)
{
    char *auth = NULL, ct[96], im[48];
    const char *hd[5] = {NULL};
    int n = 0;

    if (cred == NULL)
        hd[n++] = "Authorization:";
    else if (asprintf(&auth, "Authorization: Bearer %s", cred) < 0)
        fail_msg("out of memory");
    else
        hd[n++] = auth;
    if (q->content_type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", q->content_type);
        hd[n++] = ct;
    }
    if (q->if_match[0]) {
        snprintf(im, sizeof im, "If-Match: %s", q->if_match);
        hd[n++] = im;
    }
    if (q->extra)
        hd[n++] = q->extra;
    n_requests++;
    long status = http_do(&h, q->method, q->path, hd, q->body, q->body ? strlen(q->body) : 0, r);
    free(auth);
    return status;
}

/* Send with a raw Authorization header line (or none: NULL), nothing else. */
static long
get_with_header(const char *authorization, const char *path, struct http_resp *r)
{
    const char *hd[] = {authorization ? authorization : "Authorization:", NULL};
    n_requests++;
    return http_do(&h, "GET", path, hd, NULL, 0, r);
}

static long
get_as(const char *cred, const char *path, struct http_resp *r)
{
    struct req q = {.method = "GET"};
    snprintf(q.path, sizeof q.path, "%s", path);
    return send_as(cred, &q, r);
}

/* POST a JSON body as cred, with one extra header line (or NULL). */
static long
post_as(const char *cred, const char *path, const char *body, const char *extra,
        struct http_resp *r)
{
    struct req q = {.method = "POST", .content_type = "application/json", .extra = extra};
    snprintf(q.path, sizeof q.path, "%s", path);
    q.body = strdup(body);
    long status = send_as(cred, &q, r);
    req_cleanup(&q);
    return status;
}

/* The 401 every failed authentication gets: same status, body bytes and challenge. */
static void
assert_unauthorized(const struct http_resp *r, const char *what)
{
    if (r->status != 401)
        fail_msg("%s: want 401, got %ld %s", what, r->status, r->body);
    tl_assert_problem(r, 401, "unauthorized");
    if (strncmp(r->www_authenticate, "Bearer", 6) != 0)
        fail_msg("%s: WWW-Authenticate is \"%s\"", what, r->www_authenticate);
    if (unauth_body == NULL) {
        unauth_body = strdup(r->body);
        snprintf(unauth_challenge, sizeof unauth_challenge, "%s", r->www_authenticate);
    }
    if (strcmp(r->body, unauth_body) != 0 || strcmp(r->www_authenticate, unauth_challenge) != 0)
        fail_msg("%s: a 401 unlike the others: %s / %s", what, r->body, r->www_authenticate);
}

/* A 403 forbidden whose required_roles are exactly roles. */
static void
assert_forbidden(const struct http_resp *r, unsigned roles, const char *what)
{
    size_t i;
    json_t *v;
    unsigned named = 0;
    if (r->status != 403)
        fail_msg("%s: want 403, got %ld %s", what, r->status, r->body);
    tl_assert_problem(r, 403, "forbidden");
    json_t *j_roles = json_object_get(r->j, "required_roles");
    if (!json_is_array(j_roles))
        fail_msg("%s: no required_roles in %s", what, r->body);
    json_array_foreach(j_roles, i, v)
    {
        for (int k = 0; k < N_ROLES; k++)
            if (json_string_value(v) && strcmp(json_string_value(v), role_names[k]) == 0)
                named |= 1u << k;
    }
    if (named != roles || json_array_size(j_roles) != (size_t)__builtin_popcount(roles))
        fail_msg("%s: required_roles %s, want the set 0x%x", what, r->body, roles);
}

/* ---- fixtures ------------------------------------------------------------------------------ */

/* An API key with roles (this test's bits) into key. */
static void
make_key(const char *name, unsigned roles, bool delegate, char key[APIKEY_LEN + 1])
{
    unsigned bits = 0;
    for (int k = 0; k < N_ROLES; k++)
        if (roles & (1u << k))
            bits |= ACCESS_ROLE_BIT(wf_role_from_text(role_names[k]));
    harness_apikey(&h, name, bits, delegate, key);
}

#define CORRECTION                                                                                 \
    "{\"description\":\"Blocked the exposed port\",\"performed_by\":\"ops-lead\","                 \
    "\"performed_at\":\"2026-11-21T09:00:00Z\"}"
#define ROOT_CAUSE                                                                                 \
    "{\"method\":\"five_whys\",\"analysis\":[{\"why\":\"Why open?\",\"because\":\"no expiry\"}],"  \
    "\"root_cause\":\"Rules carry no expiry\",\"similar_exist\":\"no\"}"
#define ACTION                                                                                     \
    "{\"type\":\"corrective\",\"title\":\"Give every rule an owner\",\"assignee\":\"ops-lead\","   \
    "\"due_date\":\"2099-03-31\"}"
#define REVIEW                                                                                     \
    "{\"scheduled_for\":\"2099-01-15\",\"reviewer\":\"internal-audit\","                           \
    "\"criteria\":\"No rule without an owner\"}"
/* the reviews are scheduled later than the matrix judges them: the verdicts say why */
#define VERDICT                                                                                    \
    "{\"verdict\":\"effective\",\"rationale\":\"every rule has an owner\","                        \
    "\"early_reason\":\"the auditor samples it now\"}"
#define ISMS_CHANGE                                                                                \
    "{\"decision\":\"change\",\"type\":\"policy\",\"reference\":\"POL-NET-04\","                   \
    "\"description\":\"Rules need an owner\"}"
#define LINK "{\"type\":\"control\",\"control\":\"A.8.8\"}"
#define COMMENT "{\"body\":\"Looked at it\"}"
#define APPROVAL "{\"step\":\"closure\",\"decision\":\"approve\"}"

/* Create a nonconformity as cred; copies its id. */
static void
create_case_as(const char *cred, const char *title, char id[37])
{
    struct http_resp r;
    char *body = harness_case_body(title, "minor");
    if (post_as(cred, "/v1/cases", body, NULL, &r) != 201)
        fail_msg("POST /v1/cases: %ld %s", r.status, r.body);
    snprintf(id, 37, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    free(body);
}

/* POST a record beneath case id as cred; copies the record's id (rid may be NULL). */
static void
add_record_as(const char *cred, const char *id, const char *segment, const char *body, char rid[37])
{
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/%s", id, segment);
    if (post_as(cred, path, body, NULL, &r) != 201)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    if (rid != NULL)
        snprintf(rid, 37, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
}

static void
add_record(const char *id, const char *segment, const char *body, char rid[37])
{
    add_record_as(strcmp(segment, "approvals") == 0 ? approver_key : h.key, id, segment, body, rid);
}

/* A case's current ETag. */
static void
case_etag(const char *id, char etag[32])
{
    struct http_resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    if (get_as(h.key, path, &r) != 200)
        fail_msg("GET %s: %ld", path, r.status);
    snprintf(etag, 32, "%.31s", r.etag);
    http_resp_cleanup(&r);
}

/* PATCH a case as the harness key (merge patch) with its current ETag. */
static void
patch_case(const char *id, const char *patch)
{
    struct http_resp r;
    struct req q = {.method = "PATCH", .content_type = "application/merge-patch+json"};
    snprintf(q.path, sizeof q.path, "/v1/cases/%s", id);
    case_etag(id, q.if_match);
    q.body = strdup(patch);
    if (send_as(h.key, &q, &r) != 200)
        fail_msg("PATCH %s %s: %ld %s", q.path, patch, r.status, r.body);
    http_resp_cleanup(&r);
    req_cleanup(&q);
}

/* The case-log actor of a case's event number seq (caller decrefs). */
static json_t *
history_actor(const char *id, int seq)
{
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/history", id);
    if (get_as(h.key, path, &r) != 200)
        fail_msg("GET %s: %ld", path, r.status);
    json_t *j_item = json_array_get(json_object_get(r.j, "items"), (size_t)seq - 1);
    json_t *j_actor = json_incref(json_object_get(j_item, "actor"));
    if (j_actor == NULL)
        fail_msg("no event %d in %s", seq, r.body);
    http_resp_cleanup(&r);
    return j_actor;
}

/* Move case id to state to as cred, with its current ETag. */
static void
move_as(const char *cred, const char *id, const char *to)
{
    struct http_resp r;
    struct req q = {.method = "POST", .content_type = "application/json"};
    snprintf(q.path, sizeof q.path, "/v1/cases/%s/transitions", id);
    case_etag(id, q.if_match);
    if (asprintf(&q.body, "{\"to\":\"%s\"}", to) < 0)
        fail_msg("out of memory");
    if (send_as(cred, &q, &r) != 200)
        fail_msg("move %s to %s: %ld %s", id, to, r.status, r.body);
    http_resp_cleanup(&r);
    req_cleanup(&q);
}

/*
 * Walk case id to verifying as clause 10.2 orders it: a correction, the root
 * cause, a corrective action done, a review scheduled. The ids of the
 * correction, the action and the review go to the ids given (each may be NULL).
 */
static void
walk_to_verifying(const char *id, char correction[37], char action[37], char review[37])
{
    char rid[37];
    struct http_resp r;
    struct req q = {.method = "PUT", .content_type = "application/json"};

    add_record(id, "corrections", CORRECTION, correction ? correction : rid);
    move_as(h.key, id, "contained");
    snprintf(q.path, sizeof q.path, "/v1/cases/%s/root-cause", id);
    q.body = strdup(ROOT_CAUSE);
    assert_int_equal(send_as(h.key, &q, &r), 200);
    http_resp_cleanup(&r);
    req_cleanup(&q);
    move_as(h.key, id, "analysed");
    add_record(id, "actions", ACTION, action ? action : rid);
    move_as(h.key, id, "actions_in_progress");
    q = (struct req){.method = "PATCH", .content_type = "application/merge-patch+json"};
    snprintf(q.path, sizeof q.path, "/v1/cases/%s/actions/%s", id, action ? action : rid);
    snprintf(q.if_match, sizeof q.if_match, "\"1\"");
    q.body = strdup("{\"status\":\"done\",\"completion_note\":\"owners named\"}");
    assert_int_equal(send_as(h.key, &q, &r), 200);
    http_resp_cleanup(&r);
    req_cleanup(&q);
    add_record(id, "reviews", REVIEW, review ? review : rid);
    move_as(h.key, id, "verifying");
}

/* The read side of the matrix: one case with a record of every kind. */
static char shared_case[37];
static struct {
    const char *segment;
    char id[37];
} shared_records[] = {{"corrections", ""}, {"actions", ""},  {"reviews", ""},  {"isms-changes", ""},
                      {"links", ""},       {"evidence", ""}, {"comments", ""}, {"approvals", ""}};
#define N_SHARED (sizeof shared_records / sizeof shared_records[0])

static const char *
shared_record(const char *segment)
{
    for (size_t i = 0; i < N_SHARED; i++)
        if (strcmp(shared_records[i].segment, segment) == 0)
            return shared_records[i].id;
    fail_msg("no shared record of %s", segment);
    return NULL;
}

/*
 * The shared case, walked to verifying with an effective verdict and an ISMS
 * decision, so that a closure approval counts there (clause 10.2 order).
 */
static void
make_shared_case(void)
{
    struct http_resp r;
    struct req q;
    char path[160];

    create_case_as(h.key, "Shared case of the role matrix", shared_case);
    walk_to_verifying(shared_case, shared_records[0].id, shared_records[1].id,
                      shared_records[2].id);
    snprintf(path, sizeof path, "/v1/cases/%s/reviews/%s/verdict", shared_case,
             shared_records[2].id);
    if (post_as(approver_key, path, VERDICT, NULL, &r) != 200)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    http_resp_cleanup(&r);
    add_record(shared_case, "isms-changes", ISMS_CHANGE, shared_records[3].id);
    add_record(shared_case, "links", LINK, shared_records[4].id);
    q = (struct req){.method = "POST", .content_type = "text/plain"};
    snprintf(q.path, sizeof q.path, "/v1/cases/%s/evidence?filename=export.txt", shared_case);
    q.body = strdup("rule,owner\n1,ops-lead\n");
    assert_int_equal(send_as(h.key, &q, &r), 201);
    snprintf(shared_records[5].id, 37, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    req_cleanup(&q);
    add_record(shared_case, "comments", COMMENT, shared_records[6].id);
    add_record(shared_case, "approvals", APPROVAL, shared_records[7].id);
}

/* ---- 1. the role matrix -------------------------------------------------------------------- */

/* How the walk makes the target of one call. */
enum prep {
    PREP_READ,        /* the shared case and its records */
    PREP_CASE_CREATE, /* a new case's body */
    PREP_CASE_PATCH,  /* a fresh case, its ETag */
    PREP_TRANSITION,  /* a fresh case with a correction; the move depends on the role */
    PREP_RECORD_POST, /* a record of the path's kind on the shared case */
    PREP_ROOT_CAUSE,  /* the shared case's analysis, revised */
    PREP_ACTION,      /* a fresh action, its ETag */
    PREP_VERDICT,     /* a fresh review awaiting its verdict */
    PREP_LINK_REMOVE, /* a fresh link */
    PREP_EVIDENCE,    /* a file for the shared case */
    PREP_WORKFLOW,    /* the current improvement workflow, put back */
};

struct op {
    const char *method;
    const char *path; /* OpenAPI template */
    unsigned roles;   /* PUBLIC: no credential needed */
    long success;     /* the status of success */
    enum prep prep;
};

/*
 * The matrix as README "Authentication" and openapi.yaml's x-capa-roles state
 * it: every role reads; reporters raise cases, comment and add evidence;
 * contributors work cases; approvers approve, judge and close (and comment
 * and add evidence); admins replace workflows. Transitions: any role asks,
 * the workflow decides.
 */
static const struct op ops[] = {
    {"GET", "/healthz", PUBLIC, 200, PREP_READ},
    {"GET", "/readyz", PUBLIC, 200, PREP_READ},
    {"GET", "/openapi.yaml", ALL, 200, PREP_READ},
    {"GET", "/metrics", ALL, 200, PREP_READ},
    {"POST", "/v1/cases", REPORTER | CONTRIBUTOR, 201, PREP_CASE_CREATE},
    {"GET", "/v1/cases", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}", ALL, 200, PREP_READ},
    {"PATCH", "/v1/cases/{id}", CONTRIBUTOR, 200, PREP_CASE_PATCH},
    {"GET", "/v1/cases/{id}/transitions", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/transitions", ALL, 200, PREP_TRANSITION},
    {"GET", "/v1/cases/{id}/history", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/history/verify", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/corrections", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/corrections", CONTRIBUTOR, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/corrections/{rid}", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/root-cause", ALL, 200, PREP_READ},
    {"PUT", "/v1/cases/{id}/root-cause", CONTRIBUTOR, 200, PREP_ROOT_CAUSE},
    {"GET", "/v1/cases/{id}/actions", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/actions", CONTRIBUTOR, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/actions/{rid}", ALL, 200, PREP_READ},
    {"PATCH", "/v1/cases/{id}/actions/{rid}", CONTRIBUTOR, 200, PREP_ACTION},
    {"GET", "/v1/cases/{id}/reviews", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/reviews", CONTRIBUTOR, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/reviews/{rid}", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/reviews/{rid}/verdict", APPROVER, 200, PREP_VERDICT},
    {"GET", "/v1/cases/{id}/isms-changes", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/isms-changes", CONTRIBUTOR, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/isms-changes/{rid}", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/links", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/links", CONTRIBUTOR, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/links/{rid}", ALL, 200, PREP_READ},
    {"DELETE", "/v1/cases/{id}/links/{rid}", CONTRIBUTOR, 204, PREP_LINK_REMOVE},
    {"GET", "/v1/cases/{id}/evidence", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/evidence", REPORTER | CONTRIBUTOR | APPROVER, 201, PREP_EVIDENCE},
    {"GET", "/v1/cases/{id}/evidence/{rid}", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/evidence/{rid}/content", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/comments", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/comments", REPORTER | CONTRIBUTOR | APPROVER, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/comments/{rid}", ALL, 200, PREP_READ},
    {"GET", "/v1/cases/{id}/approvals", ALL, 200, PREP_READ},
    {"POST", "/v1/cases/{id}/approvals", APPROVER, 201, PREP_RECORD_POST},
    {"GET", "/v1/cases/{id}/approvals/{rid}", ALL, 200, PREP_READ},
    {"GET", "/v1/actions", ALL, 200, PREP_READ},
    {"GET", "/v1/controls", ALL, 200, PREP_READ},
    {"GET", "/v1/workflows", ALL, 200, PREP_READ},
    {"PUT", "/v1/workflows/{kind}", ADMIN, 200, PREP_WORKFLOW},
    {"GET", "/v1/events", ALL, 200, PREP_READ},
};
#define N_OPS (sizeof ops / sizeof ops[0])

/* The records segment of a template ("/v1/cases/{id}/<segment>..."), into out. */
static const char *
template_segment(const char *tmpl, char *out, size_t size)
{
    const char *p = strstr(tmpl, "{id}/");
    out[0] = '\0';
    if (p != NULL)
        snprintf(out, size, "%.*s", (int)strcspn(p + 5, "/"), p + 5);
    return out;
}

/* tmpl with {id}, {rid} and {kind} replaced. */
static void
expand(const char *tmpl, const char *id, const char *rid, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < size;) {
        const char *with = NULL;
        size_t skip = 0;
        if (strncmp(p, "{id}", 4) == 0)
            with = id, skip = 4;
        else if (strncmp(p, "{rid}", 5) == 0)
            with = rid, skip = 5;
        else if (strncmp(p, "{kind}", 6) == 0)
            with = "improvement", skip = 6;
        if (with == NULL) {
            out[o++] = *p++;
            continue;
        }
        o += (size_t)snprintf(out + o, size - o, "%s", with);
        p += skip;
    }
    out[o < size ? o : size - 1] = '\0';
}

/* The body of a record create for a segment. */
static const char *
record_body(const char *segment)
{
    static const char *const bodies[][2] = {
        {"corrections", CORRECTION},   {"actions", ACTION}, {"reviews", REVIEW},
        {"isms-changes", ISMS_CHANGE}, {"links", LINK},     {"comments", COMMENT},
        {"approvals", APPROVAL}};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        if (strcmp(bodies[i][0], segment) == 0)
            return bodies[i][1];
    fail_msg("no body for %s", segment);
    return NULL;
}

/* The current definition of the improvement workflow, as text (caller frees). */
static char *
improvement_workflow(void)
{
    struct http_resp r;
    size_t i;
    json_t *w;
    char *text = NULL;
    assert_int_equal(get_as(h.key, "/v1/workflows", &r), 200);
    json_array_foreach(json_object_get(r.j, "items"), i, w)
    {
        if (strcmp(tl_str(w, "kind"), "improvement") == 0)
            text = json_dumps(json_object_get(w, "definition"), JSON_COMPACT);
    }
    http_resp_cleanup(&r);
    assert_non_null(text);
    return text;
}

/* Build the request of op for the principal p (a role index or P_NOBODY). */
static void
prepare(const struct op *op, int p, struct req *q)
{
    char segment[32], id[37], rid[37] = "";
    memset(q, 0, sizeof *q);
    q->method = op->method;
    template_segment(op->path, segment, sizeof segment);
    snprintf(id, sizeof id, "%s", shared_case);
    switch (op->prep) {
    case PREP_READ:
        if (strstr(op->path, "{rid}"))
            snprintf(rid, sizeof rid, "%s", shared_record(segment));
        break;
    case PREP_CASE_CREATE:
        q->body = harness_case_body("Raised in the role matrix", "minor");
        break;
    case PREP_CASE_PATCH:
        create_case_as(h.key, "Patched in the role matrix", id);
        snprintf(q->if_match, sizeof q->if_match, "\"1\"");
        q->body = strdup("{\"owner\":\"network-lead\"}");
        break;
    case PREP_TRANSITION:
        /* the approver takes an approver's move, everyone else a contributor's */
        create_case_as(h.key, "Moved in the role matrix", id);
        add_record(id, "corrections", CORRECTION, NULL);
        case_etag(id, q->if_match);
        q->body =
            strdup(p == P_APPROVER ? "{\"to\":\"rejected\",\"comment\":\"not a nonconformity\"}"
                                   : "{\"to\":\"contained\"}");
        break;
    case PREP_RECORD_POST:
        q->body = strdup(record_body(segment));
        break;
    case PREP_ROOT_CAUSE:
        q->body = strdup(ROOT_CAUSE);
        break;
    case PREP_ACTION:
        add_record(id, "actions", ACTION, rid);
        snprintf(q->if_match, sizeof q->if_match, "\"1\"");
        q->body = strdup("{\"title\":\"Give every rule an owner and an expiry\"}");
        break;
    case PREP_VERDICT:
        /* a verdict judges a case whose actions are done, in verifying */
        create_case_as(h.key, "Judged in the role matrix", id);
        walk_to_verifying(id, NULL, NULL, rid);
        q->body = strdup(VERDICT);
        break;
    case PREP_LINK_REMOVE:
        add_record(id, "links", LINK, rid);
        break;
    case PREP_EVIDENCE:
        q->body = strdup("a scan report\n");
        q->content_type = "text/plain";
        break;
    case PREP_WORKFLOW:
        q->body = improvement_workflow();
        break;
    }
    expand(op->path, id, rid, q->path, sizeof q->path);
    if (op->prep == PREP_EVIDENCE)
        strncat(q->path, "?filename=scan.txt", sizeof q->path - strlen(q->path) - 1);
    if (q->body && !q->content_type)
        q->content_type =
            strcmp(op->method, "PATCH") == 0 ? "application/merge-patch+json" : "application/json";
}

/* The route table (api_routes_text) holds exactly the operations and roles of ops[]. */
static void
test_route_table_is_the_documented_matrix(void **state)
{
    (void)state;
    char *text = api_routes_text();
    json_t *j_routes = json_loads(text, 0, NULL);
    size_t i, k, matched = 0;
    json_t *e, *v;

    assert_non_null(j_routes);
    json_array_foreach(j_routes, i, e)
    {
        unsigned roles = 0;
        const struct op *op = NULL;
        for (k = 0; k < N_OPS && op == NULL; k++)
            if (strcmp(ops[k].method, tl_str(e, "method")) == 0 &&
                strcmp(ops[k].path, tl_str(e, "path")) == 0)
                op = &ops[k];
        if (op == NULL)
            fail_msg("capad serves %s %s, the documented matrix has no such operation",
                     tl_str(e, "method"), tl_str(e, "path"));
        json_t *j_roles = json_object_get(e, "roles");
        if (json_is_string(j_roles))
            assert_string_equal(json_string_value(j_roles), "public");
        json_array_foreach(j_roles, k, v)
        {
            for (int b = 0; b < N_ROLES; b++)
                if (strcmp(json_string_value(v), role_names[b]) == 0)
                    roles |= 1u << b;
        }
        if (roles != op->roles || (roles == PUBLIC) != json_is_string(j_roles))
            fail_msg("%s %s: capad enforces %s, the documentation says 0x%x", op->method, op->path,
                     json_dumps(j_roles, 0), op->roles);
        matched++;
    }
    /* every documented operation is served (the paths of the table are distinct) */
    assert_int_equal(matched, N_OPS);
    assert_int_equal(json_array_size(j_routes), N_OPS);
    json_decref(j_routes);
    free(text);
}

/* What a principal gets for op: the success status, 403 or 401. */
static long
expected_status(const struct op *op, int p)
{
    if (op->roles == PUBLIC)
        return op->success;
    if (p == P_NOBODY)
        return 401;
    if (op->prep == PREP_TRANSITION)
        return p == P_CONTRIBUTOR || p == P_APPROVER ? 200 : 403;
    return op->roles & (1u << p) ? op->success : 403;
}

/*
 * Every operation as each principal. A call that should succeed gets a fresh
 * target (it may consume it: a verdict, a removal, a move); the refused ones
 * of an operation share one, which a refusal leaves as it was.
 */
static void
test_role_matrix(void **state)
{
    (void)state;
    unsigned long before = n_requests, matrix = 0;

    for (size_t i = 0; i < N_OPS; i++) {
        const struct op *op = &ops[i];
        struct req shared = {0}, fresh;
        bool have_shared = false;
        for (int p = 0; p <= P_NOBODY; p++) {
            struct http_resp r;
            char what[400];
            long want = expected_status(op, p);
            bool succeeds = want / 100 == 2;
            struct req *q = succeeds ? &fresh : &shared;

            if (succeeds || !have_shared)
                prepare(op, p, q);
            have_shared = have_shared || !succeeds;
            snprintf(what, sizeof what, "%s %s as %s", op->method, q->path,
                     p == P_NOBODY ? "nobody" : role_names[p]);
            send_as(p == P_NOBODY ? NULL : role_key[p], q, &r);
            matrix++;
            if (want == 401)
                assert_unauthorized(&r, what);
            else if (want == 403 && op->prep == PREP_TRANSITION)
                /* the workflow grants reported -> contained to contributors only */
                assert_forbidden(&r, CONTRIBUTOR, what);
            else if (want == 403)
                assert_forbidden(&r, op->roles, what);
            else if (r.status != want)
                fail_msg("%s: want %ld, got %ld %s", what, want, r.status, r.body);
            http_resp_cleanup(&r);
            if (succeeds)
                req_cleanup(&fresh);
        }
        req_cleanup(&shared);
    }
    assert_int_equal(matrix, N_OPS * (N_ROLES + 1));
    printf("role matrix: %zu operations x %d principals = %lu requests (%lu with fixtures)\n",
           N_OPS, N_ROLES + 1, matrix, n_requests - before);
}

/* Transitions: the workflow's roles decide, and a 403 names them. */
static void
test_transition_roles_come_from_the_workflow(void **state)
{
    (void)state;
    struct http_resp r;
    struct req q = {.method = "POST", .content_type = "application/json"};
    char id[37];

    create_case_as(h.key, "Moved by the wrong role", id);
    add_record(id, "corrections", CORRECTION, NULL);
    snprintf(q.path, sizeof q.path, "/v1/cases/%s/transitions", id);
    case_etag(id, q.if_match);
    /* a contributor may not reject (an approver's move), an approver not contain */
    q.body = strdup("{\"to\":\"rejected\",\"comment\":\"duplicate\"}");
    send_as(role_key[P_CONTRIBUTOR], &q, &r);
    assert_forbidden(&r, APPROVER, "contributor rejecting");
    if (strstr(tl_str(r.j, "detail"), "approver") == NULL)
        fail_msg("the refusal does not name the approver: %s", r.body);
    http_resp_cleanup(&r);
    free(q.body);
    q.body = strdup("{\"to\":\"contained\"}");
    send_as(role_key[P_APPROVER], &q, &r);
    assert_forbidden(&r, CONTRIBUTOR, "approver containing");
    http_resp_cleanup(&r);
    /* the case did not move */
    char etag[32];
    case_etag(id, etag);
    assert_string_equal(etag, q.if_match);
    req_cleanup(&q);
}

/* Unknown paths and methods tell nothing without a credential. */
static void
test_unknown_paths_need_a_credential(void **state)
{
    (void)state;
    struct http_resp r;
    struct req q = {.method = "DELETE", .path = "/v1/cases"};

    get_as(NULL, "/v1/no-such-thing", &r);
    assert_unauthorized(&r, "GET unknown path");
    http_resp_cleanup(&r);
    send_as(NULL, &q, &r);
    assert_unauthorized(&r, "DELETE /v1/cases");
    http_resp_cleanup(&r);
    get_as(role_key[P_VIEWER], "/v1/no-such-thing", &r);
    tl_assert_problem(&r, 404, "not-found");
    http_resp_cleanup(&r);
    send_as(role_key[P_VIEWER], &q, &r);
    tl_assert_problem(&r, 405, "method-not-allowed");
    http_resp_cleanup(&r);
}

/* ---- 2. every 401 is the same ----------------------------------------------------------- */

static void
test_every_401_is_the_same(void **state)
{
    (void)state;
    struct http_resp r;
    struct uc_status st;
    json_t *j_key = NULL;
    char revoked[APIKEY_LEN + 1], line[APIKEY_LEN + 64];

    /* a key that worked, then revoked */
    make_key("revoked-soon", VIEWER, false, revoked);
    assert_int_equal(get_as(revoked, "/v1/cases", &r), 200);
    http_resp_cleanup(&r);
    uc_status_init(&st);
    assert_int_equal(uc_apikey_revoke(&h.app, "revoked-soon", &j_key, &st), ERR_OK);
    json_decref(j_key);
    uc_status_cleanup(&st);

    /* the scheme is case-insensitive: a lower-case one is no failure */
    snprintf(line, sizeof line, "Authorization: bearer %s", h.key);
    assert_int_equal(get_with_header(line, "/v1/cases", &r), 200);
    http_resp_cleanup(&r);

    const char *well_formed_unknown =
        "Authorization: Bearer capa_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    snprintf(line, sizeof line, "Authorization: Bearer %s", revoked);
    const char *const headers[] = {
        NULL, /* no Authorization header */
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "Authorization: Bearer",
        "Authorization: Bearer capa_nothex_tooshort",
        well_formed_unknown,
        line,
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        "Authorization: Bearer two words",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        get_with_header(headers[i], "/v1/cases", &r);
        assert_unauthorized(&r, headers[i] ? headers[i] : "no header");
        http_resp_cleanup(&r);
    }
    assert_non_null(unauth_body);
    assert_string_equal(unauth_challenge, "Bearer realm=\"capa\", error=\"invalid_token\"");
}

/* ---- 3. JWTs over HTTP -------------------------------------------------------------------- */

/* The claims of a valid token for sub (caller decrefs); roles: a JSON array text. */
static json_t *
claims(const char *sub, const char *roles)
{
    json_int_t now = (json_int_t)time(NULL);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:{s:o}}", "sub", sub, "iss", ISS, "aud",
                  AUD, "iat", now, "nbf", now, "exp", now + 300, "preferred_username", "erin",
                  "realm_access", "roles", json_loads(roles, 0, NULL));
    assert_non_null(j);
    return j;
}

/* A token of claims (stolen) signed by key, or by the identity provider's key. */
static char *
token_of(json_t *j_claims, jwk_t *key, const json_t *j_header, bool no_kid)
{
    char *t = tjwt_sign(key ? key : idp_priv, R_JWA_ALG_RS256, j_header, j_claims, no_kid);
    assert_non_null(t);
    json_decref(j_claims);
    return t;
}

/* A valid token with one claim changed (j_value stolen). */
static char *
token_with(const char *member, json_t *j_value)
{
    json_t *j = claims("u-7f3a9c", "[\"contributor\"]");
    json_object_set_new(j, member, j_value);
    return token_of(j, NULL, NULL, false);
}

static void
test_jwt_over_http(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37];
    json_int_t now = (json_int_t)time(NULL);

    /* a contributor's token raises a case; the history names the user */
    char *t =
        token_of(claims("u-7f3a9c", "[\"contributor\", \"offline_access\"]"), NULL, NULL, false);
    create_case_as(t, "Raised by a user of the identity provider", id);
    json_t *j_actor = history_actor(id, 1);
    json_t *j_want =
        json_pack("{s:s, s:s, s:s}", "kind", "user", "subject", "u-7f3a9c", "name", "erin");
    if (!json_equal(j_actor, j_want))
        fail_msg("actor %s", json_dumps(j_actor, JSON_COMPACT));
    json_decref(j_actor);
    json_decref(j_want);
    free(t);

    /* without a name claim the actor's name is null, as the Actor schema requires */
    json_t *j = claims("u-0b1e", "[\"reporter\"]");
    json_object_del(j, "preferred_username");
    t = token_of(j, NULL, NULL, false);
    create_case_as(t, "Raised by a user without a name", id);
    j_actor = history_actor(id, 1);
    if (!json_is_null(json_object_get(j_actor, "name")))
        fail_msg("actor %s: want name null", json_dumps(j_actor, JSON_COMPACT));
    json_decref(j_actor);
    free(t);

    /* a valid token without any capa role */
    t = token_of(claims("u-5150", "[\"offline_access\", \"uma_authorization\"]"), NULL, NULL,
                 false);
    char *body = harness_case_body("Raised by nobody in particular", "minor");
    post_as(t, "/v1/cases", body, NULL, &r);
    assert_forbidden(&r, REPORTER | CONTRIBUTOR, "a token without capa roles");
    http_resp_cleanup(&r);
    free(t);

    /* every bad token: the one 401 */
    char *pem = tjwt_pem(idp_pub);
    jwk_t *hmac = NULL;
    assert_non_null(pem);
    assert_int_equal(r_jwk_init(&hmac), RHN_OK);
    assert_int_equal(r_jwk_import_from_symmetric_key(hmac, (const unsigned char *)pem, strlen(pem)),
                     RHN_OK);
    r_jwk_set_property_str(hmac, "kid", KID);
    json_t *j_other_kid = json_pack("{s:s}", "kid", "capa-test-9");
    j = claims("u-7f3a9c", "[\"contributor\"]");
    char *payload = json_dumps(j, JSON_COMPACT), *p64 = tjwt_b64url(payload, strlen(payload));
    char *none = NULL;
    assert_true(asprintf(&none, "eyJhbGciOiJub25lIiwia2lkIjoiY2FwYS10ZXN0LTEifQ.%s.", p64) > 0);
    struct {
        const char *what;
        char *token;
    } bad[] = {
        {"wrong signature",
         token_of(claims("u-7f3a9c", "[\"contributor\"]"), evil_priv, NULL, false)},
        {"expired", token_with("exp", json_integer(now - 3600))},
        {"not yet valid", token_with("nbf", json_integer(now + 3600))},
        {"wrong issuer", token_with("iss", json_string("https://idp.example.org/realms/other"))},
        {"wrong audience", token_with("aud", json_string("another-api"))},
        {"alg none", none},
        {"HS256 keyed with the public key", tjwt_sign(hmac, R_JWA_ALG_HS256, NULL, j, false)},
        {"unknown kid", token_of(json_incref(j), NULL, j_other_kid, true)},
        {"malformed", strdup("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_non_null(bad[i].token);
        post_as(bad[i].token, "/v1/cases", body, NULL, &r);
        assert_unauthorized(&r, bad[i].what);
        http_resp_cleanup(&r);
        free(bad[i].token);
    }
    free(body);
    free(payload);
    free(p64);
    free(pem);
    json_decref(j);
    json_decref(j_other_kid);
    r_jwk_free(hmac);
}

/* ---- 4. segregation of duties ------------------------------------------------------------ */

/* POST an approval of case id as cred (extra header line or NULL); returns the status. */
static long
approve_as(const char *cred, const char *id, const char *extra, struct http_resp *r)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%s/approvals", id);
    return post_as(cred, path, APPROVAL, extra, r);
}

static long
verdict_as(const char *cred, const char *id, const char *review, struct http_resp *r)
{
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/reviews/%s/verdict", id, review);
    return post_as(cred, path, VERDICT, NULL, r);
}

static void
assert_segregation(struct http_resp *r, const char *what)
{
    if (r->status != 403)
        fail_msg("%s: want 403 segregation-of-duties, got %ld %s", what, r->status, r->body);
    tl_assert_problem(r, 403, "segregation-of-duties");
    http_resp_cleanup(r);
}

static void
test_segregation_of_duties(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], raised[37], review[37], review2[37], cancelled[37];
    char dana[APIKEY_LEN + 1], erik[APIKEY_LEN + 1], gina[APIKEY_LEN + 1];
    char raiser[APIKEY_LEN + 1], frank[APIKEY_LEN + 1], bot[APIKEY_LEN + 1];

    make_key("dana", APPROVER, false, dana);
    make_key("erik", APPROVER, false, erik);
    make_key("gina", APPROVER, false, gina);
    make_key("raiser", REPORTER | APPROVER, false, raiser);
    make_key("frank", APPROVER, false, frank);
    make_key("approvals-bot", APPROVER, true, bot);

    /* dana owns the case, erik did an action, gina's action was cancelled */
    char erik_action[37];
    create_case_as(h.key, "Segregation of duties", id);
    patch_case(id, "{\"owner\":\"dana\"}");
    add_record(id, "actions",
               "{\"type\":\"corrective\",\"title\":\"Rotate the keys\",\"assignee\":\"erik\"}",
               erik_action);
    add_record(id, "actions",
               "{\"type\":\"preventive\",\"title\":\"Audit the vault\",\"assignee\":\"gina\"}",
               cancelled);
    const char *const finish[][2] = {
        {erik_action, "{\"status\":\"done\",\"completion_note\":\"keys rotated\"}"},
        {cancelled, "{\"status\":\"cancelled\",\"reason\":\"the vault is retired\"}"}};
    for (size_t i = 0; i < 2; i++) {
        struct req q = {.method = "PATCH", .content_type = "application/merge-patch+json"};
        snprintf(q.path, sizeof q.path, "/v1/cases/%s/actions/%s", id, finish[i][0]);
        snprintf(q.if_match, sizeof q.if_match, "\"1\"");
        q.body = strdup(finish[i][1]);
        assert_int_equal(send_as(h.key, &q, &r), 200);
        http_resp_cleanup(&r);
        req_cleanup(&q);
    }
    walk_to_verifying(id, NULL, NULL, review);
    add_record(id, "reviews", REVIEW, review2);

    /* who may not comes first, whatever the state */
    approve_as(dana, id, NULL, &r);
    assert_segregation(&r, "the owner approving");
    verdict_as(dana, id, review, &r);
    assert_segregation(&r, "the owner judging");
    approve_as(erik, id, NULL, &r);
    assert_segregation(&r, "an assignee approving");
    verdict_as(erik, id, review, &r);
    assert_segregation(&r, "an assignee judging");
    /* a delegate acting for the owner is the owner; names match case-insensitively */
    approve_as(bot, id, "Capa-On-Behalf-Of: dana", &r);
    assert_segregation(&r, "a delegate for the owner");
    approve_as(bot, id, "Capa-On-Behalf-Of: DANA", &r);
    assert_segregation(&r, "a delegate for the owner, upper case");

    /* the one who raised a case may not approve it, but may judge its review */
    create_case_as(raiser, "Raised and approved by the same key", raised);
    approve_as(raiser, raised, NULL, &r);
    assert_segregation(&r, "the raiser approving");
    char raised_review[37];
    walk_to_verifying(raised, NULL, NULL, raised_review);
    assert_int_equal(verdict_as(raiser, raised, raised_review, &r), 200);
    http_resp_cleanup(&r);

    /* unrelated people may: frank, gina (her action was cancelled), the bot for someone else */
    assert_int_equal(verdict_as(frank, id, review, &r), 200);
    http_resp_cleanup(&r);
    add_record(id, "isms-changes", ISMS_CHANGE, NULL);
    assert_int_equal(approve_as(frank, id, NULL, &r), 201);
    http_resp_cleanup(&r);
    assert_int_equal(approve_as(gina, id, NULL, &r), 201);
    http_resp_cleanup(&r);
    assert_int_equal(approve_as(bot, id, "Capa-On-Behalf-Of: harriet", &r), 201);
    http_resp_cleanup(&r);
    assert_int_equal(verdict_as(gina, id, review2, &r), 200);
    http_resp_cleanup(&r);
}

/* ---- 5. acting for a person -------------------------------------------------------------- */

static void
test_acting_for_a_person(void **state)
{
    (void)state;
    struct http_resp r;
    char plain[APIKEY_LEN + 1], sync[APIKEY_LEN + 1], id[37], path[160];
    char *body = harness_case_body("Raised by the ticket sync for bob", "minor");

    make_key("no-delegate", REPORTER | CONTRIBUTOR, false, plain);
    make_key("jira-sync", REPORTER | CONTRIBUTOR, true, sync);

    post_as(plain, "/v1/cases", body, "Capa-On-Behalf-Of: bob", &r);
    tl_assert_problem(&r, 403, "forbidden");
    http_resp_cleanup(&r);

    assert_int_equal(post_as(sync, "/v1/cases", body, "Capa-On-Behalf-Of: bob", &r), 201);
    snprintf(id, sizeof id, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    json_t *j_actor = history_actor(id, 1);
    json_t *j_want = json_pack("{s:s, s:s%, s:s, s:s}", "kind", "api_key", "subject", sync + 5,
                               (size_t)APIKEY_ID_LEN, "name", "jira-sync", "on_behalf_of", "bob");
    if (!json_equal(j_actor, j_want))
        fail_msg("actor %s", json_dumps(j_actor, JSON_COMPACT));
    json_decref(j_actor);

    /* a record made for bob names him too: in the history and in created_by */
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    assert_int_equal(post_as(sync, path, COMMENT, "Capa-On-Behalf-Of: bob", &r), 201);
    if (!json_equal(json_object_get(r.j, "created_by"), j_want))
        fail_msg("created_by %s", json_dumps(json_object_get(r.j, "created_by"), JSON_COMPACT));
    http_resp_cleanup(&r);
    j_actor = history_actor(id, 2);
    assert_true(json_equal(j_actor, j_want));
    json_decref(j_actor);
    json_decref(j_want);

    /* control characters and overlong names are refused */
    char longname[300 + 32];
    snprintf(longname, sizeof longname, "Capa-On-Behalf-Of: %0300d", 7);
    const char *const bad[] = {"Capa-On-Behalf-Of: bo\x01"
                               "b",
                               "Capa-On-Behalf-Of: bo\tb", longname};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post_as(sync, "/v1/cases", body, bad[i], &r);
        if (r.status != 400)
            fail_msg("%.40s: want 400, got %ld %s", bad[i], r.status, r.body);
        http_resp_cleanup(&r);
    }
    free(body);
}

/* ---- 6. idempotency keys per principal --------------------------------------------------- */

static void
test_idempotency_keys_per_principal(void **state)
{
    (void)state;
    struct http_resp r;
    char a[APIKEY_LEN + 1], b[APIKEY_LEN + 1], first[37], second[37];
    char *body = harness_case_body("Raised twice with one idempotency key", "minor");
    const char *key = "Idempotency-Key: order-42";

    make_key("idem-a", REPORTER, false, a);
    make_key("idem-b", REPORTER, false, b);
    assert_int_equal(post_as(a, "/v1/cases", body, key, &r), 201);
    assert_string_equal(r.replayed, "");
    snprintf(first, sizeof first, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    assert_int_equal(post_as(b, "/v1/cases", body, key, &r), 201);
    assert_string_equal(r.replayed, "");
    snprintf(second, sizeof second, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    assert_string_not_equal(first, second);
    assert_int_equal(post_as(a, "/v1/cases", body, key, &r), 201);
    assert_string_equal(r.replayed, "true");
    assert_string_equal(tl_str(r.j, "id"), first);
    http_resp_cleanup(&r);
    free(body);
}

/* ---- 7. API keys ------------------------------------------------------------------------- */

/* Fails when any string in j (recursively) contains "capa_". */
static void
assert_no_secret(const json_t *j)
{
    const char *name;
    size_t i;
    json_t *v;
    if (json_is_string(j) && strstr(json_string_value(j), "capa_") != NULL)
        fail_msg("a key listing shows %s", json_string_value(j));
    json_object_foreach((json_t *)j, name, v) assert_no_secret(v);
    json_array_foreach(j, i, v) assert_no_secret(v);
}

/* The listing's item of key id (borrowed from j_items), or NULL. */
static json_t *
listed(json_t *j_items, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(j_items, i, v)
    {
        if (strlen(tl_str(v, "id")) == APIKEY_ID_LEN &&
            strncmp(tl_str(v, "id"), key + 5, APIKEY_ID_LEN) == 0)
            return v;
    }
    return NULL;
}

static void
test_api_key_management(void **state)
{
    (void)state;
    struct uc_status st;
    struct http_resp r;
    json_t *j_key = NULL, *j_items = NULL;
    char k1[APIKEY_LEN + 1], k2[APIKEY_LEN + 1];

    uc_status_init(&st);
    assert_int_equal(uc_apikey_create(&h.app, "ci-bot", VIEWER, false, k1, &j_key, &st), ERR_OK);
    json_decref(j_key);
    assert_int_equal(uc_apikey_create(&h.app, "ci-bot", VIEWER, false, k2, &j_key, &st),
                     ERR_CONFLICT);
    assert_null(j_key);
    assert_string_equal(k2, "");
    assert_int_equal(uc_apikey_revoke(&h.app, "ci-bot", &j_key, &st), ERR_OK);
    json_decref(j_key);
    assert_int_equal(uc_apikey_create(&h.app, "ci-bot", VIEWER, false, k2, &j_key, &st), ERR_OK);
    json_decref(j_key);
    assert_int_equal(get_as(k1, "/v1/cases", &r), 401);
    http_resp_cleanup(&r);

    assert_int_equal(uc_apikey_list(&h.app, &j_items, &st), ERR_OK);
    assert_true(json_is_null(json_object_get(listed(j_items, k2), "last_used_at")));
    assert_non_null(tl_str(listed(j_items, k1), "revoked_at"));
    json_decref(j_items);
    assert_int_equal(get_as(k2, "/v1/cases", &r), 200);
    http_resp_cleanup(&r);
    assert_int_equal(uc_apikey_list(&h.app, &j_items, &st), ERR_OK);
    json_t *j_k2 = listed(j_items, k2);
    assert_non_null(tl_str(j_k2, "last_used_at"));
    assert_true(json_is_null(json_object_get(j_k2, "revoked_at")));
    assert_string_equal(tl_str(j_k2, "name"), "ci-bot");
    assert_no_secret(j_items);
    json_decref(j_items);
    uc_status_cleanup(&st);
}

/* ---- 8. metrics ------------------------------------------------------------------------- */

/* The value of one metric line (name with labels), or -1 when absent. */
static long
metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p != NULL; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtol(p + n + 1, NULL, 10);
    }
    return -1;
}

static void
test_auth_failures_are_counted(void **state)
{
    (void)state;
    struct http_resp r;
    static const char *const reasons[] = {"missing",         "malformed",     "malformed_key",
                                          "unknown_key",     "bad_signature", "expired",
                                          "not_yet_valid",   "issuer",        "audience",
                                          "alg_not_allowed", "unknown_kid"};

    assert_int_equal(get_as(role_key[P_VIEWER], "/metrics", &r), 200);
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        char series[96];
        snprintf(series, sizeof series, "capa_http_auth_failures_total{reason=\"%s\"}", reasons[i]);
        if (metric(r.body, series) <= 0)
            fail_msg("%s is %ld", series, metric(r.body, series));
    }
    http_resp_cleanup(&r);
    printf("%lu requests in all\n", n_requests);
}

/* ---- main -------------------------------------------------------------------------------- */

/* Generate the identity provider's keys and publish the public one as a JWKS file. */
static void
identity_provider(void)
{
    int fd;
    assert_int_equal(tjwt_keypair(&idp_priv, &idp_pub, R_KEY_TYPE_RSA, 2048, KID), 0);
    assert_int_equal(tjwt_keypair(&evil_priv, &evil_pub, R_KEY_TYPE_RSA, 2048, KID), 0);
    json_t *j_set = json_pack("{s:[o]}", "keys", r_jwk_export_to_json_t(idp_pub));
    char *text = json_dumps(j_set, JSON_COMPACT);
    snprintf(jwks_path, sizeof jwks_path, "/tmp/capa-test-security-XXXXXX");
    assert_true((fd = mkstemp(jwks_path)) >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    free(text);
    json_decref(j_set);
    setenv("CAPA_JWT_JWKS_FILE", jwks_path, 1);
    setenv("CAPA_JWT_ISSUER", ISS, 1);
    setenv("CAPA_JWT_AUDIENCE", AUD, 1);
    setenv("CAPA_JWT_ROLES_CLAIM", "realm_access.roles", 1);
}

static int
setup(void **state)
{
    (void)state;
    /* the failures this test provokes are logged as warnings */
    setenv("CAPA_LOG_LEVEL", "error", 0);
    identity_provider();
    int rc = harness_start(&h, "security");
    for (int p = 0; p < N_ROLES; p++) {
        char name[32];
        snprintf(name, sizeof name, "matrix-%s", role_names[p]);
        make_key(name, 1u << p, false, role_key[p]);
    }
    make_key("fixture-approver", APPROVER, false, approver_key);
    make_shared_case();
    return rc;
}

static int
teardown(void **state)
{
    (void)state;
    harness_stop(&h);
    unlink(jwks_path);
    r_jwk_free(idp_priv);
    r_jwk_free(idp_pub);
    r_jwk_free(evil_priv);
    r_jwk_free(evil_pub);
    free(unauth_body);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_table_is_the_documented_matrix),
        cmocka_unit_test(test_role_matrix),
        cmocka_unit_test(test_transition_roles_come_from_the_workflow),
        cmocka_unit_test(test_unknown_paths_need_a_credential),
        cmocka_unit_test(test_every_401_is_the_same),
        cmocka_unit_test(test_jwt_over_http),
        cmocka_unit_test(test_segregation_of_duties),
        cmocka_unit_test(test_acting_for_a_person),
        cmocka_unit_test(test_idempotency_keys_per_principal),
        cmocka_unit_test(test_api_key_management),
        /* after the 401s of the tests above */
        cmocka_unit_test(test_auth_failures_are_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
