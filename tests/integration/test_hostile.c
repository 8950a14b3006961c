/*
 * test_hostile.c - hostile input against every endpoint, over real HTTP and a
 * real database: malformed, truncated, huge and deeply nested bodies, long
 * strings, invalid UTF-8, NUL bytes, SQL injection, header injection, path
 * traversal, duplicated and unknown query parameters, overlong headers, wrong
 * JSON types in every member of every body, mass assignment, wrong media
 * types and methods, bogus If-Match values, bad cursors and bad dates.
 *
 * The fixtures (two cases with one record of every kind, their text full of
 * SQL injection, which must come back verbatim) are written legitimately
 * first; then the checksum of every table is taken (harness_db_checksum).
 * Every hostile request must be answered with a 4xx problem+json whose status
 * member is the HTTP status (libmicrohttpd's own answers to overlong headers
 * excepted, see test_hostile_raw); none may write: the last test compares the
 * checksum, checks that the server still answers /healthz and /readyz, and
 * makes one legitimate write to show that the checksum can change. Injection
 * strings in the free-text filters (owner, q, assignee) are valid text: those
 * few requests expect 200 and no match.
 *
 * Most requests are generated from tables: the bodies of the API with the
 * type of every member, crossed with lists of hostile values. The three JSON
 * readers (case create, case patch, workflow) get every value; the other
 * bodies a rotating share (sample()), so that every value meets several
 * endpoints and every member several values while the test stays fast.
 *
 * A wrong answer does not stop a group: every request of the group is sent,
 * each wrong answer is reported (request and response) and the group fails
 * at its end.
 *
 * Requests go through the harness (http_json, http_do), which sends the
 * harness's all-roles API key with each, so that the hostile input reaches
 * the handlers. Those that need headers of their own (media types, injection,
 * overlong headers, chunked bodies) go through send_raw(). The credentials
 * themselves are attacked in test_hostile_credentials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "jsonshape.h"
#include "apikey.h"

#define MAX_BODY 65536      /* CAPA_MAX_BODY_BYTES of this test */
#define EVIDENCE_MAX 131072 /* CAPA_EVIDENCE_MAX_BYTES of this test */
#define PROBLEM_BASE "https://capa.example.org/problems/"
#define NO_CASE "00000000-0000-4000-8000-000000000000"

static struct harness h;

/* ---- fixtures: written legitimately before the checksum -------------------------------- */

static struct {
    char case_id[37], key[32], other[37];
    char correction[37], action[37], review[37], isms[37], link[37], comment[37], approval[37],
        evidence[37];
    char version[16]; /* the case's version after the fixtures, e.g. "11" */
    char *workflow;   /* the nonconformity workflow's definition, as JSON text */
    char *checksum;   /* harness_db_checksum after the fixtures */
} fx;

/* The value of {name} in a template, or NULL. */
static const char *
placeholder(const char *name, size_t n)
{
    static const struct {
        const char *name;
        const char *value;
    } table[] = {
        {"case", fx.case_id},      {"key", fx.key},
        {"other", fx.other},       {"correction", fx.correction},
        {"action", fx.action},     {"review", fx.review},
        {"isms", fx.isms},         {"link", fx.link},
        {"comment", fx.comment},   {"approval", fx.approval},
        {"evidence", fx.evidence}, {"v", fx.version},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].name) == n && strncmp(table[i].name, name, n) == 0)
            return table[i].value;
    return NULL;
}

/* A template with its {placeholders} filled in (caller frees); NULL stays NULL. */
static char *
expand(const char *tmpl)
{
    if (tmpl == NULL)
        return NULL;
    size_t cap = strlen(tmpl) + 1, len = 0;
    for (const char *p = tmpl; (p = strchr(p, '{')) != NULL; p++)
        cap += 64;
    char *out = malloc(cap);
    assert_non_null(out);
    for (const char *p = tmpl; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        const char *value = end ? placeholder(p + 1, (size_t)(end - p - 1)) : NULL;
        if (value != NULL) {
            memcpy(out + len, value, strlen(value));
            len += strlen(value);
            p = end + 1;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    return out;
}

/* ---- checking answers ------------------------------------------------------------------ */

enum check {
    CHECK_PROBLEM, /* a 4xx problem+json */
    CHECK_HEAD,    /* HEAD: status and media type, no body */
    CHECK_MHD,     /* libmicrohttpd may answer itself, with its own body: a 4xx only */
};

static struct {
    int sent, wrong, group_wrong, group_sent;
    struct timespec group_start;
    char *report; /* the wrong answers of the current group */
    size_t len;
} tally;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
report(const char *fmt, ...)
{
    va_list ap;
    char *line = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    tally.report = realloc(tally.report, tally.len + (size_t)n + 1);
    assert_non_null(tally.report);
    memcpy(tally.report + tally.len, line, (size_t)n + 1);
    tally.len += (size_t)n;
    free(line);
}

/* Printable excerpt of n bytes of s (at most 160 shown). */
static void
excerpt(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0;
    if (s == NULL) {
        snprintf(out, size, "(none)");
        return;
    }
    for (size_t i = 0; i < n && o + 8 < size && i < 160; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    }
    if (n > 160 && o + 4 < size)
        o += (size_t)snprintf(out + o, size - o, "...(%zu bytes)", n);
    out[o] = '\0';
}

/* Whether the response header lines hold text (case-insensitive). */
static bool
has_header_text(const struct http_resp *r, const char *text)
{
    return r->headers != NULL && strcasestr(r->headers, text) != NULL;
}

/* Why an answer is wrong, or NULL when it is right. */
static const char *
wrong_answer(const struct http_resp *r, const char *method, int expect, enum check check)
{
    static char why[256];
    if (r->status < 0)
        return "no answer: the exchange failed (connection closed?)";
    if (r->status >= 500)
        return "a 5xx answer";
    if (r->status < 400)
        return "not refused: 2xx/3xx for hostile input";
    if (r->status != expect) {
        snprintf(why, sizeof why, "status %ld, expected %d", r->status, expect);
        return why;
    }
    if (has_header_text(r, "\nX-Injected"))
        return "an injected header came back in the response";
    if (check == CHECK_MHD)
        return NULL;
    if (strcmp(r->content_type, "application/problem+json") != 0)
        return "Content-Type is not application/problem+json";
    if (r->request_id[0] == '\0')
        return "no X-Request-Id";
    for (const char *p = r->request_id; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return "X-Request-Id has a byte that is not visible ASCII";
    if (r->status == 405 && r->allow[0] == '\0')
        return "405 without Allow";
    if (check == CHECK_HEAD || strcmp(method, "HEAD") == 0)
        return NULL;
    const json_t *type = json_object_get(r->j, "type");
    if (!json_is_object(r->j))
        return "the body is not a JSON object";
    if (!json_is_string(type) ||
        strncmp(json_string_value(type), PROBLEM_BASE, strlen(PROBLEM_BASE)) != 0)
        return "no problem type";
    if (json_string_length(json_object_get(r->j, "title")) == 0)
        return "no problem title";
    if (!json_is_integer(json_object_get(r->j, "status")) ||
        json_integer_value(json_object_get(r->j, "status")) != r->status)
        return "the problem's status is not the HTTP status";
    return NULL;
}

/* Count one exchange; report it when its answer is wrong. */
static void
judge(const char *what, const char *method, const char *path, const char *body, size_t body_len,
      const struct http_resp *r, int expect, enum check check)
{
    char p[400], b[400], rb[400];
    const char *why = wrong_answer(r, method, expect, check);
    tally.sent++;
    if (why == NULL)
        return;
    tally.wrong++;
    tally.group_wrong++;
    excerpt(path, strlen(path), p, sizeof p);
    excerpt(body, body ? body_len : 0, b, sizeof b);
    excerpt(r->body, r->body_len, rb, sizeof rb);
    report("  [%s] %s\n    request:  %s %s\n    body:     %s\n    response: %ld %s\n    %s\n", what,
           why, method, p, b, r->status, r->content_type, rb);
}

/* Start a group of requests. */
static void
group_begin(void)
{
    tally.group_wrong = 0;
    tally.group_sent = tally.sent;
    clock_gettime(CLOCK_MONOTONIC, &tally.group_start);
    free(tally.report);
    tally.report = NULL;
    tally.len = 0;
}

/* End a group: fail with every wrong answer when there were any. */
static void
group_end(const char *name)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - tally.group_start.tv_sec) * 1e3 +
                (double)(now.tv_nsec - tally.group_start.tv_nsec) / 1e6;
    fprintf(stderr, "hostile: %s: %d requests in %.0f ms, %d answered wrongly\n", name,
            tally.sent - tally.group_sent, ms, tally.group_wrong);
    if (tally.group_wrong > 0) {
        fprintf(stderr, "%s", tally.report);
        fail_msg("%s: %d hostile requests were answered wrongly (see above)", name,
                 tally.group_wrong);
    }
}

/* ---- sending --------------------------------------------------------------------------- */

/*
 * A request through http_json: method, path and If-Match are templates
 * ({case}, {v}, ...), body is JSON text (NULL: none).
 */
static void
send_json(const char *what, const char *method, const char *path_tmpl, const char *if_match_tmpl,
          const char *body, int expect)
{
    struct http_resp r;
    char *path = expand(path_tmpl), *if_match = expand(if_match_tmpl);
    http_json(&h, method, path, if_match, body, &r);
    judge(what, method, path, body, body ? strlen(body) : 0, &r, expect,
          strcmp(method, "HEAD") == 0 ? CHECK_HEAD : CHECK_PROBLEM);
    http_resp_cleanup(&r);
    free(path);
    free(if_match);
}

/*
 * Credentials every raw request carries. Empty until authentication lands:
 * add the Authorization header here (e.g. "Authorization: Bearer ...").
 */
/*
 * A request with headers of its own, through http_do: the only way this test
 * sends custom headers. headers is NULL-terminated; body may hold NUL bytes
 * (body_len), NULL for none.
 */
static void
send_raw(const char *what, const char *method, const char *path_tmpl, const char *const *headers,
         const char *body, size_t body_len, int expect, enum check check)
{
    struct http_resp r;
    const char *all[16];
    size_t n = 0;
    char *path = expand(path_tmpl);

    for (const char *const *p = headers; p && *p; p++) {
        assert_true(n < 15);
        all[n++] = *p;
    }
    all[n] = NULL;
    http_do(&h, method, path, all, body, body_len, &r);
    judge(what, method, path, body, body_len, &r, expect, check);
    http_resp_cleanup(&r);
    free(path);
}

/* ---- the bodies of the API, with the type of each member ------------------------------- */

enum ftype {
    T_STRING,   /* a string */
    T_STRINGS,  /* an array of strings */
    T_REFS,     /* an array of external-ref objects */
    T_ANALYSIS, /* a five-whys analysis: an array of {why, because} */
    T_JSON,     /* any other JSON value (workflow members) */
};

struct member {
    const char *name;
    enum ftype type;
    /* null is refused: the member is required, or null is not its removal */
    bool null_refused;
};

struct body_spec {
    const char *what;
    const char *method;
    const char *path;     /* template */
    const char *if_match; /* template or NULL */
    const char *base;     /* a valid body (never sent as is) */
    struct member members[12];
};

#define CASE_BASE                                                                                  \
    "{\"kind\":\"nonconformity\",\"title\":\"Hostile probe\",\"description\":\"d\","               \
    "\"source\":\"internal_audit\",\"severity\":\"minor\","                                        \
    "\"detected_at\":\"2026-11-20T10:00:00Z\",\"reported_by\":\"probe\",\"owner\":\"o\","          \
    "\"tags\":[\"t\"],\"clause_refs\":[\"A.5.1\"],"                                                \
    "\"external_refs\":[{\"system\":\"jira\",\"key\":\"K-9\"}]}"

/*
 * Every body the API takes as JSON. A PATCH member's null removes it, which is
 * valid for optional members: those are never sent as null.
 */
static const struct body_spec bodies[] = {
    {"case create",
     "POST",
     "/v1/cases",
     NULL,
     CASE_BASE,
     {{"kind", T_STRING, true},
      {"title", T_STRING, true},
      {"description", T_STRING, false},
      {"source", T_STRING, true},
      {"severity", T_STRING, true},
      {"detected_at", T_STRING, true},
      {"reported_by", T_STRING, true},
      {"owner", T_STRING, false},
      {"tags", T_STRINGS, false},
      {"clause_refs", T_STRINGS, false},
      {"external_refs", T_REFS, false}}},
    {"case patch",
     "PATCH",
     "/v1/cases/{case}",
     "\"{v}\"",
     "{\"owner\":\"someone else\"}",
     {{"title", T_STRING, true},
      {"description", T_STRING, false},
      {"source", T_STRING, true},
      {"severity", T_STRING, true},
      {"detected_at", T_STRING, true},
      {"reported_by", T_STRING, true},
      {"owner", T_STRING, false},
      {"tags", T_STRINGS, false},
      {"clause_refs", T_STRINGS, false},
      {"external_refs", T_REFS, false}}},
    {"transition",
     "POST",
     "/v1/cases/{case}/transitions",
     "\"{v}\"",
     "{\"to\":\"contained\",\"comment\":\"contained\"}",
     {{"to", T_STRING, true}, {"comment", T_STRING, false}}},
    {"correction",
     "POST",
     "/v1/cases/{case}/corrections",
     NULL,
     "{\"description\":\"d\",\"performed_by\":\"p\",\"performed_at\":\"2026-11-21T10:00:00Z\"}",
     {{"description", T_STRING, true},
      {"performed_by", T_STRING, true},
      {"performed_at", T_STRING, true}}},
    {"root cause",
     "PUT",
     "/v1/cases/{case}/root-cause",
     NULL,
     "{\"method\":\"five_whys\",\"analysis\":[{\"why\":\"w2\",\"because\":\"b2\"}],"
     "\"root_cause\":\"rc2\",\"similar_exist\":\"no\"}",
     {{"method", T_STRING, true},
      {"analysis", T_ANALYSIS, true},
      {"root_cause", T_STRING, true},
      {"similar_exist", T_STRING, true},
      {"similar_where", T_STRING, false},
      {"similar_cases", T_STRINGS, false}}},
    {"action create",
     "POST",
     "/v1/cases/{case}/actions",
     NULL,
     "{\"type\":\"corrective\",\"title\":\"t\",\"description\":\"d\",\"assignee\":\"a\","
     "\"due_date\":\"2026-12-15\",\"external_refs\":[{\"system\":\"jira\",\"key\":\"K-2\"}]}",
     {{"type", T_STRING, true},
      {"title", T_STRING, true},
      {"description", T_STRING, false},
      {"assignee", T_STRING, false},
      {"due_date", T_STRING, false},
      {"status", T_STRING, false},
      {"completion_note", T_STRING, false},
      {"reason", T_STRING, false},
      {"external_refs", T_REFS, false}}},
    {"action patch",
     "PATCH",
     "/v1/cases/{case}/actions/{action}",
     "\"1\"",
     "{\"assignee\":\"someone else\"}",
     {{"type", T_STRING, true},
      {"title", T_STRING, true},
      {"description", T_STRING, false},
      {"assignee", T_STRING, false},
      {"due_date", T_STRING, false},
      {"status", T_STRING, true},
      {"completion_note", T_STRING, false},
      {"reason", T_STRING, false},
      {"external_refs", T_REFS, false}}},
    {"review",
     "POST",
     "/v1/cases/{case}/reviews",
     NULL,
     "{\"scheduled_for\":\"2027-02-15\",\"reviewer\":\"r\",\"criteria\":\"c\"}",
     {{"scheduled_for", T_STRING, true},
      {"reviewer", T_STRING, true},
      {"criteria", T_STRING, true}}},
    {"verdict",
     "POST",
     "/v1/cases/{case}/reviews/{review}/verdict",
     NULL,
     "{\"verdict\":\"effective\",\"rationale\":\"r\"}",
     {{"verdict", T_STRING, true}, {"rationale", T_STRING, true}, {"evidence", T_STRINGS, false}}},
    {"isms change",
     "POST",
     "/v1/cases/{case}/isms-changes",
     NULL,
     "{\"decision\":\"none_needed\",\"justification\":\"j\"}",
     {{"decision", T_STRING, true},
      {"justification", T_STRING, false},
      {"type", T_STRING, false},
      {"reference", T_STRING, false},
      {"description", T_STRING, false}}},
    {"link",
     "POST",
     "/v1/cases/{case}/links",
     NULL,
     "{\"type\":\"control\",\"control\":\"A.5.2\"}",
     {{"type", T_STRING, true}, {"control", T_STRING, false}, {"target_case", T_STRING, false}}},
    {"comment",
     "POST",
     "/v1/cases/{case}/comments",
     NULL,
     "{\"body\":\"b\"}",
     {{"body", T_STRING, true}}},
    {"approval",
     "POST",
     "/v1/cases/{case}/approvals",
     NULL,
     "{\"step\":\"closure\",\"decision\":\"approve\"}",
     {{"step", T_STRING, true}, {"decision", T_STRING, true}, {"comment", T_STRING, false}}},
    /* base: the current definition, read in the fixtures (NULL here) */
    {"workflow",
     "PUT",
     "/v1/workflows/nonconformity",
     NULL,
     NULL,
     {{"kind", T_STRING, true},
      {"initial", T_STRING, true},
      {"states", T_JSON, true},
      {"transitions", T_JSON, true},
      {"sla_days", T_JSON, true}}},
};
#define N_BODIES (sizeof bodies / sizeof bodies[0])

static const char *
base_of(const struct body_spec *b)
{
    return b->base ? b->base : fx.workflow;
}

/* The media type a body spec's endpoint takes. */
static const char *
media_of(const struct body_spec *b)
{
    return strcmp(b->method, "PATCH") == 0 ? "application/merge-patch+json" : "application/json";
}

/*
 * The base body with member name set to raw (JSON text, sent as is, valid or
 * not); raw NULL leaves the member out. Caller frees.
 */
static char *
body_with(const struct body_spec *b, const char *name, const char *raw)
{
    json_t *j = json_loads(base_of(b), 0, NULL);
    assert_non_null(j);
    json_object_del(j, name);
    char *rest = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_non_null(rest);
    if (raw == NULL)
        return rest;
    char *out = NULL;
    size_t n = strlen(rest);
    rest[n - 1] = '\0'; /* the closing brace */
    assert_true(asprintf(&out, "%s%s\"%s\":%s}", rest, n > 2 ? "," : "", name, raw) > 0);
    free(rest);
    return out;
}

/* The first member of a body: the one that carries per-endpoint hostile values. */
static const char *
first_member(const struct body_spec *b)
{
    return b->members[0].name;
}

/*
 * Whether body b gets variant i of a list. The bodies of the three JSON
 * readers (case create: application/json; case patch: merge patch; workflow:
 * the largest) get every variant; every other body one in stride, rotating,
 * so that each variant still meets several endpoints but the test stays
 * fast (the parsing before validation is shared).
 */
static bool
sample(size_t b, size_t i, size_t stride)
{
    if (b == 0 || b == 1 || b == N_BODIES - 1)
        return true;
    return (b + i) % stride == 0;
}

/* A JSON string of n copies of unit (a UTF-8 sequence), quoted. Caller frees. */
static char *
long_string(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 3);
    assert_non_null(s);
    s[0] = '"';
    for (size_t i = 0; i < n; i++)
        memcpy(s + 1 + i * u, unit, u);
    s[1 + u * n] = '"';
    s[2 + u * n] = '\0';
    return s;
}

/* open nested `open` n times around `inner`, closed again. Caller frees. */
static char *
nested(const char *open, const char *close, size_t n, const char *inner)
{
    size_t o = strlen(open), c = strlen(close), i = strlen(inner);
    char *s = malloc(n * (o + c) + i + 1), *p = s;
    assert_non_null(s);
    for (size_t k = 0; k < n; k++, p += o)
        memcpy(p, open, o);
    memcpy(p, inner, i);
    p += i;
    for (size_t k = 0; k < n; k++, p += c)
        memcpy(p, close, c);
    *p = '\0';
    return s;
}

/* ---- fixtures ------------------------------------------------------------------------- */

static void
must(long got, long want, const char *what, const struct http_resp *r)
{
    if (got != want)
        fail_msg("fixture %s: %ld %s", what, got, r->body);
}

/* POST a record; copies its id into id (37 bytes). */
static void
fixture_record(const char *segment, const char *body, char id[37])
{
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/%s", fx.case_id, segment);
    /* segregation of duties: the harness key raised the case, another principal approves */
    char approver[APIKEY_LEN + 1];
    if (strcmp(segment, "approvals") == 0) {
        harness_apikey(&h, "hostile-approver", ACCESS_ROLE_BIT(WF_ROLE_APPROVER), false, approver);
        memcpy(h.bearer, approver, sizeof h.bearer);
    }
    must(http_json(&h, "POST", path, NULL, body, &r), 201, segment, &r);
    memcpy(h.bearer, h.key, sizeof h.bearer);
    snprintf(id, 37, "%s", json_string_value(json_object_get(r.j, "id")));
    http_resp_cleanup(&r);
}

/* A request as the fixtures' approver (segregation of duties: not the harness key). */
static void
fixture_as_approver(const char *method, const char *path, const char *body, long want)
{
    struct http_resp r;
    char approver[APIKEY_LEN + 1];
    harness_apikey(&h, "hostile-judge", ACCESS_ROLE_BIT(WF_ROLE_APPROVER), false, approver);
    memcpy(h.bearer, approver, sizeof h.bearer);
    must(http_json(&h, method, path, NULL, body, &r), want, path, &r);
    memcpy(h.bearer, h.key, sizeof h.bearer);
    http_resp_cleanup(&r);
}

/* Move the fixture case on (its workflow's guards are met by the fixtures before). */
static void
fixture_move(const char *to)
{
    struct http_resp r;
    char path[160], body[96];
    snprintf(path, sizeof path, "/v1/cases/%s", fx.case_id);
    must(http_json(&h, "GET", path, NULL, NULL, &r), 200, "case read", &r);
    char etag[sizeof r.etag];
    memcpy(etag, r.etag, sizeof etag);
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", fx.case_id);
    snprintf(body, sizeof body, "{\"to\":\"%s\"}", to);
    must(http_json(&h, "POST", path, etag, body, &r), 200, to, &r);
    http_resp_cleanup(&r);
}

/* SQL injection as plain text: stored and read back verbatim, nothing else happens. */
static const char *const sqli_title = "Robert'); DROP TABLE cases;--";
static const char *const sqli_text = "' OR 1=1-- \" OR \"\"=\" ; SELECT pg_sleep(5); /*";
static const char *const sqli_person = "admin'--";

static void
fixtures(void)
{
    struct http_resp r;
    char path[256], *body;

    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s]}", "kind", "nonconformity", "title",
        sqli_title, "description", sqli_text, "source", "internal_audit", "severity", "major",
        "detected_at", "2026-11-20T10:00:00Z", "reported_by", sqli_person, "owner",
        "x' UNION SELECT * FROM idempotency_keys--", "tags", "sqli", "clause_refs", "A.5.18");
    body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    must(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201, "case", &r);
    free(body);
    snprintf(fx.case_id, sizeof fx.case_id, "%s", json_string_value(json_object_get(r.j, "id")));
    snprintf(fx.key, sizeof fx.key, "%s", json_string_value(json_object_get(r.j, "key")));
    assert_string_equal(json_string_value(json_object_get(r.j, "title")), sqli_title);
    assert_string_equal(json_string_value(json_object_get(r.j, "description")), sqli_text);
    assert_string_equal(json_string_value(json_object_get(r.j, "reported_by")), sqli_person);
    http_resp_cleanup(&r);

    body = harness_case_body("The other case", "minor");
    must(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201, "other case", &r);
    free(body);
    snprintf(fx.other, sizeof fx.other, "%s", json_string_value(json_object_get(r.j, "id")));
    http_resp_cleanup(&r);

    /*
     * The case walked through clause 10.2 to a closure approval: only then
     * does an approval count. The action and review the hostile requests aim
     * at come after, open and awaiting their verdict.
     */
    char done_action[37], judged_review[37];
    fixture_record("corrections",
                   "{\"description\":\"'; DELETE FROM case_records;--\",\"performed_by\":\"ops\","
                   "\"performed_at\":\"2026-11-20T12:00:00Z\"}",
                   fx.correction);
    fixture_move("contained");
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", fx.case_id);
    must(http_json(&h, "PUT", path, NULL,
                   "{\"method\":\"five_whys\",\"analysis\":[{\"why\":\"w\",\"because\":\"b\"}],"
                   "\"root_cause\":\"rc\",\"similar_exist\":\"no\"}",
                   &r),
         200, "root cause", &r);
    http_resp_cleanup(&r);
    fixture_move("analysed");
    fixture_record("actions",
                   "{\"type\":\"corrective\",\"title\":\"Fixed\",\"assignee\":\"ops\","
                   "\"due_date\":\"2099-12-15\"}",
                   done_action);
    fixture_move("actions_in_progress");
    snprintf(path, sizeof path, "/v1/cases/%s/actions/%s", fx.case_id, done_action);
    must(http_json(&h, "PATCH", path, "\"1\"",
                   "{\"status\":\"done\",\"completion_note\":\"fixed\"}", &r),
         200, "action done", &r);
    http_resp_cleanup(&r);
    fixture_record("reviews",
                   "{\"scheduled_for\":\"2099-02-15\",\"reviewer\":\"audit\","
                   "\"criteria\":\"no repeat\"}",
                   judged_review);
    fixture_move("verifying");
    snprintf(path, sizeof path, "/v1/cases/%s/reviews/%s/verdict", fx.case_id, judged_review);
    fixture_as_approver("POST", path,
                        "{\"verdict\":\"effective\",\"rationale\":\"no repeat\","
                        "\"early_reason\":\"the fixture\"}",
                        200);
    fixture_record("isms-changes", "{\"decision\":\"none_needed\",\"justification\":\"none\"}",
                   fx.isms);
    fixture_record("approvals", "{\"step\":\"closure\",\"decision\":\"approve\"}", fx.approval);
    fixture_record("actions",
                   "{\"type\":\"corrective\",\"title\":\"Fix it\",\"assignee\":\"ops\","
                   "\"due_date\":\"2099-12-15\"}",
                   fx.action);
    fixture_record("reviews",
                   "{\"scheduled_for\":\"2099-02-15\",\"reviewer\":\"audit\","
                   "\"criteria\":\"no repeat\"}",
                   fx.review);
    fixture_record("links", "{\"type\":\"control\",\"control\":\"A.5.18\"}", fx.link);
    fixture_record("comments", "{\"body\":\"1; DROP TABLE case_events\"}", fx.comment);

    const char *ct[] = {"Content-Type: text/csv", NULL};
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=export.csv", fx.case_id);
    must(http_do(&h, "POST", path, ct, "a,b\n1,2\n", 8, &r), 201, "evidence", &r);
    snprintf(fx.evidence, sizeof fx.evidence, "%s", json_string_value(json_object_get(r.j, "id")));
    http_resp_cleanup(&r);

    snprintf(path, sizeof path, "/v1/cases/%s", fx.case_id);
    must(http_json(&h, "GET", path, NULL, NULL, &r), 200, "case read", &r);
    snprintf(fx.version, sizeof fx.version, "%lld",
             (long long)json_integer_value(json_object_get(r.j, "version")));
    assert_string_equal(json_string_value(json_object_get(r.j, "title")), sqli_title);
    http_resp_cleanup(&r);

    must(http_json(&h, "GET", "/v1/workflows", NULL, NULL, &r), 200, "workflows", &r);
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(r.j, "items"), i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "kind")), "nonconformity") == 0)
            fx.workflow = json_dumps(json_object_get(item, "definition"), JSON_COMPACT);
    }
    assert_non_null(fx.workflow);
    http_resp_cleanup(&r);

    /* the injection strings were data: every table is still there */
    long tables = harness_sql_long(&h, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                       "'public'");
    assert_true(tables >= 9);
    fx.checksum = harness_db_checksum(&h);
}

/* ---- 1. JSON syntax: truncated, malformed, nested, invalid UTF-8, NUL, numbers ---------- */

static void
test_hostile_json_syntax(void **state)
{
    (void)state;
    /* malformed or truncated: 400 */
    static const char *const malformed[] = {
        "",
        "{",
        "{\"a\":",
        "{\"title\":\"unterminated",
        "[",
        "{\"a\":1,}",
        "{'a':1}",
        "{\"a\":1}}",
        "{\"a\":1} trailing",
        "nul",
        "{\"a\" 1}",
        "{\"a\":tru}",
        "\xef\xbb\xbf{}",    /* a byte order mark */
        "{\"a\":1,\"a\":2}", /* a duplicated member */
    };
    char what[160];

    group_begin();
    for (size_t b = 0; b < N_BODIES; b++) {
        const struct body_spec *spec = &bodies[b];
        for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
            if (!sample(b, i, 4))
                continue;
            snprintf(what, sizeof what, "%s: malformed JSON #%zu", spec->what, i);
            send_json(what, spec->method, spec->path, spec->if_match, malformed[i], 400);
        }

        /* 10 000 levels: past jansson's depth limit, 400 */
        char *deep = nested("[", "]", 10000, "");
        snprintf(what, sizeof what, "%s: arrays 10000 deep", spec->what);
        send_json(what, spec->method, spec->path, spec->if_match, deep, 400);
        free(deep);
        deep = nested("{\"a\":", "}", 10000, "1");
        snprintf(what, sizeof what, "%s: objects 10000 deep", spec->what);
        send_json(what, spec->method, spec->path, spec->if_match, deep, 400);
        free(deep);
        /* 2 000 levels: parsed, then refused by the depth bound (JSHAPE_MAX_DEPTH), 400 */
        char *inner = nested("[", "]", 2000, ""), *body = NULL;
        if (sample(b, 0, 2)) {
            body = body_with(spec, first_member(spec), inner);
            snprintf(what, sizeof what, "%s: %s arrays 2000 deep", spec->what, first_member(spec));
            send_json(what, spec->method, spec->path, spec->if_match, body, 400);
            free(body);
        }
        free(inner);
        inner = nested("{\"a\":", "}", 2000, "\"x\"");
        if (sample(b, 1, 2)) {
            body = body_with(spec, first_member(spec), inner);
            snprintf(what, sizeof what, "%s: %s objects 2000 deep", spec->what, first_member(spec));
            send_json(what, spec->method, spec->path, spec->if_match, body, 400);
            free(body);
        }
        free(inner);
        /* within the bound: the member's validator refuses the nesting, 422 */
        inner = nested("{\"a\":", "}", 30, "\"x\"");
        body = body_with(spec, first_member(spec), inner);
        snprintf(what, sizeof what, "%s: %s objects 30 deep", spec->what, first_member(spec));
        send_json(what, spec->method, spec->path, spec->if_match, body, 422);
        free(body);
        free(inner);

        /* invalid UTF-8 and lone surrogates in a string: 400 */
        static const char *const bad_text[] = {
            "\"a\xff"
            "b\"",                  /* 0xFF */
            "\"\xc0\xaf\"",         /* overlong '/' */
            "\"\xe0\x80\xaf\"",     /* overlong '/', three bytes */
            "\"\xed\xa0\x80\"",     /* a surrogate encoded as UTF-8 */
            "\"\\ud800\"",          /* lone high surrogate */
            "\"\\udc00x\"",         /* lone low surrogate */
            "\"\\ud800\\u0041\"",   /* high surrogate, then not a low one */
            "\"\xf4\x90\x80\x80\"", /* past U+10FFFF */
            "\"\xc3\"",             /* truncated sequence */
        };
        for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
            if (!sample(b, i, 3))
                continue;
            body = body_with(spec, first_member(spec), bad_text[i]);
            snprintf(what, sizeof what, "%s: %s invalid UTF-8 #%zu", spec->what, first_member(spec),
                     i);
            send_json(what, spec->method, spec->path, spec->if_match, body, 400);
            free(body);
        }
        /* an invalid member name */
        char *bad_name = NULL;
        assert_true(asprintf(&bad_name, "{\"\xff\xfe\":1,%s", base_of(spec) + 1) > 0);
        snprintf(what, sizeof what, "%s: invalid UTF-8 member name", spec->what);
        send_json(what, spec->method, spec->path, spec->if_match, bad_name, 400);
        free(bad_name);

        /* NUL as an escape: jansson refuses it without JSON_ALLOW_NUL, 400 */
        static const char *const nul_text[] = {"\"a\\u0000b\"", "\"\\u0000\""};
        for (size_t i = 0; i < 2; i++) {
            if (!sample(b, i, 2))
                continue;
            body = body_with(spec, first_member(spec), nul_text[i]);
            snprintf(what, sizeof what, "%s: %s \\u0000 #%zu", spec->what, first_member(spec), i);
            send_json(what, spec->method, spec->path, spec->if_match, body, 400);
            free(body);
        }
        assert_true(asprintf(&bad_name, "{\"a\\u0000b\":1,%s", base_of(spec) + 1) > 0);
        snprintf(what, sizeof what, "%s: \\u0000 in a member name", spec->what);
        send_json(what, spec->method, spec->path, spec->if_match, bad_name, 400);
        free(bad_name);

        /* numbers jansson cannot hold: 400 */
        static const char *const bad_numbers[] = {
            "99999999999999999999", "1e400", "-1e400", "NaN", "Infinity", "0x10", "01", ".5"};
        for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
            if (!sample(b, i, 4))
                continue;
            body = body_with(spec, first_member(spec), bad_numbers[i]);
            snprintf(what, sizeof what, "%s: %s = %s", spec->what, first_member(spec),
                     bad_numbers[i]);
            send_json(what, spec->method, spec->path, spec->if_match, body, 400);
            free(body);
        }
        /* not an object: 422, or 400 for a scalar (jansson decodes only arrays and objects) */
        static const char *const not_object[] = {"[]", "[{}]", "\"text\"", "42", "null", "true"};
        for (size_t i = 0; i < sizeof not_object / sizeof not_object[0]; i++) {
            if (!sample(b, i, 3))
                continue;
            snprintf(what, sizeof what, "%s: body %s", spec->what, not_object[i]);
            send_json(what, spec->method, spec->path, spec->if_match, not_object[i],
                      not_object[i][0] == '[' ? 422 : 400);
        }
    }
    group_end("JSON syntax");
}

/* ---- 2. every member: wrong types, long strings, injection, mass assignment ------------- */

static void
test_hostile_members(void **state)
{
    (void)state;
    /* wrong types (valid JSON): 422 */
    static const char *const not_string[] = {
        "123", "-1.5e300", "true",           "false",  "{}",
        "[]",  "[\"x\"]",  "{\"$gt\":\"\"}", "1e-400", "-9223372036854775808"};
    static const char *const not_strings[] = {"\"x\"",  "123",  "true", "{}",    "[123]",
                                              "[null]", "[{}]", "[[]]", "[true]"};
    static const char *const not_refs[] = {"\"x\"",
                                           "123",
                                           "true",
                                           "{}",
                                           "[123]",
                                           "[null]",
                                           "[\"x\"]",
                                           "[[]]",
                                           "[{\"system\":1,\"key\":\"k\"}]",
                                           "[{\"system\":\"jira\",\"key\":{}}]"};
    static const char *const not_analysis[] = {
        "\"x\"", "123", "true", "{}", "[]", "[1]", "[{}]", "[{\"why\":1,\"because\":2}]"};
    static const char *const not_json[] = {"\"x\"", "123", "true", "{}", "[1]", "[null]", "[[]]"};
    /* injection as text in every member: refused for its format, or for the extra member */
    static const char *const sqli[] = {"\"' OR 1=1--\"", "\"'; DROP TABLE cases;--\"",
                                       "\"1' UNION SELECT key, request_hash FROM "
                                       "idempotency_keys--\"",
                                       "\"..%2F..%2Fetc%2Fpasswd\"", "\"../../etc/passwd\""};
    char what[200];
    size_t k = 0; /* members so far: rotates the variants each member gets */

    group_begin();
    for (size_t b = 0; b < N_BODIES; b++) {
        const struct body_spec *spec = &bodies[b];
        /* half the wrong types for the three JSON readers, a quarter elsewhere */
        size_t stride = sample(b, 1, 1000) ? 2 : 4;
        for (const struct member *m = spec->members; m->name; m++, k++) {
            const char *const *values;
            size_t n;
            switch (m->type) {
            case T_STRING:
                values = not_string, n = sizeof not_string / sizeof not_string[0];
                break;
            case T_STRINGS:
                values = not_strings, n = sizeof not_strings / sizeof not_strings[0];
                break;
            case T_REFS:
                values = not_refs, n = sizeof not_refs / sizeof not_refs[0];
                break;
            case T_ANALYSIS:
                values = not_analysis, n = sizeof not_analysis / sizeof not_analysis[0];
                break;
            default:
                values = not_json, n = sizeof not_json / sizeof not_json[0];
                break;
            }
            for (size_t i = 0; i < n; i++) {
                if ((i + k) % stride != 0)
                    continue;
                char *body = body_with(spec, m->name, values[i]);
                snprintf(what, sizeof what, "%s: %s = %s", spec->what, m->name, values[i]);
                send_json(what, spec->method, spec->path, spec->if_match, body, 422);
                free(body);
            }
            if (m->null_refused) {
                char *body = body_with(spec, m->name, "null");
                snprintf(what, sizeof what, "%s: %s = null", spec->what, m->name);
                send_json(what, spec->method, spec->path, spec->if_match, body, 422);
                free(body);
            }

            /* a long string: over every limit (20 000 characters is the longest) */
            if (m->type == T_STRING || m->type == T_STRINGS || m->type == T_REFS) {
                static const char *const units[] = {"A", "\xc3\xa9"};
                static const size_t counts[] = {25000, 20001};
                for (size_t u = k % 2; u < 2; u += 2) {
                    char *s = long_string(units[u], counts[u]), *raw = NULL;
                    if (m->type == T_STRING)
                        raw = strdup(s);
                    else if (m->type == T_STRINGS)
                        assert_true(asprintf(&raw, "[%s]", s) > 0);
                    else
                        assert_true(asprintf(&raw, "[{\"system\":\"jira\",\"key\":%s}]", s) > 0);
                    char *body = body_with(spec, m->name, raw);
                    snprintf(what, sizeof what, "%s: %s = %zu x \"%s\"", spec->what, m->name,
                             counts[u], u ? "e-acute" : "A");
                    send_json(what, spec->method, spec->path, spec->if_match, body, 422);
                    free(body);
                    free(raw);
                    free(s);
                }
            }

            /* an injection string; an unknown member makes sure nothing is written */
            for (size_t i = 0; i < sizeof sqli / sizeof sqli[0]; i++) {
                if ((i + k) % (sizeof sqli / sizeof sqli[0]) != 0)
                    continue;
                char *raw = NULL;
                if (m->type == T_STRING || m->type == T_JSON)
                    raw = strdup(sqli[i]);
                else if (m->type == T_REFS)
                    assert_true(asprintf(&raw, "[{\"system\":\"jira\",\"key\":%s}]", sqli[i]) > 0);
                else if (m->type == T_ANALYSIS)
                    assert_true(asprintf(&raw, "[{\"why\":%s,\"because\":\"b\"}]", sqli[i]) > 0);
                else
                    assert_true(asprintf(&raw, "[%s]", sqli[i]) > 0);
                char *body = body_with(spec, m->name, raw);
                char *with_extra = NULL;
                assert_true(asprintf(&with_extra, "{\"zz_not_a_member\":1,%s", body + 1) > 0);
                snprintf(what, sizeof what, "%s: %s = %s, and an unknown member", spec->what,
                         m->name, sqli[i]);
                send_json(what, spec->method, spec->path, spec->if_match, with_extra, 422);
                free(with_extra);
                free(body);
                free(raw);
            }
        }
    }

    /* mass assignment: members only the service writes */
    static const char *const case_read_only[] = {"\"id\":\"" NO_CASE "\"",
                                                 "\"key\":\"NC-2026-9999\"",
                                                 "\"status\":\"closed\"",
                                                 "\"version\":99",
                                                 "\"workflow_version\":2",
                                                 "\"created_at\":\"2020-01-01T00:00:00Z\"",
                                                 "\"updated_at\":\"2020-01-01T00:00:00Z\"",
                                                 "\"closed_at\":\"2020-01-01T00:00:00Z\"",
                                                 "\"contained_at\":\"2020-01-01T00:00:00Z\"",
                                                 "\"contain_due_at\":null",
                                                 "\"close_due_at\":\"2099-01-01T00:00:00Z\"",
                                                 "\"overdue\":false",
                                                 "\"reopened_count\":-1",
                                                 "\"recurrence_candidates\":[]",
                                                 "\"readiness\":{}",
                                                 "\"kind\":\"improvement\"",
                                                 "\"__proto__\":{\"admin\":true}",
                                                 "\"actor\":{\"kind\":\"system\"}"};
    static const char *const record_read_only[] = {"\"id\":\"" NO_CASE "\"",
                                                   "\"case_id\":\"{other}\"",
                                                   "\"number\":1",
                                                   "\"version\":99",
                                                   "\"created_at\":\"2020-01-01T00:00:00Z\"",
                                                   "\"created_by\":{\"kind\":\"system\"}",
                                                   "\"updated_at\":\"2020-01-01T00:00:00Z\"",
                                                   "\"updated_by\":\"x\"",
                                                   "\"removed_at\":\"2020-01-01T00:00:00Z\"",
                                                   "\"verdict\":\"effective\"",
                                                   "\"sha256\":\"00\"",
                                                   "\"size\":1"};
    for (size_t b = 0; b < N_BODIES; b++) {
        const struct body_spec *spec = &bodies[b];
        bool is_case = strncmp(spec->what, "case ", 5) == 0;
        const char *const *extra = is_case ? case_read_only : record_read_only;
        size_t n = is_case ? sizeof case_read_only / sizeof case_read_only[0]
                           : sizeof record_read_only / sizeof record_read_only[0];
        for (size_t i = 0; i < n; i++) {
            /* every one for cases; for records, a third each, rotating */
            if (!is_case && (i + b) % 3 != 0)
                continue;
            /* "kind" is a create member of a case; "verdict" is the verdict's own */
            if ((strcmp(spec->what, "case create") == 0 && strncmp(extra[i], "\"kind\"", 6) == 0) ||
                (strcmp(spec->what, "verdict") == 0 && strncmp(extra[i], "\"verdict\"", 9) == 0))
                continue;
            char *member = expand(extra[i]), *body = NULL;
            assert_true(asprintf(&body, "{%s,%s", member, base_of(spec) + 1) > 0);
            snprintf(what, sizeof what, "%s: mass assignment %s", spec->what, member);
            send_json(what, spec->method, spec->path, spec->if_match, body, 422);
            free(body);
            free(member);
        }
    }
    /* a member name over JSHAPE_MAX_KEY bytes, anywhere: 400 before any validator */
    for (size_t b = 0; b < N_BODIES; b++) {
        char name[JSHAPE_MAX_KEY + 2], *body = NULL;
        memset(name, 'n', JSHAPE_MAX_KEY + 1);
        name[JSHAPE_MAX_KEY + 1] = '\0';
        assert_true(asprintf(&body, "{\"%s\":1,%s", name, base_of(&bodies[b]) + 1) > 0);
        snprintf(what, sizeof what, "%s: a member name of %d bytes", bodies[b].what,
                 JSHAPE_MAX_KEY + 1);
        send_json(what, bodies[b].method, bodies[b].path, bodies[b].if_match, body, 400);
        free(body);
    }
    /*
     * Unknown member names that an error message quotes, cut to a length that
     * falls inside a two-byte character: the error must still be reported.
     */
    char cut[512];
    for (size_t w = 1; w <= 2; w++) {
        /* w = 1: "a" then 'e-acute's (an odd cut); w = 2: 'e-acute's only */
        size_t o = 0;
        if (w == 1)
            cut[o++] = 'a';
        /* 120 bytes: within JSHAPE_MAX_KEY, and cut by every error message that quotes it */
        for (size_t i = 0; i < 60; i++, o += 2)
            memcpy(cut + o, "\xc3\xa9", 2);
        cut[o] = '\0';
        char *raw = NULL, *body = NULL;
        assert_true(asprintf(&raw, "[{\"system\":\"jira\",\"key\":\"K-1\",\"%s\":1}]", cut) > 0);
        for (size_t b = 0; b < N_BODIES; b++) {
            for (const struct member *m = bodies[b].members; m->name; m++) {
                if (m->type != T_REFS)
                    continue;
                body = body_with(&bodies[b], m->name, raw);
                snprintf(what, sizeof what, "%s: %s with a long multibyte member name #%zu",
                         bodies[b].what, m->name, w);
                send_json(what, bodies[b].method, bodies[b].path, bodies[b].if_match, body, 422);
                free(body);
            }
        }
        free(raw);
        /* a member name at the top of every body */
        for (size_t b = 0; b < N_BODIES; b++) {
            assert_true(asprintf(&body, "{\"%s\":1,%s", cut, base_of(&bodies[b]) + 1) > 0);
            snprintf(what, sizeof what, "%s: a long multibyte member name #%zu", bodies[b].what, w);
            send_json(what, bodies[b].method, bodies[b].path, bodies[b].if_match, body, 422);
            free(body);
        }
        /* inside a workflow: a state, a transition, a severity */
        static const char *const inside[] = {"states", "transitions", "sla_days"};
        for (size_t i = 0; i < 3; i++) {
            json_t *j = json_loads(fx.workflow, 0, NULL), *target = json_object_get(j, inside[i]);
            assert_non_null(target);
            if (json_is_array(target))
                json_object_set_new(json_array_get(target, 0), cut, json_integer(1));
            else
                json_object_set_new(target, cut, json_pack("{s:i, s:i}", "contain", 1, "close", 2));
            body = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            snprintf(what, sizeof what, "workflow: a long multibyte member name in %s #%zu",
                     inside[i], w);
            send_json(what, "PUT", "/v1/workflows/nonconformity", NULL, body, 422);
            free(body);
        }
    }

    /* an action is created open: status and its notes are refused */
    send_json("action create: status done", "POST", "/v1/cases/{case}/actions", NULL,
              "{\"type\":\"corrective\",\"title\":\"t\",\"status\":\"done\","
              "\"completion_note\":\"n\"}",
              422);
    group_end("members");
}

/* ---- 3. dates and values out of range --------------------------------------------------- */

static void
test_hostile_dates(void **state)
{
    (void)state;
    static const char *const bad_datetimes[] = {
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-11-20",
        "2026-11-20T25:00:00Z",
        "2026-11-20T10:60:00Z",
        "2026-06-30T23:59:60Z",
        "2026-11-20T10:00:00",
        "2026-11-20 10:00:00Z",
        "1899-12-31T23:59:59Z",
        "10000-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "-2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00+24:00",
        "2026-11-20T10:00:00+0100",
        "2026-11-20T10:00:00.1234567890Z",
        "2026-11-20T10:00:00.Z",
        " 2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00Z ",
        "yesterday",
        "1732096800",
        "2026-W47-5T10:00:00Z",
        "+002026-11-20T10:00:00Z",
        "2026-11-20T10:00:00\\u0000Z",
        "9999-12-31T23:59:59+00:00Z",
        "1900-01-01T00:00:00+00:01",
    };
    /* valid instants whose due dates (detection + 30 or 90 SLA days) fall after 9999 */
    static const char *const far_datetimes[] = {"9999-12-31T00:00:00Z", "9999-12-20T00:00:00Z"};
    static const char *const bad_dates[] = {"2026-02-29", "2026-1-5",   "2026-01-05T00:00:00Z",
                                            "20260105",   "1899-12-31", "10000-01-01",
                                            "2026-04-31", "2026/01/05", "0000-00-00"};
    char what[200], raw[96];

    group_begin();
    const struct {
        const char *body_what, *member;
        const char *const *values;
        size_t n;
    } uses[] = {
        {"case create", "detected_at", bad_datetimes,
         sizeof bad_datetimes / sizeof bad_datetimes[0]},
        {"case patch", "detected_at", bad_datetimes,
         sizeof bad_datetimes / sizeof bad_datetimes[0]},
        {"correction", "performed_at", bad_datetimes,
         sizeof bad_datetimes / sizeof bad_datetimes[0]},
        {"case create", "detected_at", far_datetimes, 2},
        {"case patch", "detected_at", far_datetimes, 2},
        {"action create", "due_date", bad_dates, sizeof bad_dates / sizeof bad_dates[0]},
        {"action patch", "due_date", bad_dates, sizeof bad_dates / sizeof bad_dates[0]},
        {"review", "scheduled_for", bad_dates, sizeof bad_dates / sizeof bad_dates[0]},
    };
    for (size_t u = 0; u < sizeof uses / sizeof uses[0]; u++) {
        const struct body_spec *spec = NULL;
        for (size_t b = 0; b < N_BODIES; b++)
            if (strcmp(bodies[b].what, uses[u].body_what) == 0)
                spec = &bodies[b];
        assert_non_null(spec);
        for (size_t i = 0; i < uses[u].n; i++) {
            /* every value for a case create and an action create, every other one after */
            if (uses[u].n > 2 && u != 0 && u != 5 && (i + u) % 2 != 0)
                continue;
            snprintf(raw, sizeof raw, "\"%s\"", uses[u].values[i]);
            char *body = body_with(spec, uses[u].member, raw);
            snprintf(what, sizeof what, "%s: %s = %s", spec->what, uses[u].member, raw);
            /* \u0000 is a JSON error (400); the rest are invalid values (422) */
            send_json(what, spec->method, spec->path, spec->if_match, body,
                      strstr(raw, "\\u0000") ? 400 : 422);
            free(body);
        }
    }

    /*
     * Well-formed, and impossible: a detection or a correction in the future, a
     * correction before the case was detected (2026-11-20T10:00Z), a due date or
     * a review before today; clause references the 2022 edition does not have.
     */
    static const char *const future[] = {"\"2099-01-01T00:00:00Z\"", "\"9000-06-30T12:00:00Z\""};
    static const char *const before_detection[] = {"\"2026-11-20T09:59:59Z\"",
                                                   "\"1900-01-01T00:00:00Z\""};
    static const char *const past_dates[] = {"\"2020-01-01\"", "\"1900-01-01\"", "\"2026-11-19\""};
    static const char *const unknown_refs[] = {
        "[\"8.13\"]",  "[\"A.9.2.1\"]",         "[\"11\"]", "[\"A.8.35\"]", "[\"A.5.0\"]",
        "[\"6.1.4\"]", "[\"9.2\",\"A.14.2.8\"]"};
    const struct {
        const char *body_what, *member;
        const char *const *values;
        size_t n;
    } impossible[] = {
        {"case create", "detected_at", future, 2},
        {"case patch", "detected_at", future, 2},
        {"correction", "performed_at", future, 2},
        {"correction", "performed_at", before_detection, 2},
        {"action create", "due_date", past_dates, 3},
        {"action patch", "due_date", past_dates, 3},
        {"review", "scheduled_for", past_dates, 3},
        {"case create", "clause_refs", unknown_refs, sizeof unknown_refs / sizeof unknown_refs[0]},
        {"case patch", "clause_refs", unknown_refs, sizeof unknown_refs / sizeof unknown_refs[0]},
    };
    for (size_t u = 0; u < sizeof impossible / sizeof impossible[0]; u++) {
        const struct body_spec *spec = NULL;
        for (size_t b = 0; b < N_BODIES; b++)
            if (strcmp(bodies[b].what, impossible[u].body_what) == 0)
                spec = &bodies[b];
        assert_non_null(spec);
        for (size_t i = 0; i < impossible[u].n; i++) {
            char *body = body_with(spec, impossible[u].member, impossible[u].values[i]);
            snprintf(what, sizeof what, "%s: %s = %s (impossible)", spec->what,
                     impossible[u].member, impossible[u].values[i]);
            send_json(what, spec->method, spec->path, spec->if_match, body, 422);
            free(body);
        }
    }
    group_end("dates");
}

/* ---- 3b. uploads: multipart bodies, digests, empty files ------------------------------ */

#define MP_CT "Content-Type: multipart/form-data; boundary=XyZ"
#define MP_FILE_HEAD                                                                               \
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"

static void
test_hostile_uploads(void **state)
{
    (void)state;
    static const struct {
        const char *what, *content_type, *body;
        int expect;
    } multipart[] = {
        {"no closing boundary", MP_CT, MP_FILE_HEAD "\r\nabc\r\n", 400},
        {"closing boundary cut", MP_CT, MP_FILE_HEAD "\r\nabc\r\n--XyZ-", 400},
        {"only a preamble", MP_CT, "just some text", 400},
        {"no disposition", MP_CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--\r\n",
         400},
        {"a disposition of another type", MP_CT,
         "--XyZ\r\nContent-Disposition: attachment; filename=\"a\"\r\n\r\nx\r\n--XyZ--\r\n", 400},
        {"headers without their empty line", MP_CT, MP_FILE_HEAD "abc\r\n--XyZ--\r\n", 400},
        {"a line starting with the boundary", MP_CT, MP_FILE_HEAD "\r\nabc\r\n--XyZabc\r\n--XyZ--",
         400},
        {"base64 transfer encoding", MP_CT,
         MP_FILE_HEAD "Content-Transfer-Encoding: base64\r\n\r\nYWJj\r\n--XyZ--\r\n", 400},
        {"the name twice", MP_CT,
         "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"; filename=\"x\"\r\n\r\n"
         "x\r\n--XyZ--\r\n",
         400},
        {"a control character in the filename", MP_CT,
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\x01.txt\"\r\n\r\n"
         "x\r\n--XyZ--\r\n",
         400},
        {"an invalid UTF-8 filename", MP_CT,
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xff\xfe.txt\"\r\n\r\n"
         "x\r\n--XyZ--\r\n",
         400},
        {"a path as the filename", MP_CT,
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n"
         "\r\nx\r\n--XyZ--\r\n",
         422},
        {"two files", MP_CT,
         MP_FILE_HEAD "\r\na\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f2\"; "
                      "filename=\"b\"\r\n\r\nb\r\n--XyZ--\r\n",
         422},
        {"no file, a field", MP_CT,
         "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nx\r\n--XyZ--\r\n", 422},
        {"an empty file", MP_CT, MP_FILE_HEAD "\r\n\r\n--XyZ--\r\n", 422},
        {"supersedes that is no evidence", MP_CT,
         MP_FILE_HEAD
         "\r\na\r\n--XyZ\r\nContent-Disposition: form-data; name=\"supersedes\"\r\n\r\n"
         "' OR 1=1--\r\n--XyZ--\r\n",
         422},
        {"no boundary", "Content-Type: multipart/form-data", MP_FILE_HEAD "\r\na\r\n--XyZ--", 400},
        {"an empty boundary", "Content-Type: multipart/form-data; boundary=", "x", 400},
        {"a boundary of 71",
         "Content-Type: multipart/form-data; boundary="
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "x", 400},
        {"the boundary twice", "Content-Type: multipart/form-data; boundary=a; boundary=b", "x",
         400},
    };
    char what[200];

    group_begin();
    for (size_t i = 0; i < sizeof multipart / sizeof multipart[0]; i++) {
        const char *hd[] = {multipart[i].content_type, NULL};
        snprintf(what, sizeof what, "multipart: %s", multipart[i].what);
        send_raw(what, "POST", "/v1/cases/{case}/evidence", hd, multipart[i].body,
                 strlen(multipart[i].body), multipart[i].expect, CHECK_PROBLEM);
    }

    /* a header block over 8 KiB */
    size_t big_len = 9000;
    char *big = malloc(big_len + 256);
    assert_non_null(big);
    int off = snprintf(big, 256, "%sX-Long: ", MP_FILE_HEAD);
    memset(big + off, 'h', big_len);
    snprintf(big + off + big_len, 256, "\r\n\r\nabc\r\n--XyZ--\r\n");
    const char *hd_mp[] = {MP_CT, NULL};
    send_raw("multipart: 9000 bytes of part headers", "POST", "/v1/cases/{case}/evidence", hd_mp,
             big, strlen(big), 400, CHECK_PROBLEM);
    free(big);

    /* digests: malformed (400), or of another body (422); nothing stored either way */
    static const struct {
        const char *header;
        int expect;
    } digests[] = {
        {"Content-Digest: sha-256=abc", 400},
        {"Content-Digest: sha-256=:not base64!:", 400},
        {"Content-Digest: sha-256=:YWJj:", 400}, /* 3 bytes, not 32 */
        {"Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, ,", 400},
        {"Content-Digest: SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", 400},
        {"Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", 422},
        {"Repr-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", 422},
        {"Content-Digest: sha-512=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
         422},
    };
    for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++) {
        const char *hd[] = {"Content-Type: text/plain", digests[i].header, NULL};
        snprintf(what, sizeof what, "digest: %s", digests[i].header);
        send_raw(what, "POST", "/v1/cases/{case}/evidence?filename=d.txt", hd, "another body", 12,
                 digests[i].expect, CHECK_PROBLEM);
    }
    /* raw bodies: empty; named by a malformed disposition */
    const char *hd_text[] = {"Content-Type: text/plain", NULL};
    send_raw("raw: an empty file", "POST", "/v1/cases/{case}/evidence?filename=e.txt", hd_text, "",
             0, 422, CHECK_PROBLEM);
    static const char *const dispositions[] = {
        "Content-Disposition: attachment; filename=\"unterminated",
        "Content-Disposition: attachment; filename*=UTF-8''%ZZ",
        "Content-Disposition: attachment; filename=\"a\"; filename=\"b\"",
        "Content-Disposition: ; filename=a",
    };
    for (size_t i = 0; i < sizeof dispositions / sizeof dispositions[0]; i++) {
        const char *hd[] = {"Content-Type: text/plain", dispositions[i], NULL};
        snprintf(what, sizeof what, "raw: %s", dispositions[i]);
        send_raw(what, "POST", "/v1/cases/{case}/evidence", hd, "x", 1, 400, CHECK_PROBLEM);
    }
    const char *hd_path[] = {"Content-Type: text/plain",
                             "Content-Disposition: attachment; filename=\"../../x\"", NULL};
    send_raw("raw: a path as the filename", "POST", "/v1/cases/{case}/evidence", hd_path, "x", 1,
             422, CHECK_PROBLEM);
    group_end("uploads");
}

/* ---- 4. ids in the path: injection, traversal, NUL, invalid UTF-8, long ---------------- */

static void
test_hostile_paths(void **state)
{
    (void)state;
    static const char *const bad_ids[] = {
        "%27%20OR%201%3D1--",
        "%27%3B%20DROP%20TABLE%20cases%3B--",
        "1%20OR%201%3D1",
        "NC-2026-0001%27%20OR%20%271%27%3D%271",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%5C..%5Cwindows",
        "%00",
        "a%00b",
        "%FF%FE",
        "%C0%AE%C0%AE",
        "%E2%80%AE",
        NO_CASE,
        "00000000-0000-0000-0000-00000000000G",
        "{case}%00",
        "{case}%20",
        "{key}x",
        "%7Bcase%7D",
        "NC-2026-00001%0D%0AX-Injected:%201",
        "*",
        "%25",
    };
    /* every GET route under a case: before and after {id} */
    static const char *const case_routes[][2] = {
        {"/v1/cases/", ""},
        {"/v1/cases/", "/transitions"},
        {"/v1/cases/", "/history"},
        {"/v1/cases/", "/history/verify"},
        {"/v1/cases/", "/corrections"},
        {"/v1/cases/", "/root-cause"},
        {"/v1/cases/", "/actions"},
        {"/v1/cases/", "/evidence"},
    };
    /* every GET route of a record: before and after {rid} */
    static const char *const record_routes[][2] = {
        {"/v1/cases/{case}/corrections/", ""},
        {"/v1/cases/{case}/actions/", ""},
        {"/v1/cases/{case}/reviews/", ""},
        {"/v1/cases/{case}/isms-changes/", ""},
        {"/v1/cases/{case}/links/", ""},
        {"/v1/cases/{case}/evidence/", ""},
        {"/v1/cases/{case}/evidence/", "/content"},
        {"/v1/cases/{case}/comments/", ""},
        {"/v1/cases/{case}/approvals/", ""},
    };
    char path[512], what[600];

    const size_t n_case_routes = sizeof case_routes / sizeof case_routes[0];
    const size_t n_record_routes = sizeof record_routes / sizeof record_routes[0];

    group_begin();
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        for (size_t r = 0; r < n_case_routes; r++) {
            /* every route for the first two ids, then one each, rotating */
            if (i > 1 && r != i % n_case_routes)
                continue;
            snprintf(path, sizeof path, "%s%s%s", case_routes[r][0], bad_ids[i], case_routes[r][1]);
            snprintf(what, sizeof what, "path id %s", bad_ids[i]);
            send_json(what, "GET", path, NULL, NULL, 404);
        }
        for (size_t r = 0; r < n_record_routes; r++) {
            if (i > 1 && r != i % n_record_routes)
                continue;
            snprintf(path, sizeof path, "%s%s%s", record_routes[r][0], bad_ids[i],
                     record_routes[r][1]);
            snprintf(what, sizeof what, "record id %s", bad_ids[i]);
            send_json(what, "GET", path, NULL, NULL, 404);
        }
    }
    /* writes through a bad id: the body is valid, the target is not */
    for (size_t i = 0; i < 8; i += 2) {
        snprintf(path, sizeof path, "/v1/cases/%s/comments", bad_ids[i]);
        send_json("comment on a bad case id", "POST", path, NULL, "{\"body\":\"b\"}", 404);
        snprintf(path, sizeof path, "/v1/cases/%s", bad_ids[i]);
        send_json("patch of a bad case id", "PATCH", path, "\"1\"", "{\"owner\":\"x\"}", 404);
        snprintf(path, sizeof path, "/v1/cases/{case}/links/%s", bad_ids[i]);
        send_json("removal of a bad link id", "DELETE", path, NULL, NULL, 404);
        snprintf(path, sizeof path, "/v1/cases/{case}/actions/%s", bad_ids[i]);
        send_json("patch of a bad action id", "PATCH", path, "\"1\"", "{\"assignee\":\"x\"}", 404);
        snprintf(path, sizeof path, "/v1/cases/{case}/reviews/%s/verdict", bad_ids[i]);
        send_json("verdict on a bad review id", "POST", path, NULL,
                  "{\"verdict\":\"effective\",\"rationale\":\"r\"}", 404);
        snprintf(path, sizeof path, "/v1/workflows/%s", bad_ids[i]);
        send_json("workflow of a bad kind", "PUT", path, NULL, "{}", 404);
    }
    /* a record through another case, or as another kind */
    send_json("a link removed through another case", "DELETE", "/v1/cases/{other}/links/{link}",
              NULL, NULL, 404);
    send_json("an action read as a correction", "GET", "/v1/cases/{case}/corrections/{action}",
              NULL, NULL, 404);
    send_json("a comment patched as an action", "PATCH", "/v1/cases/{case}/actions/{comment}",
              "\"1\"", "{\"assignee\":\"x\"}", 404);
    send_json("a verdict on an action", "POST", "/v1/cases/{case}/reviews/{action}/verdict", NULL,
              "{\"verdict\":\"effective\",\"rationale\":\"r\"}", 404);
    send_json("evidence through another case", "GET",
              "/v1/cases/{other}/evidence/{evidence}/content", NULL, NULL, 404);
    /* unknown kinds and deeper paths */
    send_json("unknown record kind", "GET", "/v1/cases/{case}/secrets", NULL, NULL, 404);
    send_json("unknown record kind, write", "POST", "/v1/cases/{case}/secrets", NULL, "{}", 404);
    send_json("a path past a record", "GET", "/v1/cases/{case}/comments/{comment}/x", NULL, NULL,
              404);
    send_json("raw dot segments", "GET", "/v1/cases/{case}/../../../etc/passwd", NULL, NULL, 404);
    send_json("raw dot segment in a record path", "GET", "/v1/cases/{case}/comments/..", NULL, NULL,
              404);
    send_json("double slash", "GET", "/v1/cases//{case}", NULL, NULL, 404);
    send_json("encoded slash in the id", "GET", "/v1/cases/{case}%2Fcomments", NULL, NULL, 404);
    send_json("traversal out of /v1", "GET", "/v1/../etc/passwd", NULL, NULL, 404);
    /* a long id: 4 KiB and 16 KiB */
    for (size_t n = 4096; n <= 16384; n *= 4) {
        char *id = malloc(n + 32);
        assert_non_null(id);
        memset(id, 'a', n);
        strcpy(id + n, "/comments");
        char *p = NULL;
        assert_true(asprintf(&p, "/v1/cases/%s", id) > 0);
        send_json("a long case id", "GET", p, NULL, NULL, 404);
        free(p);
        free(id);
    }
    group_end("paths");
}

/* ---- 5. query strings ------------------------------------------------------------------- */

static void
test_hostile_query(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int expect;
    } queries[] = {
        /* duplicated and conflicting */
        {"/v1/cases?limit=1&limit=2", 400},
        {"/v1/cases?limit=1&limit=1", 400},
        {"/v1/cases?sort=due_date&sort=created_at", 400},
        {"/v1/actions?limit=1&limit=2", 400},
        {"/v1/events?limit=1&limit=2", 400},
        {"/v1/cases/{case}/history?after=0&after=1", 400},
        {"/v1/cases/{case}/evidence?x=1", 400},
        /* path parameter names in the query */
        {"/v1/cases/{case}?id=x", 400},
        {"/v1/cases/{case}?id={other}", 400},
        {"/v1/cases/{case}/comments/{comment}?rid={approval}", 400},
        {"/v1/cases/{case}/comments/{comment}?id={other}", 400},
        {"/v1/cases?id={case}", 400},
        {"/v1/cases/{case}/transitions?id=x", 400},
        /* unknown parameters, on every endpoint that reads */
        {"/v1/cases?foo=1", 400},
        {"/v1/cases?LIMIT=1", 400},
        {"/v1/cases?limit", 400},
        {"/v1/cases?=1", 400},
        {"/v1/cases/{case}?foo=1", 400},
        {"/v1/cases/{case}/transitions?foo=1", 400},
        {"/v1/cases/{case}/history?foo=1", 400},
        {"/v1/cases/{case}/history/verify?foo=1", 400},
        {"/v1/cases/{case}/corrections?foo=1", 400},
        {"/v1/cases/{case}/corrections/{correction}?foo=1", 400},
        {"/v1/cases/{case}/root-cause?foo=1", 400},
        {"/v1/cases/{case}/actions?foo=1", 400},
        {"/v1/cases/{case}/actions/{action}?foo=1", 400},
        {"/v1/cases/{case}/reviews?foo=1", 400},
        {"/v1/cases/{case}/reviews/{review}?foo=1", 400},
        {"/v1/cases/{case}/isms-changes?foo=1", 400},
        {"/v1/cases/{case}/isms-changes/{isms}?foo=1", 400},
        {"/v1/cases/{case}/links?foo=1", 400},
        {"/v1/cases/{case}/links/{link}?foo=1", 400},
        {"/v1/cases/{case}/evidence/{evidence}?foo=1", 400},
        {"/v1/cases/{case}/evidence/{evidence}/content?foo=1", 400},
        {"/v1/cases/{case}/comments?foo=1", 400},
        {"/v1/cases/{case}/comments/{comment}?foo=1", 400},
        {"/v1/cases/{case}/approvals?foo=1", 400},
        {"/v1/cases/{case}/approvals/{approval}?foo=1", 400},
        {"/v1/actions?foo=1", 400},
        {"/v1/controls?foo=1", 400},
        {"/v1/workflows?foo=1", 400},
        {"/v1/events?foo=1", 400},
        /* injection in every filter that is not free text */
        {"/v1/cases?status=%27%20OR%201%3D1--", 400},
        {"/v1/cases?kind=nonconformity%27--", 400},
        {"/v1/cases?severity=major%27%3B%20DROP%20TABLE%20cases%3B--", 400},
        {"/v1/cases?source=x%27%20OR%20%27a%27%3D%27a", 400},
        {"/v1/cases?tag=%27%20OR%201%3D1--", 400},
        {"/v1/cases?clause_ref=A.5%27--", 400},
        {"/v1/cases?control=A.5.1%27%20OR%201%3D1--", 400},
        {"/v1/cases?has_recurrence=true%27--", 400},
        {"/v1/cases?overdue=1", 400},
        {"/v1/cases?sort=created_at%3B%20DROP%20TABLE%20cases", 400},
        {"/v1/cases?sort=id", 400},
        {"/v1/cases?limit=1%20OR%201%3D1", 400},
        {"/v1/cases?created_after=%27%20OR%201%3D1--", 400},
        {"/v1/actions?status=open%27--", 400},
        {"/v1/actions?overdue=yes", 400},
        {"/v1/actions?limit=%27", 400},
        {"/v1/events?type=capa.case.created%27--", 400},
        {"/v1/events?case_id=%27%20OR%201%3D1--", 400},
        {"/v1/events?after=1%27--", 400},
        {"/v1/cases/{case}/history?after=%27%20OR%201%3D1--", 400},
        /* NUL, control characters, invalid UTF-8, bad escapes */
        {"/v1/cases?owner=a%00b", 400},
        {"/v1/cases?q=%00", 400},
        {"/v1/cases?owner%00=x", 400},
        {"/v1/cases?owner=a%0D%0AX-Injected:%201", 400},
        {"/v1/cases?owner=%09", 400},
        {"/v1/cases?owner=%7F", 400},
        {"/v1/cases?owner=%FF", 400},
        {"/v1/cases?owner=%C0%AF", 400},
        {"/v1/cases?owner=%ED%A0%80", 400},
        {"/v1/cases?owner=%F4%90%80%80", 400},
        {"/v1/cases?q=%C3", 400},
        {"/v1/cases?owner=%", 400},
        {"/v1/cases?owner=%G1", 400},
        {"/v1/cases?owner=%1", 400},
        {"/v1/actions?assignee=%00", 400},
        {"/v1/actions?assignee=%FF", 400},
        {"/v1/events?type=%FF", 400},
        {"/v1/cases/{case}/history?limit=%00", 400},
        /* unknown names that a truncated problem detail would cut inside a character */
        {"/v1/cases/{case}?"
         "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
         "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
         "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9=1",
         400},
        {"/v1/cases/{case}?a"
         "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
         "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
         "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9=1",
         400},
        {"/v1/cases?status="
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%C3%A9%C3%A9",
         400},
        {"/v1/cases?kind="
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%C3%A9%C3%A9",
         400},
        /* out of range and malformed values */
        {"/v1/cases?limit=0", 400},
        {"/v1/cases?limit=-1", 400},
        {"/v1/cases?limit=201", 400},
        {"/v1/cases?limit=99999999999999999999", 400},
        {"/v1/cases?limit=1e2", 400},
        {"/v1/cases?limit=%201", 400},
        {"/v1/cases?limit=", 400},
        {"/v1/cases?status=", 400},
        {"/v1/cases?status=,,,", 400},
        {"/v1/cases?status=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", 400},
        {"/v1/cases?owner=", 400},
        {"/v1/cases?q=", 400},
        {"/v1/actions?limit=0", 400},
        {"/v1/actions?limit=201", 400},
        {"/v1/events?limit=0", 400},
        {"/v1/events?limit=1001", 400},
        {"/v1/events?limit=-9223372036854775808", 400},
        {"/v1/events?case_id=" NO_CASE "x", 400},
        {"/v1/events?type=case.created", 400},
        {"/v1/events?type=capa.", 400},
        {"/v1/cases/{case}/history?limit=0", 400},
        {"/v1/cases/{case}/history?limit=501", 400},
        {"/v1/cases/{case}/history?after=-1", 400},
        {"/v1/cases/{case}/history?after=2147483648", 400},
        {"/v1/cases/{case}/history?after=99999999999999999999", 400},
        {"/v1/cases/{case}/history?after=1.5", 400},
        /* bad dates in filters */
        {"/v1/cases?created_after=2026-02-30", 400},
        {"/v1/cases?created_before=2026-13-01", 400},
        {"/v1/cases?detected_after=yesterday", 400},
        {"/v1/cases?detected_before=1899-12-31", 400},
        {"/v1/cases?created_after=10000-01-01", 400},
        {"/v1/cases?created_after=2026-11-20T10:00:00", 400},
        {"/v1/cases?created_after=0000-00-00", 400},
        {"/v1/actions?due_before=2026-1-1", 400},
        {"/v1/actions?due_after=2026-02-29", 400},
        {"/v1/actions?due_before=2026-11-20T00:00:00Z", 400},
        {"/v1/actions?due_after=99999-01-01", 400},
        /* bad cursors and feed positions */
        {"/v1/cases?cursor=x", 400},
        {"/v1/cases?cursor=", 400},
        {"/v1/cases?cursor=!!!!", 400},
        {"/v1/cases?cursor=e30", 400},                          /* {} */
        {"/v1/cases?cursor=eyJ", 400},                          /* truncated */
        {"/v1/cases?cursor=eyJzIjoiLWNyZWF0ZWRfYXQifQ==", 400}, /* padding */
        {"/v1/cases?cursor=bnVsbA", 400},                       /* null */
        {"/v1/cases?cursor=WzEsMiwzXQ", 400},                   /* [1,2,3] */
        /* {"i":"x","k":"2026-11-20T10:00:00.000000Z","s":"-created_at"}: id not a UUID */
        {"/v1/cases?cursor="
         "eyJpIjoieCIsImsiOiIyMDI2LTExLTIwVDEwOjAwOjAwLjAwMDAwMFoiLCJzIjoiLWNyZWF0ZWRfYXQifQ",
         400},
        /* {"i":"<uuid>","k":"' OR 1=1--","s":"-created_at"}: key not an instant */
        {"/v1/cases?cursor="
         "eyJpIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAwIiwiayI6IicgT1IgMT0xLS0iLCJz"
         "IjoiLWNyZWF0ZWRfYXQifQ",
         400},
        /* {"i":"<uuid>","k":"2026-11-20T10:00:00.000000Z","s":"-created_at"} with sort=due_date */
        {"/v1/cases?sort=due_date&cursor="
         "eyJpIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAwIiwiayI6IjIwMjYtMTEtMjBUMTA6"
         "MDA6MDAuMDAwMDAwWiIsInMiOiItY3JlYXRlZF9hdCJ9",
         400},
        {"/v1/cases?cursor=%00", 400},
        {"/v1/cases?cursor=%FF", 400},
        {"/v1/actions?cursor=x", 400},
        {"/v1/actions?cursor=e30", 400},
        /* {"i":"<uuid>","k":"' OR 1=1","s":"actions"} */
        {"/v1/actions?cursor="
         "eyJpIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAwIiwiayI6IicgT1IgMT0xIiwicyI6"
         "ImFjdGlvbnMifQ",
         400},
        {"/v1/events?after=x", 400},
        {"/v1/events?after=1", 400},
        {"/v1/events?after=.1", 400},
        {"/v1/events?after=1.", 400},
        {"/v1/events?after=-1.1", 400},
        {"/v1/events?after=1.1.1", 400},
        {"/v1/events?after=99999999999999999999.1", 400},
        {"/v1/events?after=1.99999999999999999999", 400},
        /* positions past bigint: parsed as digits, then out of the column's range */
        {"/v1/events?after=1.9999999999999999999", 400},
        {"/v1/events?after=1.9223372036854775808", 400},
    };
    char what[64];

    group_begin();
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        snprintf(what, sizeof what, "query #%zu", i);
        send_json(what, "GET", queries[i].path, NULL, NULL, queries[i].expect);
    }
    /* query strings on writes: refused before the body is looked at (the body is valid) */
    for (size_t b = 0; b < N_BODIES; b++) {
        static const char *const suffix[] = {"?foo=1", "?id=x", "?a=1&a=1", "?%00=1"};
        for (size_t s = 0; s < 4; s++) {
            if (!sample(b, s, 2))
                continue;
            char *path = NULL;
            assert_true(asprintf(&path, "%s%s", bodies[b].path, suffix[s]) > 0);
            snprintf(what, sizeof what, "%s: query %s", bodies[b].what, suffix[s]);
            send_json(what, bodies[b].method, path, bodies[b].if_match, base_of(&bodies[b]), 400);
            free(path);
        }
    }
    /* a long query string: 16 KiB */
    char *q = malloc(16384 + 64);
    assert_non_null(q);
    strcpy(q, "/v1/cases?q=");
    memset(q + strlen(q), 'a', 16384);
    q[12 + 16384] = '\0';
    send_json("a 16 KiB query value", "GET", q, NULL, NULL, 400);
    free(q);
    group_end("query strings");
}

/* The free-text filters take injection strings as text: 200 and no case. */
static void
test_hostile_query_free_text(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/v1/cases?owner=%27%20OR%201%3D1--",
        "/v1/cases?owner=x%27%3B%20DROP%20TABLE%20cases%3B--",
        /* a word no case has, so that the AND of websearch_to_tsquery matches nothing */
        "/v1/cases?q=zzqx%27%20AND%201%3D1--",
        "/v1/cases?q=zzqx%27%29%3B%20DROP%20TABLE%20cases%3B--",
        "/v1/cases?q=%21%21%28%28%7C%7C%26%26zzqx",
        "/v1/cases?q=zzqx%22%20%22",
        "/v1/actions?assignee=%27%20OR%201%3D1--",
        "/v1/actions?assignee=ops%27--",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct http_resp r;
        assert_int_equal(http_json(&h, "GET", paths[i], NULL, NULL, &r), 200);
        if (json_array_size(json_object_get(r.j, "items")) != 0)
            fail_msg("%s matched: %s", paths[i], r.body);
        http_resp_cleanup(&r);
    }
}

/* ---- 6. methods and If-Match ------------------------------------------------------------ */

static void
test_hostile_methods_and_if_match(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path;
    } wrong[] = {
        {"DELETE", "/v1/cases"},
        {"PUT", "/v1/cases"},
        {"PATCH", "/v1/cases"},
        {"PUT", "/v1/cases/{case}"},
        {"DELETE", "/v1/cases/{case}"},
        {"POST", "/v1/cases/{case}"},
        {"DELETE", "/v1/cases/{case}/transitions"},
        {"PUT", "/v1/cases/{case}/history"},
        {"POST", "/v1/cases/{case}/history/verify"},
        {"DELETE", "/v1/cases/{case}/corrections"},
        {"PUT", "/v1/cases/{case}/corrections/{correction}"},
        {"DELETE", "/v1/cases/{case}/corrections/{correction}"},
        {"POST", "/v1/cases/{case}/root-cause"},
        {"DELETE", "/v1/cases/{case}/root-cause"},
        {"PATCH", "/v1/cases/{case}/root-cause"},
        {"PUT", "/v1/cases/{case}/actions/{action}"},
        {"DELETE", "/v1/cases/{case}/actions/{action}"},
        {"PATCH", "/v1/cases/{case}/reviews/{review}"},
        {"GET", "/v1/cases/{case}/reviews/{review}/verdict"},
        {"PUT", "/v1/cases/{case}/reviews/{review}/verdict"},
        {"DELETE", "/v1/cases/{case}/isms-changes/{isms}"},
        {"PATCH", "/v1/cases/{case}/links/{link}"},
        {"PUT", "/v1/cases/{case}/evidence"},
        {"DELETE", "/v1/cases/{case}/evidence/{evidence}"},
        {"PUT", "/v1/cases/{case}/evidence/{evidence}/content"},
        {"DELETE", "/v1/cases/{case}/evidence/{evidence}/content"},
        {"DELETE", "/v1/cases/{case}/comments/{comment}"},
        {"PATCH", "/v1/cases/{case}/approvals/{approval}"},
        {"POST", "/v1/actions"},
        {"DELETE", "/v1/controls"},
        {"POST", "/v1/workflows"},
        {"GET", "/v1/workflows/nonconformity"},
        {"DELETE", "/v1/workflows/nonconformity"},
        {"POST", "/v1/events"},
        {"POST", "/healthz"},
        {"DELETE", "/readyz"},
        {"PUT", "/openapi.yaml"},
        {"POST", "/metrics"},
        {"OPTIONS", "/v1/cases"},
        {"TRACE", "/v1/cases/{case}"},
        {"FOO", "/v1/cases"},
        {"get", "/v1/cases"},
    };
    static const char *const bogus_if_match[] = {
        "1",
        "W/\"{v}\"",
        "*",
        "\"\"",
        "\"-1\"",
        "\"0\"",
        "\"01\"",
        "\"+1\"",
        "\"2147483648\"",
        "\"99999999999999999999\"",
        "\"{v}\", \"{v}\"",
        "\"{v}\"x",
        "\"{v}",
        "{v}\"",
        "\"{v} \"",
        "\"abc\"",
        "' OR 1=1--",
        "\"{v}\"; DROP TABLE cases",
        "\"0x1\"",
        "\"1e1\"",
        "\"\xff\"",
        "\"\xc2\xb9\"",
        "\"{v}\"\t",
        "\" {v}\"",
        "\"{v}\",",
    };
    char what[200];

    group_begin();
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        snprintf(what, sizeof what, "method %s %s", wrong[i].method, wrong[i].path);
        send_json(what, wrong[i].method, wrong[i].path, NULL, NULL, 405);
    }
    /* the writes that take If-Match, each with a valid body */
    static const char *const writers[] = {"case patch",   "transition", "correction", "root cause",
                                          "action patch", "verdict",    "comment",    "link"};
    for (size_t w = 0; w < sizeof writers / sizeof writers[0]; w++) {
        const struct body_spec *spec = NULL;
        for (size_t b = 0; b < N_BODIES; b++)
            if (strcmp(bodies[b].what, writers[w]) == 0)
                spec = &bodies[b];
        assert_non_null(spec);
        /* every value for a case's and an action's tag; the other writers share the parsing */
        size_t stride = w == 0 || w == 4 ? 1 : w == 3 || w == 5 ? 2 : 3;
        for (size_t i = 0; i < sizeof bogus_if_match / sizeof bogus_if_match[0]; i++) {
            if ((i + w) % stride != 0)
                continue;
            snprintf(what, sizeof what, "%s: If-Match %s", spec->what, bogus_if_match[i]);
            send_json(what, spec->method, spec->path, bogus_if_match[i], base_of(spec), 400);
        }
        /* stale: 412 */
        snprintf(what, sizeof what, "%s: stale If-Match", spec->what);
        send_json(what, spec->method, spec->path, "\"999\"", base_of(spec), 412);
        /* 8 KiB: 400 */
        char *big = malloc(8192 + 3);
        assert_non_null(big);
        big[0] = '"';
        memset(big + 1, '1', 8190);
        big[8191] = '"';
        big[8192] = '\0';
        snprintf(what, sizeof what, "%s: If-Match of 8 KiB", spec->what);
        send_json(what, spec->method, spec->path, big, base_of(spec), 400);
        free(big);
    }
    /* required If-Match missing: 428 */
    send_json("case patch without If-Match", "PATCH", "/v1/cases/{case}", NULL, "{\"owner\":\"x\"}",
              428);
    send_json("transition without If-Match", "POST", "/v1/cases/{case}/transitions", NULL,
              "{\"to\":\"contained\",\"comment\":\"c\"}", 428);
    send_json("action patch without If-Match", "PATCH", "/v1/cases/{case}/actions/{action}", NULL,
              "{\"assignee\":\"x\"}", 428);
    group_end("methods and If-Match");
}

/* ---- 7. raw requests: media types, headers, huge and chunked bodies, evidence ---------- */

static void
test_hostile_raw(void **state)
{
    (void)state;
    char what[200], ct[160];

    group_begin();
    /* wrong media types, each with a body that is otherwise valid */
    /* for curl, "Content-Type:" removes the header and "Content-Type;" sends it empty */
    static const char *const wrong_media[] = {
        NULL, /* no Content-Type */
        "text/plain",
        "multipart/form-data; boundary=xyz",
        "application/x-www-form-urlencoded",
        "application/jsonp",
        "application/json-patch+json",
        "application/xml",
        "json",
        "application/json\xff",
        "",
        "*/*",
    };
    for (size_t b = 0; b < N_BODIES; b++) {
        const struct body_spec *spec = &bodies[b];
        char im[64] = "";
        if (spec->if_match) {
            char *v = expand(spec->if_match);
            snprintf(im, sizeof im, "If-Match: %s", v);
            free(v);
        }
        for (size_t i = 0; i < sizeof wrong_media / sizeof wrong_media[0]; i++) {
            /* no Content-Type everywhere; the others rotate over the endpoints */
            if (i != 0 && !sample(b, i, 4))
                continue;
            const char *hd[3] = {NULL, NULL, NULL};
            size_t n = 0;
            if (wrong_media[i] == NULL)
                snprintf(ct, sizeof ct, "Content-Type:");
            else if (wrong_media[i][0] == '\0')
                snprintf(ct, sizeof ct, "Content-Type;");
            else
                snprintf(ct, sizeof ct, "Content-Type: %s", wrong_media[i]);
            hd[n++] = ct;
            if (im[0])
                hd[n++] = im;
            snprintf(what, sizeof what, "%s: Content-Type %s", spec->what,
                     wrong_media[i] ? wrong_media[i] : "(none)");
            send_raw(what, spec->method, spec->path, hd, base_of(spec), strlen(base_of(spec)), 415,
                     CHECK_PROBLEM);
        }
        /* the other JSON media type of the API */
        const char *other = strcmp(media_of(spec), "application/json") == 0
                                ? "Content-Type: application/merge-patch+json"
                                : "Content-Type: application/json";
        const char *hd[] = {other, im[0] ? im : NULL, NULL};
        snprintf(what, sizeof what, "%s: %s", spec->what, other);
        send_raw(what, spec->method, spec->path, hd, base_of(spec), strlen(base_of(spec)), 415,
                 CHECK_PROBLEM);
        /* charset=latin1: the charset is ignored, the body must still be UTF-8 */
        if (sample(b, 0, 2)) {
            char *latin1 = body_with(spec, first_member(spec), "\"caf\xe9\"");
            snprintf(ct, sizeof ct, "Content-Type: %s; charset=latin1", media_of(spec));
            const char *hl[] = {ct, im[0] ? im : NULL, NULL};
            snprintf(what, sizeof what, "%s: charset=latin1 with a Latin-1 body", spec->what);
            send_raw(what, spec->method, spec->path, hl, latin1, strlen(latin1), 400,
                     CHECK_PROBLEM);
            free(latin1);
        }

        /* raw NUL bytes in the body */
        snprintf(ct, sizeof ct, "Content-Type: %s", media_of(spec));
        const char *hn[] = {ct, im[0] ? im : NULL, NULL};
        static const struct {
            const char *bytes;
            size_t len;
        } nul_bodies[] = {
            {"\0", 1}, {"{\"a\":\"\0\"}", 9}, {"{\0}", 3}, {"\0{}", 3}, {"{}\0", 3},
        };
        for (size_t i = 0; i < sizeof nul_bodies / sizeof nul_bodies[0]; i++) {
            if (!sample(b, i, 3))
                continue;
            snprintf(what, sizeof what, "%s: raw NUL body #%zu", spec->what, i);
            send_raw(what, spec->method, spec->path, hn, nul_bodies[i].bytes, nul_bodies[i].len,
                     400, CHECK_PROBLEM);
        }
        /* the valid body with a NUL byte inside a string */
        char *with_nul = body_with(spec, first_member(spec),
                                   "\"a\x01"
                                   "b\"");
        size_t with_nul_len = strlen(with_nul);
        *strchr(with_nul, '\x01') = '\0';
        snprintf(what, sizeof what, "%s: raw NUL inside %s", spec->what, first_member(spec));
        send_raw(what, spec->method, spec->path, hn, with_nul, with_nul_len, 400, CHECK_PROBLEM);
        free(with_nul);

        /* too large: with Content-Length and chunked without it */
        char *huge = malloc(MAX_BODY + 2);
        assert_non_null(huge);
        memset(huge, ' ', MAX_BODY + 1);
        huge[0] = '{';
        huge[MAX_BODY] = '}';
        huge[MAX_BODY + 1] = '\0';
        if (sample(b, 0, 2)) {
            snprintf(what, sizeof what, "%s: body of MAX_BODY + 1 bytes", spec->what);
            send_raw(what, spec->method, spec->path, hn, huge, MAX_BODY + 1, 413, CHECK_PROBLEM);
        }
        if (sample(b, 1, 2)) {
            const char *hc[] = {ct, "Transfer-Encoding: chunked", im[0] ? im : NULL, NULL};
            snprintf(what, sizeof what, "%s: chunked body of MAX_BODY + 1 bytes", spec->what);
            send_raw(what, spec->method, spec->path, hc, huge, MAX_BODY + 1, 413, CHECK_PROBLEM);
        }
        free(huge);
    }
    /* far over every limit: 4 MiB, with Content-Length and chunked */
    size_t big_len = 4 * 1024 * 1024;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, '[', big_len);
    const char *hj[] = {"Content-Type: application/json", NULL};
    const char *hjc[] = {"Content-Type: application/json", "Transfer-Encoding: chunked", NULL};
    send_raw("case create: 4 MiB", "POST", "/v1/cases", hj, big, big_len, 413, CHECK_PROBLEM);
    send_raw("case create: 4 MiB chunked", "POST", "/v1/cases", hjc, big, big_len, 413,
             CHECK_PROBLEM);
    send_raw("comment: 4 MiB chunked", "POST", "/v1/cases/{case}/comments", hjc, big, big_len, 413,
             CHECK_PROBLEM);
    const char *ho[] = {"Content-Type: application/octet-stream", NULL};
    const char *hoc[] = {"Content-Type: application/octet-stream", "Transfer-Encoding: chunked",
                         NULL};
    send_raw("evidence: EVIDENCE_MAX + 1", "POST", "/v1/cases/{case}/evidence?filename=big.bin", ho,
             big, EVIDENCE_MAX + 1, 413, CHECK_PROBLEM);
    send_raw("evidence: EVIDENCE_MAX + 1 chunked", "POST",
             "/v1/cases/{case}/evidence?filename=big.bin", hoc, big, EVIDENCE_MAX + 1, 413,
             CHECK_PROBLEM);
    send_raw("evidence: 4 MiB chunked", "POST", "/v1/cases/{case}/evidence?filename=big.bin", hoc,
             big, big_len, 413, CHECK_PROBLEM);
    /* a GET with a huge body */
    /* a GET's body is not read: the case is looked for, and is not there */
    send_raw("GET with a 4 MiB body", "GET", "/v1/cases/" NO_CASE, hj, big, big_len, 404,
             CHECK_PROBLEM);
    free(big);

    /* header injection: CR/LF in header values (curl sends them as written) */
    static const struct {
        const char *method, *path, *header, *body;
        int expect;
    } injection[] = {
        {"GET", "/v1/cases/" NO_CASE, "X-Request-Id: abc\r\nX-Injected: 1", NULL, 404},
        /* a bare LF or CR ends the header there: the rest is no header */
        {"GET", "/v1/cases/" NO_CASE, "X-Request-Id: abc\nX-Injected: 1", NULL, 404},
        {"GET", "/v1/cases/" NO_CASE, "X-Request-Id: abc\rX-Injected: 1", NULL, 404},
        {"GET", "/v1/cases/" NO_CASE, "X-Request-Id: abc%0d%0aX-Injected:%201", NULL, 404},
        {"GET", "/v1/cases/" NO_CASE, "X-Request-Id: \xff\xfe", NULL, 404},
        {"GET", "/v1/cases/" NO_CASE, "X-Request-Id: \x01\x02", NULL, 404},
        {"PATCH", "/v1/cases/{case}", "If-Match: \"999\"\r\nX-Injected: 1", "{\"owner\":\"x\"}",
         412},
        /* what is left of the If-Match is no entity tag */
        {"PATCH", "/v1/cases/{case}", "If-Match: \"{v}\"\rX-Injected: 1", "{\"owner\":\"x\"}", 400},
        {"PATCH", "/v1/cases/{case}", "If-Match: \"{v}\nX-Injected: 1\"", "{\"owner\":\"x\"}", 400},
        /* an obsolete line folding: libmicrohttpd drops the folded header, so If-Match is missing
         */
        {"PATCH", "/v1/cases/{case}", "If-Match: \"{v}\"\r\n \"1\"", "{\"owner\":\"x\"}", 428},
        {"POST", "/v1/cases", "Idempotency-Key: k1\r\nX-Injected: 1", "{\"title\":1}", 422},
        {"POST", "/v1/cases", "Idempotency-Key: k\rX-Injected: 1", CASE_BASE, 400},
        {"POST", "/v1/cases", "Idempotency-Key: k\xff", CASE_BASE, 400},
        {"POST", "/v1/cases", "Idempotency-Key: k k", CASE_BASE, 400},
        {"POST", "/v1/cases", "Idempotency-Key: ' OR 1=1--", CASE_BASE, 400},
        /* curl sends "Name;" as an empty header ("Name:" would remove it) */
        {"POST", "/v1/cases", "Idempotency-Key;", CASE_BASE, 400},
        {"POST", "/v1/cases", "Content-Type: application/json\r\nX-Injected: 1", "{\"title\":1}",
         422},
        /* two Content-Types: the first counts, and it is not JSON */
        {"POST", "/v1/cases", "Content-Type: text/plain\r\nContent-Type: application/json",
         CASE_BASE, 415},
    };
    for (size_t i = 0; i < sizeof injection / sizeof injection[0]; i++) {
        char *header = expand(injection[i].header);
        const char *hd[] = {header,
                            strncmp(injection[i].header, "Content-Type", 12) == 0
                                ? NULL
                                : (strcmp(injection[i].method, "PATCH") == 0
                                       ? "Content-Type: application/merge-patch+json"
                                       : "Content-Type: application/json"),
                            NULL};
        snprintf(what, sizeof what, "header injection #%zu", i);
        send_raw(what, injection[i].method, injection[i].path, hd, injection[i].body,
                 injection[i].body ? strlen(injection[i].body) : 0, injection[i].expect,
                 CHECK_PROBLEM);
        free(header);
    }
    /* Idempotency-Key over 200 characters */
    char key[260] = "Idempotency-Key: ";
    memset(key + strlen(key), 'k', 201);
    key[17 + 201] = '\0';
    const char *hk[] = {key, "Content-Type: application/json", NULL};
    send_raw("Idempotency-Key of 201 characters", "POST", "/v1/cases", hk, CASE_BASE,
             strlen(CASE_BASE), 400, CHECK_PROBLEM);

    /*
     * Overlong headers and request lines: libmicrohttpd answers these itself
     * (431 for headers, 414 for the URI, past its 32 KiB connection memory),
     * with an HTML body and before any handler runs, so only the 4xx is
     * checked (CHECK_MHD).
     */
    size_t long_len = 64 * 1024;
    char *long_value = malloc(long_len + 64);
    assert_non_null(long_value);
    static const char *const long_names[] = {"X-Request-Id",    "If-Match",  "Content-Type",
                                             "Idempotency-Key", "X-Padding", "Cookie"};
    for (size_t i = 0; i < sizeof long_names / sizeof long_names[0]; i++) {
        int n = snprintf(long_value, 64, "%s: ", long_names[i]);
        memset(long_value + n, 'a', long_len);
        long_value[n + long_len] = '\0';
        const char *hd[] = {long_value, NULL};
        snprintf(what, sizeof what, "a 64 KiB %s", long_names[i]);
        send_raw(what, "GET", "/v1/cases/{case}", hd, NULL, 0, 431, CHECK_MHD);
    }
    free(long_value);
    /* a 64 KiB path */
    char *long_path = malloc(long_len + 32);
    assert_non_null(long_path);
    strcpy(long_path, "/v1/cases/");
    memset(long_path + 10, 'a', long_len);
    long_path[10 + long_len] = '\0';
    send_raw("a 64 KiB path", "GET", long_path, NULL, NULL, 0, 414, CHECK_MHD);
    free(long_path);
    /* many headers: 2000 of 30 bytes (60 KiB); curl takes 14 here, so one long list */
    char *many = malloc(2000 * 32 + 32);
    assert_non_null(many);
    size_t off = (size_t)sprintf(many, "X-H0: 0");
    for (int i = 1; i < 2000; i++)
        off += (size_t)sprintf(many + off, "\r\nX-H%d: %020d", i, i);
    const char *hm[] = {many, NULL};
    send_raw("2000 headers", "GET", "/v1/cases/{case}", hm, NULL, 0, 431, CHECK_MHD);
    free(many);

    /* evidence uploads: filename, media type, supersedes, If-Match */
    static const struct {
        const char *query, *content_type, *if_match;
        int expect;
    } evidence[] = {
        {"?filename=..%2F..%2Fetc%2Fpasswd", "text/plain", NULL, 422},
        {"?filename=../../etc/passwd", "text/plain", NULL, 422},
        {"?filename=%2e%2e", "text/plain", NULL, 422},
        {"?filename=..", "text/plain", NULL, 422},
        {"?filename=.", "text/plain", NULL, 422},
        {"?filename=%2e", "text/plain", NULL, 422},
        {"?filename=..%5C..%5Cwindows%5Cwin.ini", "text/plain", NULL, 422},
        {"?filename=a%2Fb", "text/plain", NULL, 422},
        {"?filename=%2Fetc%2Fpasswd", "text/plain", NULL, 422},
        {"?filename=", "text/plain", NULL, 422},
        {"?filename=a%00.txt", "text/plain", NULL, 400},
        {"?filename=a%0D%0AX-Injected:%201", "text/plain", NULL, 400},
        {"?filename=a%09b", "text/plain", NULL, 400},
        {"?filename=%FF.txt", "text/plain", NULL, 400},
        {"?filename=%C0%AF", "text/plain", NULL, 400},
        {"?filename=%ED%A0%80", "text/plain", NULL, 400},
        {"?filename=a.txt&filename=b.txt", "text/plain", NULL, 400},
        {"?filename=a.txt&id={other}", "text/plain", NULL, 400},
        {"?filename=a.txt&rid=x", "text/plain", NULL, 400},
        {"?name=a.txt", "text/plain", NULL, 400},
        {"", "text/plain", NULL, 400},
        {"?filename=a.txt", NULL, NULL, 400},
        {"?filename=a.txt", "", NULL, 400},
        {"?filename=a.txt", "text", NULL, 422},
        {"?filename=a.txt", "/plain", NULL, 422},
        {"?filename=a.txt", "text/", NULL, 422},
        {"?filename=a.txt", "text/pl ain", NULL, 422},
        {"?filename=a.txt", "text/plain\xff", NULL, 422},
        {"?filename=a.txt", "text/plain; charset=\xff\xfe", NULL, 422},
        {"?filename=a.txt", "text/plain; charset=\xc3\xa9", NULL, 422},
        {"?filename=a.txt", "text/plain;\x01", NULL, 422},
        {"?filename=a.txt", "text/plain; a=\x7f", NULL, 422},
        {"?filename=a.txt", "text/plain\r\nX-Injected: 1", "\"999\"", 412},
        {"?filename=a.txt&supersedes=%27%20OR%201%3D1--", "text/plain", NULL, 422},
        {"?filename=a.txt&supersedes=..%2F..%2Fetc%2Fpasswd", "text/plain", NULL, 422},
        {"?filename=a.txt&supersedes={action}", "text/plain", NULL, 422},
        {"?filename=a.txt&supersedes=" NO_CASE, "text/plain", NULL, 422},
        {"?filename=a.txt&supersedes=", "text/plain", NULL, 422},
        {"?filename=a.txt", "text/plain", "\"abc\"", 400},
        {"?filename=a.txt", "text/plain", "W/\"{v}\"", 400},
        {"?filename=a.txt", "text/plain", "\"999\"", 412},
    };
    char long_name[320] = "?filename=";
    memset(long_name + strlen(long_name), 'n', 256);
    long_name[10 + 256] = '\0';
    for (size_t i = 0; i < sizeof evidence / sizeof evidence[0] + 1; i++) {
        const char *query =
            i < sizeof evidence / sizeof evidence[0] ? evidence[i].query : long_name;
        const char *type =
            i < sizeof evidence / sizeof evidence[0] ? evidence[i].content_type : "text/plain";
        const char *im_tmpl =
            i < sizeof evidence / sizeof evidence[0] ? evidence[i].if_match : NULL;
        int expect = i < sizeof evidence / sizeof evidence[0] ? evidence[i].expect : 422;
        char *path = NULL, *im = NULL, ifm[80];
        assert_true(asprintf(&path, "/v1/cases/{case}/evidence%s", query) > 0);
        const char *hd[3] = {NULL, NULL, NULL};
        size_t n = 0;
        if (type == NULL)
            snprintf(ct, sizeof ct, "Content-Type:");
        else if (type[0] == '\0')
            snprintf(ct, sizeof ct, "Content-Type;");
        else
            snprintf(ct, sizeof ct, "Content-Type: %s", type);
        hd[n++] = ct;
        if (im_tmpl) {
            im = expand(im_tmpl);
            snprintf(ifm, sizeof ifm, "If-Match: %s", im);
            hd[n++] = ifm;
        }
        snprintf(what, sizeof what, "evidence #%zu", i);
        send_raw(what, "POST", path, hd, "hostile\0bytes", 13, expect, CHECK_PROBLEM);
        free(path);
        free(im);
    }
    /* evidence under a bad case id */
    const char *hp[] = {"Content-Type: text/plain", NULL};
    send_raw("evidence on an injected case id", "POST",
             "/v1/cases/%27%20OR%201%3D1--/evidence?filename=a.txt", hp, "x", 1, 404,
             CHECK_PROBLEM);
    send_raw("evidence on a traversal case id", "POST",
             "/v1/cases/..%2F..%2Fetc/evidence?filename=a.txt", hp, "x", 1, 404, CHECK_PROBLEM);
    /* HEAD of hostile paths: no body, but still the problem's status and media type */
    send_raw("HEAD of an injected id", "HEAD", "/v1/cases/%27%20OR%201%3D1--", NULL, NULL, 0, 404,
             CHECK_HEAD);
    send_raw("HEAD with an unknown parameter", "HEAD", "/v1/cases?foo=1", NULL, NULL, 0, 400,
             CHECK_HEAD);
    group_end("raw requests");
}

/* ---- 7b. credentials: every bad one is the same 401, and changes nothing ------------------ */

static void
test_hostile_credentials(void **state)
{
    (void)state;
    char what[96], huge[9000];
    const char *const bad[] = {
        "Authorization:", /* none at all */
        "Authorization;", /* empty */
        "Authorization: Bearer",
        "Authorization: Bearer ",
        "Authorization: Basic YWRtaW46YWRtaW4=",
        "Authorization: bearer\tcapa_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Authorization: Bearer capa_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Authorization: Bearer capa_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Authorization: Bearer capa_' OR 1=1--",
        "Authorization: Bearer capa_0123456789ab_AAAA%00AAAA",
        "Authorization: Bearer ' OR '1'='1",
        "Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2ln",
        "Authorization: Bearer ../../etc/passwd",
        "Authorization: Bearer a b c",
        "Authorization: Bearer \xff\xfe",
        "Authorization: Bearer caf\xc3\xa9",
        "Authorization: Bearer capa_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        huge,
    };
    memcpy(huge, "Authorization: Bearer ", 22);
    memset(huge + 22, 'A', sizeof huge - 23);
    huge[sizeof huge - 1] = '\0';
    const char *const paths[] = {"/v1/cases", "/v1/cases/{case}", "/v1/events", "/v1/nowhere"};

    group_begin();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
            const char *hd[] = {bad[i], NULL};
            snprintf(what, sizeof what, "credential #%zu on %s", i, paths[p]);
            send_raw(what, "GET", paths[p], hd, NULL, 0, 401, CHECK_PROBLEM);
        }
        const char *hd[] = {bad[i], "Content-Type: application/json", NULL};
        snprintf(what, sizeof what, "credential #%zu on a create", i);
        send_raw(what, "POST", "/v1/cases", hd, "{}", 2, 401, CHECK_PROBLEM);
    }
    /* a valid key twice, or a delegate header from a key without the grant */
    char twice[200];
    snprintf(twice, sizeof twice, "Authorization: Bearer %s, Bearer %s", h.key, h.key);
    const char *hd_twice[] = {twice, NULL};
    send_raw("two credentials in one header", "GET", "/v1/cases", hd_twice, NULL, 0, 401,
             CHECK_PROBLEM);
    const char *obo[] = {"Capa-On-Behalf-Of: admin", NULL};
    send_raw("on behalf of without the delegate grant", "GET", "/v1/cases", obo, NULL, 0, 403,
             CHECK_PROBLEM);
    group_end("credentials");
}

/* ---- 8. afterwards: still serving, nothing written, and the check can fail -------------- */

static void
test_hostile_left_nothing_behind(void **state)
{
    (void)state;
    struct http_resp r;
    char path[160];

    fprintf(stderr, "hostile: %d requests sent, %d answered wrongly\n", tally.sent, tally.wrong);
    assert_true(tally.sent >= 220);
    assert_int_equal(http_json(&h, "GET", "/healthz", NULL, NULL, &r), 200);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/readyz", NULL, NULL, &r), 200);
    http_resp_cleanup(&r);

    char *after = harness_db_checksum(&h);
    if (strcmp(after, fx.checksum) != 0) {
        char *counts = harness_sql(&h, "SELECT string_agg(format('%s=%s', relname, n_tup_ins + "
                                       "n_tup_upd + n_tup_del), ' ' ORDER BY relname) "
                                       "FROM pg_stat_user_tables");
        fail_msg("hostile requests changed the database: checksum %s before, %s after "
                 "(writes per table: %s)",
                 fx.checksum, after, counts);
    }
    /* the fixture's injection strings are still plain data */
    snprintf(path, sizeof path, "/v1/cases/%s", fx.case_id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.j, "title")), sqli_title);
    http_resp_cleanup(&r);

    /* one legitimate write changes the checksum: the comparison above can fail */
    snprintf(path, sizeof path, "/v1/cases/%s/comments", fx.case_id);
    assert_int_equal(http_json(&h, "POST", path, NULL, "{\"body\":\"after the storm\"}", &r), 201);
    http_resp_cleanup(&r);
    char *written = harness_db_checksum(&h);
    assert_string_not_equal(written, after);
    free(written);
    free(after);
}

static int
setup(void **state)
{
    (void)state;
    char n[16];
    snprintf(n, sizeof n, "%d", MAX_BODY);
    setenv("CAPA_MAX_BODY_BYTES", n, 1);
    snprintf(n, sizeof n, "%d", EVIDENCE_MAX);
    setenv("CAPA_EVIDENCE_MAX_BYTES", n, 1);
    /* hostile requests log errors by design; keep the test's output to the report */
    setenv("CAPA_LOG_LEVEL", "error", 0);
    harness_start(&h, "hostile");
    fixtures();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    harness_stop(&h);
    free(fx.workflow);
    free(fx.checksum);
    free(tally.report);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_json_syntax),
        cmocka_unit_test(test_hostile_members),
        cmocka_unit_test(test_hostile_dates),
        cmocka_unit_test(test_hostile_paths),
        cmocka_unit_test(test_hostile_query),
        cmocka_unit_test(test_hostile_query_free_text),
        cmocka_unit_test(test_hostile_methods_and_if_match),
        cmocka_unit_test(test_hostile_raw),
        cmocka_unit_test(test_hostile_uploads),
        cmocka_unit_test(test_hostile_credentials),
        /* last: it compares the database with the checksum taken in setup */
        cmocka_unit_test(test_hostile_left_nothing_behind),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
