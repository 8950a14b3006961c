/*
 * err_table.h - the one table of capa's errors: each code with its name in
 * logs, the HTTP status and problem type (RFC 9457 slug and title) it is
 * answered with, and what it means, for the spec. err.h makes the enum of
 * it, err.c the names, api/problem.c the responses; `capad problems` prints
 * it, and a test checks openapi.yaml's table of problem types against it.
 *
 * ERR_TABLE(X) calls X(code, name, status, slug, title, meaning) per error,
 * ERR_OK first. Codes that are no problem of their own (ERR_RETRY, answered
 * as ERR_UNAVAILABLE after the retries) share a slug with the one they
 * become.
 */
#ifndef CAPA_ERR_TABLE_H
#define CAPA_ERR_TABLE_H

/* clang-format off */
#define ERR_TABLE(X)                                                                               \
    X(ERR_OK, "ok", 200, "ok", "OK", "success")                                                    \
    X(ERR_INVALID, "invalid", 422, "validation", "Request content is not valid",                   \
      "the request content is invalid; errors names each field")                                  \
    X(ERR_BAD_REQUEST, "bad request", 400, "bad-request", "Bad request",                           \
      "malformed request: invalid JSON; an unknown, repeated or invalid query parameter")          \
    X(ERR_NOT_FOUND, "not found", 404, "not-found", "Not found", "no such resource")               \
    X(ERR_CONFLICT, "conflict", 409, "conflict", "Conflict",                                       \
      "the request conflicts with the current state of a resource (a link removed before)")        \
    X(ERR_TRANSITION, "transition not allowed", 409, "transition-not-allowed",                     \
      "Transition not allowed", "the workflow refuses the transition (extension members say why)") \
    X(ERR_PRECONDITION_FAILED, "precondition failed", 412, "precondition-failed",                  \
      "Precondition failed", "If-Match is not the current ETag")                                   \
    X(ERR_PRECONDITION_REQUIRED, "precondition required", 428, "precondition-required",            \
      "Precondition required", "If-Match is missing")                                              \
    X(ERR_IDEMPOTENCY_MISMATCH, "idempotency key mismatch", 422, "idempotency-key-reused",         \
      "Idempotency key reused", "the Idempotency-Key was used before with a different request")    \
    X(ERR_TOO_LARGE, "too large", 413, "payload-too-large", "Payload too large",                   \
      "the body exceeds the configured limit")                                                     \
    X(ERR_UNSUPPORTED_MEDIA, "unsupported media type", 415, "unsupported-media-type",              \
      "Unsupported media type", "the Content-Type is not accepted here")                           \
    X(ERR_METHOD, "method not allowed", 405, "method-not-allowed", "Method not allowed",           \
      "the path does not support the method; see Allow")                                           \
    X(ERR_RETRY, "retry", 503, "service-unavailable", "Service unavailable",                       \
      "the database is busy: the transaction is retried, then answered as unavailable")            \
    X(ERR_UNAVAILABLE, "unavailable", 503, "service-unavailable", "Service unavailable",           \
      "the database is unavailable or busy; see Retry-After")                                      \
    X(ERR_INTERNAL, "internal", 500, "internal", "Internal error", "an unexpected failure")         \
    X(ERR_UNAUTHORIZED, "unauthorized", 401, "unauthorized", "Unauthorized",                       \
      "no valid credential; see WWW-Authenticate")                                                 \
    X(ERR_FORBIDDEN, "forbidden", 403, "forbidden", "Forbidden",                                   \
      "the principal lacks the role (required_roles) or the delegate grant")                       \
    X(ERR_SEGREGATION, "segregation of duties", 403, "segregation-of-duties",                      \
      "Segregation of duties",                                                                     \
      "the principal may not approve or judge this case (it owns it, works on it, or raised it)")  \
    X(ERR_RATE_LIMITED, "rate limited", 429, "rate-limited", "Too many requests",                  \
      "the principal is over its request rate; see Retry-After")                                   \
    X(ERR_CASE_CLOSED, "case closed", 409, "case-closed", "Case closed",                           \
      "the case is in a terminal state: its fields and records change no more (comments and "      \
      "links excepted); the detail says how it can be reopened")                                   \
    X(ERR_APPROVAL_ORDER, "approval out of order", 409, "approval-out-of-order",                   \
      "Approval out of order", "an approval given before its step can be approved")                \
    X(ERR_VERDICT_ORDER, "verdict out of order", 409, "verdict-out-of-order",                      \
      "Verdict out of order", "an effectiveness verdict before the case is ready for one")
/* clang-format on */

#endif
