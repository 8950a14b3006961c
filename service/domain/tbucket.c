/* tbucket.c - a token bucket (tbucket.h). */
#include "tbucket.h"

double
tbucket_take(struct tbucket *b, double rate, double burst, double now)
{
    double tokens = b->last == 0 ? burst : b->tokens + (now - b->last) * rate;
    if (tokens > burst)
        tokens = burst;
    if (tokens < 1.0) {
        /* unchanged: waiting refills it */
        return (1.0 - tokens) / rate;
    }
    b->tokens = tokens - 1.0;
    b->last = now;
    return 0;
}
