/*
 * http_metrics.h - request counts and durations of the HTTP layer, by route
 * template, method and status, for /metrics.
 *
 *   api_http_metrics_new     a table for n route templates (plus "unmatched")
 *   api_http_metrics_free
 *   api_http_metrics_record  count one answered request
 *   api_http_metrics_text    the Prometheus text of the table
 *   api_http_method_label    the method as a bounded label value
 *
 * The table is fixed at creation and guarded by its own mutex: record and
 * text may be called from any thread.
 */
#ifndef CAPA_HTTP_METRICS_H
#define CAPA_HTTP_METRICS_H

#include <stddef.h>

struct api_http_metrics;

/*
 * A table for routes 0..n_routes-1 and the slot n_routes for requests no
 * route matched. Free with api_http_metrics_free (NULL is a no-op).
 */
struct api_http_metrics *api_http_metrics_new(size_t n_routes);
void api_http_metrics_free(struct api_http_metrics *m);

/*
 * Count one request answered with status after seconds. route_index is the
 * route's slot (n_routes: unmatched); route is its template, borrowed for the
 * table's lifetime (a string literal); verb is the request method as sent.
 * m may be NULL (nothing is counted).
 */
void api_http_metrics_record(struct api_http_metrics *m, size_t route_index, const char *route,
                             const char *verb, unsigned status, double seconds);

/* Count a 401 by reason (uc_authenticate's codes; unknown ones count as "other"). */
void api_http_metrics_auth_failure(struct api_http_metrics *m, const char *reason);
/* Count a 429 of the rate limit. */
void api_http_metrics_rate_limited(struct api_http_metrics *m);

/*
 * The families capa_http_requests_total, capa_http_request_duration_seconds,
 * capa_http_auth_failures_total and capa_http_rate_limited_total
 * in the text exposition format 0.0.4. Returns a malloc'ed string the caller
 * frees, or NULL when out of memory. m may be NULL (empty families).
 */
char *api_http_metrics_text(struct api_http_metrics *m);

/*
 * One of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or OTHER for any other
 * method, so a client cannot grow the label set. A string literal.
 */
const char *api_http_method_label(const char *verb);

#endif
