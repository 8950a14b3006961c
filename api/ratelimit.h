/*
 * ratelimit.h - a token bucket per principal (CAPA_RATE_LIMIT_RPS and
 * _BURST), in this process: N replicas allow N times the rate in all.
 *
 * The buckets live in a fixed table (no allocation per principal): a
 * principal takes a free slot of its hash's group of four, or the one least
 * recently used there. A principal evicted by a busy neighbour starts again
 * with a full bucket: the table is sized so that it takes far more active
 * principals than an internal service has.
 */
#ifndef CAPA_RATELIMIT_H
#define CAPA_RATELIMIT_H

struct api_ratelimit;

/* NULL when rps is 0 (no limit). */
struct api_ratelimit *api_ratelimit_new(int rps, int burst);
void api_ratelimit_free(struct api_ratelimit *rl);
/*
 * Take one request of a principal (key: kind and subject). Returns 0 when it
 * may go on, else the whole seconds to wait (at least 1). rl NULL: always 0.
 */
int api_ratelimit_take(struct api_ratelimit *rl, const char *key);

#endif
