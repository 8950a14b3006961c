/*
 * upload.c - what a client sends with a file upload (upload.h), read with
 * small parsers of the grammars involved:
 *
 *   RFC 9110  media-type = type "/" subtype parameters
 *             parameters = *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )
 *   RFC 2046  multipart-body = [preamble CRLF] dash-boundary padding CRLF body-part
 *                              *( CRLF dash-boundary padding CRLF body-part )
 *                              CRLF dash-boundary "--" padding [CRLF epilogue]
 *   RFC 6266  content-disposition = disposition-type *( OWS ";" OWS disp-parm )
 *   RFC 8187  ext-value = charset "'" [ language ] "'" value-chars
 *   RFC 8941  sf-dictionary = dict-member *( OWS "," OWS dict-member )
 *
 * Parameters are read once, by param_next, for Content-Type and
 * Content-Disposition alike; it also takes whitespace around '=', which
 * RFC 6266's implied linear whitespace allows and nothing makes ambiguous.
 */
#include "upload.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "hex.h"

/* A number of upload.h as text, for the details that name it. */
#define TEXT_OF(x) TEXT_OF_(x)
#define TEXT_OF_(x) #x

/* A stretch of a header value: a token, or a quoted-string's inside (escapes kept). */
struct span {
    const char *s;
    size_t n;
    bool quoted;
    bool present;
};

/* What a Content-Disposition value holds for us. */
struct disposition {
    struct span type, name, filename, filename_star;
};

/* The headers of a part that mean something here (the values, without surrounding OWS). */
struct part_headers {
    struct span disposition, type, encoding;
};

/* How reading a name or filename can fail. */
enum text {
    TEXT_OK,
    TEXT_NONE,        /* there is none */
    TEXT_MALFORMED,   /* a filename* that is not an ext-value */
    TEXT_LONG,        /* over the room given */
    TEXT_CHARSET,     /* only a filename* in a charset other than UTF-8 */
    TEXT_UNPRINTABLE, /* not UTF-8, or a control character */
};

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether c is one of the characters of set (never NUL). */
static bool
one_of(int c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* RFC 9110 tchar */
static bool
tchar(int c)
{
    return is_alpha(c) || is_digit(c) || one_of(c, "!#$%&'*+-.^_`|~");
}

/* RFC 2046 bchars */
static bool
bchar(int c)
{
    return is_alpha(c) || is_digit(c) || one_of(c, "'()+_,-./:=? ");
}

/* Whether s[0..n) is lit, ASCII case-insensitively. */
static bool
ieq(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

static const char *
ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *
token_end(const char *p, const char *end)
{
    while (p < end && tchar((unsigned char)*p))
        p++;
    return p;
}

/* HTAB, SP, VCHAR, obs-text: what a quoted-string holds, quoted or not */
static bool
quotable(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Past the closing quote of the quoted-string that opens at p; NULL when it is malformed. */
static const char *
quoted_end(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\' && ++p == end)
            return NULL;
        if (!quotable((unsigned char)*p))
            return NULL;
    }
    return NULL;
}

/*
 * The next parameter of a "; name=value" list at *p (before end): 1 with
 * name and value set and *p past it, 0 at the end of the list, -1 when the
 * list is malformed. Empty parameters (";;", a trailing ';') are skipped.
 */
static int
param_next(const char **p, const char *end, struct span *name, struct span *value)
{
    const char *s = ows(*p, end), *t;

    if (s == end)
        return 0;
    if (*s != ';')
        return -1;
    while (s < end && *s == ';')
        s = ows(s + 1, end);
    if (s == end)
        return 0;
    t = token_end(s, end);
    if (t == s)
        return -1;
    *name = (struct span){s, (size_t)(t - s), false, true};
    s = ows(t, end);
    if (s == end || *s != '=')
        return -1;
    s = ows(s + 1, end);
    if (s < end && *s == '"') {
        if ((t = quoted_end(s, end)) == NULL)
            return -1;
        *value = (struct span){s + 1, (size_t)(t - s - 2), true, true};
    } else {
        if ((t = token_end(s, end)) == s)
            return -1;
        *value = (struct span){s, (size_t)(t - s), false, true};
    }
    *p = t;
    return 1;
}

/* The text of a token or quoted-string v (escapes undone) into out: false when over max bytes. */
static bool
span_text(const struct span *v, char *out, size_t max, size_t *n)
{
    size_t o = 0;

    for (size_t i = 0; i < v->n; i++) {
        /* quoted_end saw that a character follows every backslash */
        char c = v->quoted && v->s[i] == '\\' ? v->s[++i] : v->s[i];
        if (o == max)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    *n = o;
    return true;
}

static bool
boundary_valid(const char *b, size_t n)
{
    if (n < 1 || n > UPLOAD_BOUNDARY_MAX || b[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!bchar((unsigned char)b[i]))
            return false;
    return true;
}

int
upload_multipart_boundary(const char *content_type, char boundary[UPLOAD_BOUNDARY_MAX + 1])
{
    struct span name, value;
    const char *p, *t, *end;
    bool found = false;
    size_t n = 0;
    int rc = ERR_NOT_FOUND, more;

    boundary[0] = '\0';
    if (content_type == NULL)
        goto out;
    end = content_type + strlen(content_type);
    p = ows(content_type, end);
    t = token_end(p, end);
    if (!ieq(p, (size_t)(t - p), "multipart") || t == end || *t != '/')
        goto out;
    p = t + 1;
    t = token_end(p, end);
    if (!ieq(p, (size_t)(t - p), "form-data"))
        goto out;
    rc = ERR_INVALID;
    while ((more = param_next(&t, end, &name, &value)) == 1) {
        if (!ieq(name.s, name.n, "boundary"))
            continue;
        if (found || !span_text(&value, boundary, UPLOAD_BOUNDARY_MAX, &n))
            goto out;
        found = true;
    }
    if (more < 0 || !found || !boundary_valid(boundary, n))
        goto out;
    rc = ERR_OK;
out:
    if (rc != ERR_OK)
        boundary[0] = '\0';
    return rc;
}

/* Whether s[0..n) is UTF-8 (shortest forms, no surrogates) without control characters (Cc). */
static bool
printable_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k;
        uint32_t cp, min;

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return false;
            i++;
            continue;
        }
        /* the length of the sequence, the bits of its first byte, its smallest code point */
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        /* overlong, beyond Unicode, a surrogate, or a C1 control */
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
            return false;
        i += k + 1;
    }
    return true;
}

/*
 * An RFC 8187 ext-value (not quoted): false when malformed. *utf8 tells
 * whether its charset is UTF-8; *chars is its value-chars.
 */
static bool
ext_value_scan(const struct span *v, bool *utf8, struct span *chars)
{
    const char *s = v->s, *end = v->s + v->n, *q;

    if (v->quoted)
        return false;
    for (q = s; q < end && (is_alpha(*q) || is_digit(*q) || one_of(*q, "!#$%&+-^_`{}~")); q++)
        ;
    if (q == s || q == end || *q != '\'')
        return false;
    *utf8 = ieq(s, (size_t)(q - s), "UTF-8");
    for (q++; q < end && (is_alpha(*q) || is_digit(*q) || *q == '-'); q++)
        ;
    if (q == end || *q != '\'')
        return false;
    q++;
    *chars = (struct span){q, (size_t)(end - q), false, true};
    for (; q < end; q++) {
        if (*q == '%') {
            if (end - q < 3 || !is_hex(q[1]) || !is_hex(q[2]))
                return false;
            q += 2;
        } else if (!(is_alpha(*q) || is_digit(*q) || one_of(*q, "!#$&+-.^_`|~"))) {
            return false;
        }
    }
    return true;
}

/* The percent-decoded value-chars v into out: false when over max bytes. */
static bool
pct_text(const struct span *v, char *out, size_t max, size_t *n)
{
    size_t o = 0;

    for (size_t i = 0; i < v->n; i++) {
        char c = v->s[i];
        if (c == '%') {
            c = (char)(hex_digit(v->s[i + 1]) << 4 | hex_digit(v->s[i + 2]));
            i += 2;
        }
        if (o == max)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    *n = o;
    return true;
}

/*
 * Scan a Content-Disposition value [s, end) into d: false when it is
 * malformed or gives name, filename or filename* twice (recipients would
 * not agree on which one counts).
 */
static bool
disposition_scan(const char *s, const char *end, struct disposition *d)
{
    struct span name, value, *slot;
    const char *t;
    int more;

    memset(d, 0, sizeof *d);
    s = ows(s, end);
    if ((t = token_end(s, end)) == s)
        return false;
    d->type = (struct span){s, (size_t)(t - s), false, true};
    while ((more = param_next(&t, end, &name, &value)) == 1) {
        slot = ieq(name.s, name.n, "name")        ? &d->name
               : ieq(name.s, name.n, "filename")  ? &d->filename
               : ieq(name.s, name.n, "filename*") ? &d->filename_star
                                                  : NULL;
        if (slot == NULL)
            continue;
        if (slot->present)
            return false;
        *slot = value;
    }
    return more == 0;
}

/*
 * The filename of d into out (at most max bytes and a NUL): filename* when
 * its charset is UTF-8, else filename.
 */
static enum text
disposition_filename(const struct disposition *d, char *out, size_t max)
{
    struct span chars;
    bool utf8 = false;
    size_t n;

    out[0] = '\0';
    if (d->filename_star.present && !ext_value_scan(&d->filename_star, &utf8, &chars))
        return TEXT_MALFORMED;
    if (d->filename_star.present && utf8) {
        if (!pct_text(&chars, out, max, &n))
            return TEXT_LONG;
    } else if (d->filename.present) {
        if (!span_text(&d->filename, out, max, &n))
            return TEXT_LONG;
    } else {
        return d->filename_star.present ? TEXT_CHARSET : TEXT_NONE;
    }
    return printable_utf8((const unsigned char *)out, n) ? TEXT_OK : TEXT_UNPRINTABLE;
}

/*
 * One header line [s, s + n) of a part, without its CRLF, into h. Returns
 * NULL, or why it is refused, as a phrase after "part N has ".
 */
static const char *
header_line(const char *s, size_t n, struct part_headers *h)
{
    const char *end = s + n, *colon = token_end(s, end), *v, *ve;
    struct span *slot;

    /* a field name, then ':' (no space before it, nor folding onto a new line) */
    if (colon == s || colon == end || *colon != ':')
        return "a malformed header line";
    v = ows(colon + 1, end);
    for (ve = end; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
        ;
    for (const char *q = v; q < ve; q++)
        if (!quotable((unsigned char)*q))
            return "a malformed header line";
    if (ieq(s, (size_t)(colon - s), "content-disposition"))
        slot = &h->disposition;
    else if (ieq(s, (size_t)(colon - s), "content-type"))
        slot = &h->type;
    else if (ieq(s, (size_t)(colon - s), "content-transfer-encoding"))
        slot = &h->encoding;
    else
        return NULL;
    if (slot->present)
        return slot == &h->disposition ? "more than one Content-Disposition header"
               : slot == &h->type      ? "more than one Content-Type header"
                                       : "more than one Content-Transfer-Encoding header";
    *slot = (struct span){v, (size_t)(ve - v), false, true};
    return NULL;
}

/*
 * Read the header block of part no, which starts at s and ends at e (where
 * CRLF "--" boundary follows, when ended; else e is len): its lines into h,
 * and where its data starts into *data.
 */
static int
part_headers_read(const unsigned char *b, size_t len, size_t s, size_t e, bool ended, int no,
                  struct part_headers *h, size_t *data, char *detail, size_t detail_size)
{
    /* the last header line may end with the CRLF of the delimiter (a part without data) */
    size_t limit = ended ? e + 2 : len, p = s, q;
    size_t window = limit - s < UPLOAD_HEADERS_MAX + 2 ? limit : s + UPLOAD_HEADERS_MAX + 2;
    const unsigned char *eol;
    const char *why;

    memset(h, 0, sizeof *h);
    for (;;) {
        eol = memmem(b + p, window - p, "\r\n", 2);
        if (eol == NULL) {
            if (window < limit)
                snprintf(detail, detail_size, "part %d has a header block over %d bytes", no,
                         UPLOAD_HEADERS_MAX);
            else if (!ended)
                snprintf(detail, detail_size, "the body ends inside the headers of part %d", no);
            else
                snprintf(detail, detail_size, "part %d has no empty line after its headers", no);
            return ERR_INVALID;
        }
        q = (size_t)(eol - b);
        if (q == p)
            break;
        if (q + 2 - s > UPLOAD_HEADERS_MAX) {
            snprintf(detail, detail_size, "part %d has a header block over %d bytes", no,
                     UPLOAD_HEADERS_MAX);
            return ERR_INVALID;
        }
        if ((why = header_line((const char *)b + p, q - p, h)) != NULL) {
            snprintf(detail, detail_size, "part %d has %s", no, why);
            return ERR_INVALID;
        }
        p = q + 2;
    }
    *data = p + 2 < e ? p + 2 : e;
    return ERR_OK;
}

/* The name, filename and media type of part no from its headers h. */
static int
part_fill(const struct part_headers *h, int no, struct upload_part *part, char *detail,
          size_t detail_size)
{
    struct disposition d;
    size_t n;
    const char *why = NULL;
    int rc = ERR_INVALID;

    if (!h->disposition.present) {
        why = "no Content-Disposition form-data header";
        goto out;
    }
    if (!disposition_scan(h->disposition.s, h->disposition.s + h->disposition.n, &d)) {
        why = "a malformed Content-Disposition header";
        goto out;
    }
    if (!ieq(d.type.s, d.type.n, "form-data")) {
        why = "no Content-Disposition form-data header";
        goto out;
    }
    if (!d.name.present) {
        why = "no name in its Content-Disposition header";
        goto out;
    }
    if (!span_text(&d.name, part->name, UPLOAD_NAME_MAX, &n)) {
        why = "a name over " TEXT_OF(UPLOAD_NAME_MAX) " bytes";
        goto out;
    }
    if (!printable_utf8((const unsigned char *)part->name, n)) {
        why = "a name that is not printable UTF-8";
        goto out;
    }
    switch (disposition_filename(&d, part->filename, UPLOAD_NAME_MAX)) {
    case TEXT_OK:
    case TEXT_NONE:
        break;
    case TEXT_MALFORMED:
        why = "a malformed filename* parameter";
        goto out;
    case TEXT_LONG:
        why = "a filename over " TEXT_OF(UPLOAD_NAME_MAX) " bytes";
        goto out;
    case TEXT_CHARSET:
        why = "a filename* in a charset other than UTF-8";
        goto out;
    case TEXT_UNPRINTABLE:
        why = "a filename that is not printable UTF-8";
        goto out;
    }
    part->has_filename = d.filename.present || d.filename_star.present;
    if (h->type.n > UPLOAD_MEDIA_TYPE_MAX) {
        why = "a Content-Type over " TEXT_OF(UPLOAD_MEDIA_TYPE_MAX) " bytes";
        goto out;
    }
    memcpy(part->media_type, h->type.s ? h->type.s : "", h->type.n);
    part->media_type[h->type.n] = '\0';
    if (h->encoding.present && !ieq(h->encoding.s, h->encoding.n, "binary") &&
        !ieq(h->encoding.s, h->encoding.n, "8bit") && !ieq(h->encoding.s, h->encoding.n, "7bit")) {
        why = "a Content-Transfer-Encoding other than binary, 8bit or 7bit";
        goto out;
    }
    rc = ERR_OK;
out:
    if (why != NULL)
        snprintf(detail, detail_size, "part %d has %s", no, why);
    return rc;
}

/* Past the transport padding (spaces and tabs) at p. */
static size_t
padding(const unsigned char *b, size_t len, size_t p)
{
    while (p < len && (b[p] == ' ' || b[p] == '\t'))
        p++;
    return p;
}

static bool
crlf_at(const unsigned char *b, size_t len, size_t p)
{
    return len - p >= 2 && b[p] == '\r' && b[p + 1] == '\n';
}

int
upload_multipart_parse(const void *body, size_t len, const char *boundary,
                       struct upload_part *parts, int max, int *n, char *detail, size_t detail_size)
{
    const unsigned char *b = body, *d;
    unsigned char delim[UPLOAD_BOUNDARY_MAX + 4]; /* CRLF "--" boundary */
    size_t bn = boundary ? strnlen(boundary, UPLOAD_BOUNDARY_MAX + 1) : 0, dn = bn + 4, pos, e;
    size_t data;
    struct part_headers h;
    int count = 0, rc = ERR_INVALID;

    *n = 0;
    if (detail_size > 0)
        detail[0] = '\0';
    if (!boundary_valid(boundary ? boundary : "", bn)) {
        snprintf(detail, detail_size, "the boundary is not valid");
        goto out;
    }
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, bn);
    /* the first delimiter: at the start of the body, or after a CRLF of the preamble */
    if (len >= dn - 2 && memcmp(b, delim + 2, dn - 2) == 0) {
        pos = dn - 2;
    } else if (len > 0 && (d = memmem(b, len, delim, dn)) != NULL) {
        pos = (size_t)(d - b) + dn;
    } else {
        snprintf(detail, detail_size, "the body does not contain the boundary");
        goto out;
    }
    /* pos is past a dash-boundary: "--" closes the body, padding and CRLF open a part */
    for (;;) {
        if (len - pos >= 2 && b[pos] == '-' && b[pos + 1] == '-') {
            pos = padding(b, len, pos + 2);
            if (pos < len && !crlf_at(b, len, pos)) {
                snprintf(detail, detail_size,
                         "the closing boundary line has characters after the boundary");
                goto out;
            }
            break;
        }
        pos = padding(b, len, pos);
        if (!crlf_at(b, len, pos)) {
            /* what is left may be the start of a CRLF or of the closing "--" */
            if (len - pos < 2 && (pos == len || b[pos] == '\r' || b[pos] == '-'))
                snprintf(detail, detail_size, "the body ends before the closing boundary");
            else if (count == 0)
                snprintf(detail, detail_size,
                         "the first boundary line has characters after the boundary");
            else
                snprintf(detail, detail_size,
                         "the boundary line after part %d has characters after the boundary",
                         count);
            goto out;
        }
        pos += 2;
        if (count >= max) {
            snprintf(detail, detail_size, "more than %d parts", max);
            goto out;
        }
        d = memmem(b + pos, len - pos, delim, dn);
        e = d ? (size_t)(d - b) : len;
        if (part_headers_read(b, len, pos, e, d != NULL, count + 1, &h, &data, detail,
                              detail_size) != ERR_OK)
            goto out;
        if (d == NULL) {
            snprintf(detail, detail_size, "the body ends before the closing boundary");
            goto out;
        }
        memset(&parts[count], 0, sizeof parts[count]);
        if (part_fill(&h, count + 1, &parts[count], detail, detail_size) != ERR_OK)
            goto out;
        parts[count].data = b + data;
        parts[count].len = e - data;
        count++;
        pos = e + dn;
    }
    *n = count;
    rc = ERR_OK;
out:
    return rc;
}

int
upload_disposition_filename(const char *value, char *out, size_t size)
{
    struct disposition d;
    int rc = ERR_INVALID;

    if (size == 0)
        goto out;
    out[0] = '\0';
    if (value == NULL) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (!disposition_scan(value, value + strlen(value), &d) ||
        !(ieq(d.type.s, d.type.n, "attachment") || ieq(d.type.s, d.type.n, "inline") ||
          ieq(d.type.s, d.type.n, "form-data")))
        goto out;
    switch (disposition_filename(&d, out, size - 1)) {
    case TEXT_OK:
        rc = ERR_OK;
        break;
    case TEXT_NONE:
        rc = ERR_NOT_FOUND;
        break;
    default:
        break;
    }
out:
    if (rc != ERR_OK && size > 0)
        out[0] = '\0';
    return rc;
}

/* The value of a standard base64 character, or -1. */
static int
b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (is_digit(c))
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decode standard base64 s[0..n) into out (its first max bytes; out NULL
 * only checks), the decoded length into *out_n. "=" padding may be absent
 * but, when present, is complete; pad bits may be non-zero (RFC 8941
 * 4.2.7). False when s is not base64.
 */
static bool
b64_decode(const char *s, size_t n, unsigned char *out, size_t max, size_t *out_n)
{
    size_t data = n, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    while (data > 0 && s[data - 1] == '=')
        data--;
    if (data % 4 == 1 || (data < n && (n % 4 != 0 || n - data > 2)))
        return false;
    for (size_t i = 0; i < data; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (out != NULL && o < max)
                out[o] = (unsigned char)(acc >> bits);
            o++;
        }
    }
    *out_n = o;
    return true;
}

static bool
lcalpha(int c)
{
    return c >= 'a' && c <= 'z';
}

/* RFC 8941 key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ): its end, or NULL.
 */
static const char *
sf_key(const char *p)
{
    if (!(lcalpha(*p) || *p == '*'))
        return NULL;
    for (p++; lcalpha(*p) || is_digit(*p) || one_of(*p, "_-.*"); p++)
        ;
    return p;
}

/* An sf-binary at p (':'), decoded as b64_decode does: its end, or NULL. */
static const char *
sf_binary(const char *p, unsigned char *out, size_t max, size_t *n)
{
    const char *q = p + 1;

    while (b64_value((unsigned char)*q) >= 0 || *q == '=')
        q++;
    if (*q != ':' || !b64_decode(p + 1, (size_t)(q - p - 1), out, max, n))
        return NULL;
    return q + 1;
}

/* An RFC 8941 bare-item at p: its end, or NULL. */
static const char *
sf_bare_item(const char *p)
{
    const char *q, *digits;
    size_t n;

    if (*p == '-' || is_digit(*p)) {
        /* an integer of 1 to 15 digits, or a decimal of 1 to 12 and 1 to 3 */
        for (digits = q = p + (*p == '-'); is_digit(*q); q++)
            ;
        n = (size_t)(q - digits);
        if (*q != '.')
            return n >= 1 && n <= 15 ? q : NULL;
        for (digits = ++q; is_digit(*q); q++)
            ;
        return n >= 1 && n <= 12 && q > digits && q - digits <= 3 ? q : NULL;
    }
    if (*p == '"') {
        for (q = p + 1; *q != '"'; q++) {
            if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
                q++;
            else if (*q < 0x20 || *q > 0x7e || *q == '\\')
                return NULL;
        }
        return q + 1;
    }
    if (is_alpha(*p) || *p == '*') {
        for (q = p + 1; tchar((unsigned char)*q) || *q == ':' || *q == '/'; q++)
            ;
        return q;
    }
    if (*p == ':')
        return sf_binary(p, NULL, 0, &n);
    if (*p == '?' && (p[1] == '0' || p[1] == '1'))
        return p + 2;
    return NULL;
}

/* RFC 8941 parameters = *( ";" *SP key [ "=" bare-item ] ): their end, or NULL. */
static const char *
sf_parameters(const char *p)
{
    while (p != NULL && *p == ';') {
        for (p++; *p == ' '; p++)
            ;
        if ((p = sf_key(p)) != NULL && *p == '=')
            p = sf_bare_item(p + 1);
    }
    return p;
}

int
upload_digest_sha256(const char *field, unsigned char digest[UPLOAD_SHA256_LEN])
{
    unsigned char value[UPLOAD_SHA256_LEN];
    const char *p = field, *key;
    bool has = false, fits = false, sha256;
    size_t n;
    int rc = ERR_NOT_FOUND;

    if (p == NULL)
        goto out;
    rc = ERR_INVALID;
    while (*p == ' ')
        p++;
    while (*p != '\0') {
        /* a dictionary of byte sequences: key "=" sf-binary parameters */
        key = p;
        if ((p = sf_key(p)) == NULL || p[0] != '=' || p[1] != ':')
            goto out;
        sha256 = p - key == 7 && memcmp(key, "sha-256", 7) == 0;
        p = sf_binary(p + 1, sha256 ? value : NULL, sizeof value, &n);
        if ((p = sf_parameters(p)) == NULL)
            goto out;
        if (sha256) {
            /* of a key given twice, the last one counts */
            has = true;
            fits = n == UPLOAD_SHA256_LEN;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        if (*p != ',')
            goto out;
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        if (*p == '\0')
            goto out;
    }
    rc = !has ? ERR_NOT_FOUND : fits ? ERR_OK : ERR_INVALID;
    if (rc == ERR_OK)
        memcpy(digest, value, sizeof value);
out:
    return rc;
}
