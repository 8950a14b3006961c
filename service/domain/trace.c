/*
 * trace.c - the W3C Trace Context of a request (trace.h), as Trace Context
 * Level 1 (W3C Recommendation) writes it:
 *
 *   traceparent = version "-" trace-id "-" parent-id "-" trace-flags
 *   tracestate  = list-member 0*31( OWS "," OWS list-member )
 */
#include "trace.h"

#include <stddef.h>
#include <string.h>

/* Offsets of the fields of a traceparent. */
#define TP_TRACE_ID 3
#define TP_PARENT_ID 36
#define TP_PARENT_ID_LEN 16
#define TP_FLAGS 53

#define STATE_MEMBERS_MAX 32
#define STATE_KEY_MAX 256
#define STATE_TENANT_MAX 241
#define STATE_SYSTEM_MAX 14
#define STATE_VALUE_MAX 256

static bool
digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether s[0..n) is lower-case hex; *nonzero tells whether a digit is not 0. */
static bool
hex_lower(const char *s, size_t n, bool *nonzero)
{
    *nonzero = false;
    for (size_t i = 0; i < n; i++) {
        if (!(digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
        *nonzero = *nonzero || s[i] != '0';
    }
    return true;
}

bool
trace_parent_parse(const char *value, char out[TRACE_PARENT_LEN + 1])
{
    bool nonzero, trace_id, parent_id;

    out[0] = '\0';
    if (value == NULL)
        return false;
    size_t len = strnlen(value, TRACE_PARENT_LEN + 1);
    if (len < TRACE_PARENT_LEN || !hex_lower(value, 2, &nonzero) || strncmp(value, "ff", 2) == 0)
        return false;
    /* version 00 is exactly 55 characters; a later one may go on after a '-' */
    if (strncmp(value, "00", 2) == 0 ? len != TRACE_PARENT_LEN
                                     : len > TRACE_PARENT_LEN && value[TRACE_PARENT_LEN] != '-')
        return false;
    if (value[TP_TRACE_ID - 1] != '-' || value[TP_PARENT_ID - 1] != '-' ||
        value[TP_FLAGS - 1] != '-')
        return false;
    if (!hex_lower(value + TP_TRACE_ID, TRACE_ID_LEN, &trace_id) ||
        !hex_lower(value + TP_PARENT_ID, TP_PARENT_ID_LEN, &parent_id) ||
        !hex_lower(value + TP_FLAGS, 2, &nonzero) || !trace_id || !parent_id)
        return false;
    memcpy(out, value, TRACE_PARENT_LEN);
    out[TRACE_PARENT_LEN] = '\0';
    return true;
}

static bool
lcalpha(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool
key_char(char c)
{
    return lcalpha(c) || digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

/*
 * A list member's key: simple-key = lcalpha 0*255(key char), or
 * tenant-id "@" system-id with tenant-id = (lcalpha / DIGIT) 0*240(key char)
 * and system-id = lcalpha 0*13(key char).
 */
static bool
state_key_valid(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    for (size_t i = 0; i < n; i++)
        if (s + i != at && !key_char(s[i]))
            return false;
    if (at == NULL)
        return n >= 1 && n <= STATE_KEY_MAX && lcalpha(s[0]);
    size_t tenant = (size_t)(at - s), system = n - tenant - 1;
    return tenant >= 1 && tenant <= STATE_TENANT_MAX && (lcalpha(s[0]) || digit(s[0])) &&
           system >= 1 && system <= STATE_SYSTEM_MAX && lcalpha(at[1]);
}

/* A list member's value: 1 to 256 printable characters but ',' and '=', not ending in a space. */
static bool
state_value_valid(const char *s, size_t n)
{
    if (n == 0 || n > STATE_VALUE_MAX || s[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '=')
            return false;
    return true;
}

/* One list member without its surrounding spaces, as found in the value. */
struct state_key {
    const char *s;
    size_t n;
};

/*
 * Check the member m[0..n) (spaces around it removed) and add its key to
 * keys; an empty member adds nothing. False when it is not key=value or its
 * key is in keys already.
 */
static bool
state_member_add(const char *m, size_t n, struct state_key *keys, size_t *n_keys)
{
    if (n == 0)
        return true;
    const char *eq = memchr(m, '=', n);
    size_t key_n = eq ? (size_t)(eq - m) : 0;
    if (eq == NULL || !state_key_valid(m, key_n) || !state_value_valid(eq + 1, n - key_n - 1))
        return false;
    for (size_t k = 0; k < *n_keys; k++)
        if (keys[k].n == key_n && memcmp(keys[k].s, m, key_n) == 0)
            return false;
    keys[(*n_keys)++] = (struct state_key){m, key_n};
    return true;
}

bool
trace_state_valid(const char *value)
{
    struct state_key keys[STATE_MEMBERS_MAX];
    size_t n_keys = 0, n_members = 0;

    if (value == NULL)
        return false;
    size_t len = strnlen(value, TRACE_STATE_MAX + 1);
    if (len > TRACE_STATE_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e)
            return false;
    for (const char *p = value;; p++) {
        size_t n = strcspn(p, ",");
        const char *m = p;
        size_t mn = n;
        while (mn > 0 && m[0] == ' ') {
            m++;
            mn--;
        }
        while (mn > 0 && m[mn - 1] == ' ')
            mn--;
        if (++n_members > STATE_MEMBERS_MAX || !state_member_add(m, mn, keys, &n_keys))
            return false;
        p += n;
        if (*p == '\0')
            break;
    }
    /* only empty members: nothing to carry */
    return n_keys > 0;
}

void
trace_context_parse(const char *traceparent, const char *tracestate, struct trace_context *out)
{
    out->tracestate[0] = '\0';
    if (trace_parent_parse(traceparent, out->traceparent) && trace_state_valid(tracestate))
        memcpy(out->tracestate, tracestate, strlen(tracestate) + 1);
}

const char *
trace_context_trace_id(const struct trace_context *t, char out[TRACE_ID_LEN + 1])
{
    if (t->traceparent[0] == '\0')
        return NULL;
    memcpy(out, t->traceparent + TP_TRACE_ID, TRACE_ID_LEN);
    out[TRACE_ID_LEN] = '\0';
    return out;
}
