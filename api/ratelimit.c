/* ratelimit.c - token buckets per principal (ratelimit.h). */
#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "tbucket.h"
#include "mem.h"

#define SLOTS 4096 /* a power of two */
#define WAYS 4
#define KEY_MAX 280

struct slot {
    char key[KEY_MAX];
    struct tbucket bucket;
};

struct api_ratelimit {
    pthread_mutex_t lock;
    double rate, burst;
    struct slot slots[SLOTS];
};

struct api_ratelimit *
api_ratelimit_new(int rps, int burst)
{
    if (rps <= 0)
        return NULL;
    struct api_ratelimit *rl = mem_calloc(1, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    rl->rate = rps;
    rl->burst = burst;
    return rl;
}

void
api_ratelimit_free(struct api_ratelimit *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

/* FNV-1a */
static uint32_t
hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int
api_ratelimit_take(struct api_ratelimit *rl, const char *key)
{
    struct timespec ts;
    if (rl == NULL)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + 1.0; /* never 0: 0 is "new" */
    size_t group = (hash(key) & (SLOTS - 1)) & ~(size_t)(WAYS - 1);

    pthread_mutex_lock(&rl->lock);
    struct slot *s = NULL, *oldest = &rl->slots[group];
    for (size_t i = group; i < group + WAYS && s == NULL; i++) {
        if (strncmp(rl->slots[i].key, key, KEY_MAX) == 0)
            s = &rl->slots[i];
        else if (rl->slots[i].bucket.last < oldest->bucket.last)
            oldest = &rl->slots[i];
    }
    if (s == NULL) {
        s = oldest;
        snprintf(s->key, sizeof s->key, "%s", key);
        s->bucket = (struct tbucket){0};
    }
    double wait = tbucket_take(&s->bucket, rl->rate, rl->burst, now);
    pthread_mutex_unlock(&rl->lock);
    if (wait <= 0)
        return 0;
    int seconds = (int)wait;
    return seconds < wait || seconds < 1 ? seconds + 1 : seconds;
}
