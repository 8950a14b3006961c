/* err.c - names of the error codes (err.h). */
#include "err.h"

static const char *const names[ERR__COUNT] = {
    [ERR_OK] = "ok",
    [ERR_INVALID] = "invalid",
    [ERR_BAD_REQUEST] = "bad request",
    [ERR_NOT_FOUND] = "not found",
    [ERR_CONFLICT] = "conflict",
    [ERR_TRANSITION] = "transition not allowed",
    [ERR_PRECONDITION_FAILED] = "precondition failed",
    [ERR_PRECONDITION_REQUIRED] = "precondition required",
    [ERR_IDEMPOTENCY_MISMATCH] = "idempotency key mismatch",
    [ERR_TOO_LARGE] = "too large",
    [ERR_UNSUPPORTED_MEDIA] = "unsupported media type",
    [ERR_METHOD] = "method not allowed",
    [ERR_RETRY] = "retry",
    [ERR_UNAVAILABLE] = "unavailable",
    [ERR_INTERNAL] = "internal",
    [ERR_UNAUTHORIZED] = "unauthorized",
    [ERR_FORBIDDEN] = "forbidden",
    [ERR_SEGREGATION] = "segregation of duties",
    [ERR_RATE_LIMITED] = "rate limited",
    [ERR_CASE_CLOSED] = "case closed",
    [ERR_APPROVAL_ORDER] = "approval out of order",
    [ERR_VERDICT_ORDER] = "verdict out of order",
};

const char *
err_name(int err)
{
    if (err < 0 || err >= ERR__COUNT || names[err] == 0)
        return "unknown";
    return names[err];
}
