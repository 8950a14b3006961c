/*
 * fuzz_upload.c - what a client sends with a file upload (upload.h).
 *
 * The input is a header value (up to a NUL), FUZZ_SEPARATOR, and a body.
 * The header value is read as a Content-Type, as a Content-Disposition and
 * as a Content-Digest. Properties: every parser is deterministic, writes
 * nothing past its output (the outputs are heap blocks of their exact size,
 * or sit before a canary), and leaves its output empty or untouched when it
 * refuses. A boundary that is returned is an RFC 2046 boundary and reads
 * back the same from a quoted parameter; a filename that is returned is
 * printable, fits in exactly its length and a NUL and no less, and reads
 * back the same from filename= and from filename*; a sha-256 that is
 * returned reads back the same from its base64, and adding another member
 * keeps it or, for another sha-256, replaces it.
 *
 * The body is parsed with the boundary of the Content-Type, or "boundary"
 * when it has none: a refusal says why in lower case, with no parts; the
 * parts' data lies within the body and never holds CRLF "--" boundary;
 * names and filenames are printable (media types may hold a tab); one part fewer than
 * found is refused as too many; and the parts written out again (CRLF
 * framing, the headers that were parsed) parse to the same parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "upload.h"

#define MAX_PARTS 8
#define CANARY 0xa5

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

/* No C0 control (but a tab, when tab) nor DEL in s. */
static bool
printable(const char *s, bool tab)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && !(tab && *s == '\t')) || *s == 0x7f)
            return false;
    return true;
}

static bool
bchars(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("'()+_,-./:=? ", *s) != NULL))
            return false;
    return true;
}

/* s as a quoted-string ('"' and '\' escaped) at out, which has room for 2 * strlen(s) + 3. */
static size_t
quote(char *out, const char *s)
{
    size_t o = 0;

    out[o++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            out[o++] = '\\';
        out[o++] = *s;
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

static void
check_boundary(const char *line)
{
    char b[UPLOAD_BOUNDARY_MAX + 1], again[UPLOAD_BOUNDARY_MAX + 1];
    char ct[64 + 2 * UPLOAD_BOUNDARY_MAX];

    int rc = upload_multipart_boundary(line, b);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_NOT_FOUND || rc == ERR_INVALID);
    FUZZ_CHECK(upload_multipart_boundary(line, again) == rc && strcmp(again, b) == 0);
    if (rc != ERR_OK) {
        FUZZ_CHECK(b[0] == '\0');
        return;
    }
    size_t n = strlen(b);
    FUZZ_CHECK(n >= 1 && n <= UPLOAD_BOUNDARY_MAX && b[n - 1] != ' ' && bchars(b));
    size_t o = (size_t)snprintf(ct, sizeof ct, "multipart/form-data; boundary=");
    quote(ct + o, b);
    FUZZ_CHECK(upload_multipart_boundary(ct, again) == ERR_OK && strcmp(again, b) == 0);
}

/* upload_disposition_filename into a heap block of exactly size bytes; the result in *out. */
static int
filename_in(const char *value, size_t size, char **out)
{
    *out = xmalloc(size);
    if (size > 0)
        memset(*out, 'x', size);
    return upload_disposition_filename(value, *out, size);
}

static void
check_disposition(const char *line)
{
    char *out, *again, *value;

    int rc = filename_in(line, UPLOAD_NAME_MAX + 1, &out);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_NOT_FOUND || rc == ERR_INVALID);
    FUZZ_CHECK(filename_in(line, UPLOAD_NAME_MAX + 1, &again) == rc && strcmp(again, out) == 0);
    free(again);
    if (rc != ERR_OK) {
        FUZZ_CHECK(out[0] == '\0');
        free(out);
        return;
    }
    size_t n = strlen(out);
    FUZZ_CHECK(n <= UPLOAD_NAME_MAX && printable(out, false));
    /* exactly its length and a NUL fit */
    FUZZ_CHECK(filename_in(line, n + 1, &again) == ERR_OK && strcmp(again, out) == 0);
    free(again);
    FUZZ_CHECK(filename_in(line, n, &again) == ERR_INVALID && (n == 0 || again[0] == '\0'));
    free(again);
    /* it reads back from filename= and from filename* */
    value = xmalloc(32 + 3 * n);
    size_t o = (size_t)snprintf(value, 32, "attachment; filename=");
    quote(value + o, out);
    FUZZ_CHECK(filename_in(value, n + 1, &again) == ERR_OK && strcmp(again, out) == 0);
    free(again);
    o = (size_t)snprintf(value, 32, "inline; filename*=UTF-8''");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(value + o, 4, "%%%02X", (unsigned char)out[i]);
    FUZZ_CHECK(filename_in(value, n + 1, &again) == ERR_OK && strcmp(again, out) == 0);
    free(again);
    free(value);
    free(out);
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[o] = '\0';
}

/* upload_digest_sha256 into the first 32 bytes of a block of 48 filled with CANARY. */
static int
digest_in(const char *field, unsigned char block[48])
{
    memset(block, CANARY, 48);
    int rc = upload_digest_sha256(field, block);
    for (size_t i = rc == ERR_OK ? UPLOAD_SHA256_LEN : 0; i < 48; i++)
        FUZZ_CHECK(block[i] == CANARY);
    return rc;
}

static void
check_digest(const char *line)
{
    unsigned char d[48], again[48];
    char b64[48], *field;

    int rc = digest_in(line, d);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_NOT_FOUND || rc == ERR_INVALID);
    FUZZ_CHECK(digest_in(line, again) == rc && memcmp(d, again, sizeof d) == 0);
    if (rc != ERR_OK)
        return;
    base64(d, UPLOAD_SHA256_LEN, b64);
    field = xmalloc(strlen(line) + 80);
    snprintf(field, 80, "sha-256=:%s:", b64);
    FUZZ_CHECK(digest_in(field, again) == ERR_OK && memcmp(d, again, sizeof d) == 0);
    /* another member keeps it; another sha-256 comes last and counts */
    sprintf(field, "%s, x=:AA==:", line);
    FUZZ_CHECK(digest_in(field, again) == ERR_OK && memcmp(d, again, sizeof d) == 0);
    sprintf(field, "%s,sha-256=:AAAA:", line);
    FUZZ_CHECK(digest_in(field, again) == ERR_INVALID);
    free(field);
}

/* The parts written out again with boundary: CRLF framing, the headers they were parsed from. */
static unsigned char *
serialise(const struct upload_part *parts, int n, const char *boundary, size_t *len)
{
    size_t cap = 16 + strlen(boundary), o = 0;
    unsigned char *buf;

    for (int i = 0; i < n; i++)
        cap += 128 + strlen(boundary) + 2 * strlen(parts[i].name) + 2 * strlen(parts[i].filename) +
               strlen(parts[i].media_type) + parts[i].len;
    buf = xmalloc(cap);
    for (int i = 0; i < n; i++) {
        char *s = (char *)buf;
        o += (size_t)snprintf(s + o, cap - o,
                              "%s--%s\r\nContent-Disposition: form-data; name=", i ? "\r\n" : "",
                              boundary);
        o += quote(s + o, parts[i].name);
        if (parts[i].has_filename) {
            o += (size_t)snprintf(s + o, cap - o, "; filename=");
            o += quote(s + o, parts[i].filename);
        }
        o += (size_t)snprintf(s + o, cap - o, "\r\n");
        if (parts[i].media_type[0] != '\0')
            o += (size_t)snprintf(s + o, cap - o, "Content-Type: %s\r\n", parts[i].media_type);
        o += (size_t)snprintf(s + o, cap - o, "\r\n");
        memcpy(buf + o, parts[i].data, parts[i].len);
        o += parts[i].len;
    }
    o += (size_t)snprintf((char *)buf + o, cap - o, "%s--%s--\r\n", n ? "\r\n" : "", boundary);
    FUZZ_CHECK(o < cap);
    *len = o;
    return buf;
}

static bool
same_part(const struct upload_part *a, const struct upload_part *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0 &&
           strcmp(a->name, b->name) == 0 && strcmp(a->filename, b->filename) == 0 &&
           a->has_filename == b->has_filename && strcmp(a->media_type, b->media_type) == 0;
}

/* Parse, and check what every result must be. Returns the rc; *n the parts. */
static int
parse(const unsigned char *body, size_t len, const char *boundary, struct upload_part *parts,
      int max, int *n, char *detail, size_t detail_size)
{
    char delim[UPLOAD_BOUNDARY_MAX + 5];
    size_t dn = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);

    int rc = upload_multipart_parse(body, len, boundary, parts, max, n, detail, detail_size);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_INVALID);
    if (rc != ERR_OK) {
        size_t dl = strlen(detail);
        FUZZ_CHECK(*n == 0 && dl > 0 && detail[0] >= 'a' && detail[0] <= 'z');
        FUZZ_CHECK(detail[dl - 1] != '.');
        return rc;
    }
    FUZZ_CHECK(detail[0] == '\0' && *n >= 0 && *n <= max);
    for (int i = 0; i < *n; i++) {
        const struct upload_part *p = &parts[i];
        FUZZ_CHECK(p->data >= body && p->len <= len && p->data - body <= (ptrdiff_t)(len - p->len));
        FUZZ_CHECK(p->len < dn || memmem(p->data, p->len, delim, dn) == NULL);
        FUZZ_CHECK(strnlen(p->name, sizeof p->name) < sizeof p->name && printable(p->name, false));
        FUZZ_CHECK(strnlen(p->filename, sizeof p->filename) < sizeof p->filename &&
                   printable(p->filename, false));
        FUZZ_CHECK(p->has_filename || p->filename[0] == '\0');
        FUZZ_CHECK(strnlen(p->media_type, sizeof p->media_type) < sizeof p->media_type &&
                   printable(p->media_type, true));
    }
    return rc;
}

static void
check_body(const unsigned char *body, size_t len, const char *boundary)
{
    struct upload_part parts[MAX_PARTS], again[MAX_PARTS];
    char detail[128], detail_again[128];
    int n, n_again;
    size_t out_len;

    int rc = parse(body, len, boundary, parts, MAX_PARTS, &n, detail, sizeof detail);
    FUZZ_CHECK(parse(body, len, boundary, again, MAX_PARTS, &n_again, detail_again,
                     sizeof detail_again) == rc);
    FUZZ_CHECK(n_again == n && strcmp(detail, detail_again) == 0);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(same_part(&parts[i], &again[i]) && parts[i].data == again[i].data);
    if (rc != ERR_OK)
        return;
    if (n > 0) {
        char expected[32];
        snprintf(expected, sizeof expected, "more than %d parts", n - 1);
        FUZZ_CHECK(parse(body, len, boundary, again, n - 1, &n_again, detail_again,
                         sizeof detail_again) == ERR_INVALID);
        FUZZ_CHECK(strcmp(detail_again, expected) == 0);
    }
    unsigned char *out = serialise(parts, n, boundary, &out_len);
    FUZZ_CHECK(parse(out, out_len, boundary, again, MAX_PARTS, &n_again, detail_again,
                     sizeof detail_again) == ERR_OK);
    FUZZ_CHECK(n_again == n);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(same_part(&parts[i], &again[i]));
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t an, bn;
    char boundary[UPLOAD_BOUNDARY_MAX + 1];

    fuzz_split(data, size, &a, &an, &b, &bn);
    char *line = fuzz_text(a, an);
    check_boundary(line);
    check_disposition(line);
    check_digest(line);
    if (upload_multipart_boundary(line, boundary) != ERR_OK)
        snprintf(boundary, sizeof boundary, "boundary");
    /* the body in a block of its own size, so that reading past it is caught */
    unsigned char *body = xmalloc(bn);
    memcpy(body, b, bn);
    check_body(body, bn, boundary);
    free(body);
    free(line);
    return 0;
}
