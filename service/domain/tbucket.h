/*
 * tbucket.h - a token bucket: rate tokens per second, at most burst. Pure:
 * the caller passes the time.
 */
#ifndef CAPA_TBUCKET_H
#define CAPA_TBUCKET_H

struct tbucket {
    double tokens;
    double last; /* time of the last update; 0: a new bucket (full) */
};

/*
 * Take one token at time now (seconds, monotonic): returns 0, or, when none
 * is left, the seconds until one will be (the bucket is then unchanged).
 */
double tbucket_take(struct tbucket *b, double rate, double burst, double now);

#endif
