/*
 * err.h - the one error type of capa.
 *
 * Every action returns an enum err; 0 is success. The HTTP layer maps each
 * code to a status and a problem type in one table (api/problem.c); nothing
 * else decides a status.
 */
#ifndef CAPA_ERR_H
#define CAPA_ERR_H

enum err {
    ERR_OK = 0,
    ERR_INVALID,               /* request content fails validation (422) */
    ERR_BAD_REQUEST,           /* malformed request: syntax, query parameters (400) */
    ERR_NOT_FOUND,             /* no such resource (404) */
    ERR_CONFLICT,              /* state conflict, e.g. a duplicate (409) */
    ERR_TRANSITION,            /* the workflow refuses the move (409) */
    ERR_PRECONDITION_FAILED,   /* If-Match does not match the version (412) */
    ERR_PRECONDITION_REQUIRED, /* If-Match missing (428) */
    ERR_IDEMPOTENCY_MISMATCH,  /* Idempotency-Key reused with another body (422) */
    ERR_TOO_LARGE,             /* body over the limit (413) */
    ERR_UNSUPPORTED_MEDIA,     /* wrong Content-Type (415) */
    ERR_METHOD,                /* method not allowed on a known path (405) */
    ERR_RETRY,                 /* serialization failure or deadlock: retry the transaction */
    ERR_UNAVAILABLE,           /* database unreachable or pool exhausted (503) */
    ERR_INTERNAL,              /* a bug or an unexpected failure (500) */
    ERR_UNAUTHORIZED,          /* missing or bad credentials (401) */
    ERR_FORBIDDEN,             /* authenticated, but the role is missing (403) */
    ERR_SEGREGATION,           /* segregation of duties refuses this principal (403) */
    ERR_RATE_LIMITED,          /* the principal's request rate is over its limit (429) */
    ERR_CASE_CLOSED,           /* the case is in a terminal state: it cannot change (409) */
    ERR_APPROVAL_ORDER,        /* an approval given before its step can be approved (409) */
    ERR_VERDICT_ORDER,         /* an effectiveness verdict before the case is ready for it (409) */
    ERR__COUNT
};

/* Stable lower-case name of an error code, for logs. */
const char *err_name(int err);

#endif
