/*
 * test_upload.c - what clients send with a file upload (upload.h): the
 * multipart/form-data boundary of a Content-Type, bodies as curl -F sends
 * them, binary data, several parts, preamble and epilogue, filename*, each
 * malformed class refused with its detail; the filename of a raw upload's
 * Content-Disposition; and the sha-256 of a Content-Digest, checked against
 * GnuTLS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "upload.h"

/* What curl 7.88 sends for curl -F file=@report.pdf (its Content-Type, then the body). */
#define CURL_BOUNDARY "------------------------14f7d032282676cc"
#define CURL_TYPE "multipart/form-data; boundary=" CURL_BOUNDARY
#define PDF "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
#define CURL_BODY                                                                                  \
    "--" CURL_BOUNDARY "\r\n"                                                                      \
    "Content-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n"                   \
    "Content-Type: application/pdf\r\n"                                                            \
    "\r\n" PDF "\r\n"                                                                              \
    "--" CURL_BOUNDARY "--\r\n"
/* where its data starts: the delimiter line, the two header lines, the empty line */
#define CURL_DATA_AT (2 + sizeof CURL_BOUNDARY - 1 + 2 + 68 + 31 + 2)

/* A short boundary for the bodies written here. */
#define B "xYz"
#define CD "Content-Disposition: form-data; name="

#define MAX_PARTS 8

/* The sha-256 of s, from GnuTLS. */
static void
sha256(const char *s, unsigned char out[UPLOAD_SHA256_LEN])
{
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, s, strlen(s), out), 0);
}

/* Parse body[0..len) with boundary, which must succeed; returns the count. */
static int
parsed(const char *body, size_t len, const char *boundary, struct upload_part *parts, int max)
{
    char detail[128];
    int n = -1;

    int rc = upload_multipart_parse(body, len, boundary, parts, max, &n, detail, sizeof detail);
    if (rc != ERR_OK)
        fail_msg("refused (%d): %s", rc, detail);
    assert_string_equal(detail, "");
    for (int i = 0; i < n; i++)
        assert_true(parts[i].data >= (const unsigned char *)body &&
                    parts[i].data + parts[i].len <= (const unsigned char *)body + len);
    return n;
}

/* Parse a NUL-terminated body with boundary B. */
static int
parsed_text(const char *body, struct upload_part *parts)
{
    return parsed(body, strlen(body), B, parts, MAX_PARTS);
}

/* A body (with boundary B) is refused with exactly this detail. */
static void
refused(const char *body, size_t len, const char *detail_expected)
{
    struct upload_part parts[MAX_PARTS];
    char detail[128];
    int n = -1;

    int rc = upload_multipart_parse(body, len, B, parts, MAX_PARTS, &n, detail, sizeof detail);
    if (rc != ERR_INVALID)
        fail_msg("returned %d for body \"%.*s\"", rc, (int)len, body);
    assert_int_equal(n, 0);
    assert_string_equal(detail, detail_expected);
}

static void
refused_text(const char *body, const char *detail_expected)
{
    refused(body, strlen(body), detail_expected);
}

static void
assert_data(const struct upload_part *p, const void *data, size_t len)
{
    assert_int_equal(p->len, len);
    assert_memory_equal(p->data, data, len);
}

static void
boundary_of(const char *content_type, const char *expected)
{
    char b[UPLOAD_BOUNDARY_MAX + 1];

    int rc = upload_multipart_boundary(content_type, b);
    if (rc != ERR_OK)
        fail_msg("returned %d for \"%s\"", rc, content_type);
    assert_string_equal(b, expected);
}

static void
boundary_refused(const char *content_type, int expected)
{
    char b[UPLOAD_BOUNDARY_MAX + 1];

    memset(b, 'x', sizeof b);
    int rc = upload_multipart_boundary(content_type, b);
    if (rc != expected)
        fail_msg("returned %d, not %d, for \"%s\"", rc, expected,
                 content_type ? content_type : "(null)");
    assert_string_equal(b, "");
}

static void
test_upload_multipart_boundary_curl(void **state)
{
    (void)state;
    boundary_of(CURL_TYPE, CURL_BOUNDARY);
    /* what browsers send */
    boundary_of("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
                "----WebKitFormBoundary7MA4YWxkTrZu0gW");
}

static void
test_upload_multipart_boundary_parameters(void **state)
{
    (void)state;
    /* case-insensitive type and parameter name, the boundary's case kept */
    boundary_of("Multipart/Form-Data; BOUNDARY=AbC", "AbC");
    /* other parameters, before and after, and optional whitespace */
    boundary_of("multipart/form-data;charset=utf-8;boundary=abc", "abc");
    boundary_of("  multipart/form-data \t; charset=\"utf-8\" ;  boundary=abc ; x=y  ", "abc");
    boundary_of("multipart/form-data; boundary=abc;", "abc");
    boundary_of("multipart/form-data;; boundary=abc", "abc");
    /* a quoted-string, with the bchars a token cannot hold, and an escape */
    boundary_of("multipart/form-data; boundary=\"a b'()+_,-./:=?\"", "a b'()+_,-./:=?");
    boundary_of("multipart/form-data; boundary=\"gc0p4Jq0M2Yt08jU534c0p\"",
                "gc0p4Jq0M2Yt08jU534c0p");
    boundary_of("multipart/form-data; boundary=\"a\\bc\"", "abc");
    /* 70 characters is the longest */
    boundary_of("multipart/form-data; boundary="
                "1234567890123456789012345678901234567890123456789012345678901234567890",
                "1234567890123456789012345678901234567890123456789012345678901234567890");
}

static void
test_upload_multipart_boundary_not_form_data(void **state)
{
    (void)state;
    const char *other[] = {
        "",
        "application/pdf",
        "multipart/mixed; boundary=abc",
        "multipart/form-datax; boundary=abc",
        "text/plain; boundary=abc",
        "multipart",
        "multipart/",
        "multipart form-data; boundary=abc",
        "form-data; boundary=abc",
    };
    boundary_refused(NULL, ERR_NOT_FOUND);
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        boundary_refused(other[i], ERR_NOT_FOUND);
}

static void
test_upload_multipart_boundary_refuses_bad_boundary(void **state)
{
    (void)state;
    const char *invalid[] = {
        /* none */
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        /* 71 characters */
        "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678901",
        "multipart/form-data; boundary=\""
        "12345678901234567890123456789012345678901234567890123456789012345678901\"",
        /* a space at the end, characters that are not bchars */
        "multipart/form-data; boundary=\"abc \"",
        "multipart/form-data; boundary=a!b",
        "multipart/form-data; boundary=\"a@b\"",
        "multipart/form-data; boundary=\"a\tb\"",
        /* twice, even the same */
        "multipart/form-data; boundary=abc; boundary=abc",
        /* malformed parameters */
        "multipart/form-data; boundary",
        "multipart/form-data; =abc",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=abc def",
        "multipart/form-data boundary=abc",
        "multipart/form-data; boundary=abc; charset",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        boundary_refused(invalid[i], ERR_INVALID);
}

static void
test_upload_multipart_parse_curl_pdf(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    char b[UPLOAD_BOUNDARY_MAX + 1];
    const char body[] = CURL_BODY;

    assert_int_equal(upload_multipart_boundary(CURL_TYPE, b), ERR_OK);
    assert_int_equal(parsed(body, sizeof body - 1, b, parts, MAX_PARTS), 1);
    assert_string_equal(parts[0].name, "file");
    assert_true(parts[0].has_filename);
    assert_string_equal(parts[0].filename, "report.pdf");
    assert_string_equal(parts[0].media_type, "application/pdf");
    assert_data(&parts[0], PDF, sizeof PDF - 1);
    assert_ptr_equal(parts[0].data, body + CURL_DATA_AT);
    /* without its final CRLF, the same */
    assert_int_equal(parsed(body, sizeof body - 3, b, parts, MAX_PARTS), 1);
    assert_data(&parts[0], PDF, sizeof PDF - 1);
}

static void
test_upload_multipart_parse_binary_data(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    /* NUL, CR, LF, "--", the boundary after no CRLF or half of one, a partial delimiter */
    const char data[] = "\0\r\n\r\n--\r\n-" B "\n--" B "\r--" B "x--" B "\r\n--xY\r\n-" B "\r\n";
    char body[256];
    size_t n = 0;

    n += (size_t)snprintf(body, sizeof body, "--" B "\r\n" CD "\"f\"; filename=\"x.bin\"\r\n\r\n");
    memcpy(body + n, data, sizeof data - 1);
    n += sizeof data - 1;
    memcpy(body + n, "\r\n--" B "--", 9);
    n += 9;
    assert_int_equal(parsed(body, n, B, parts, MAX_PARTS), 1);
    assert_data(&parts[0], data, sizeof data - 1);
    assert_string_equal(parts[0].media_type, "");

    /* empty data, and data that is only CRLF */
    assert_int_equal(parsed_text("--" B "\r\n" CD "a\r\n\r\n\r\n--" B "\r\n" CD
                                 "b\r\n\r\n\r\n\r\n--" B "--",
                                 parts),
                     2);
    assert_data(&parts[0], "", 0);
    assert_data(&parts[1], "\r\n", 2);
}

static void
test_upload_multipart_parse_several_parts(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    const char *body = "--" B "\r\n" CD "\"title\"\r\n\r\nQ3 report\r\n"
                       "--" B "\r\n"
                       /* header names in any case, other headers ignored, no space after ':' */
                       "content-disposition:form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                       "X-Other: whatever\r\n"
                       "CONTENT-TYPE:  application/pdf; charset=binary \r\n"
                       "Content-Transfer-Encoding: binary\r\n"
                       "\r\n%PDF\r\n"
                       /* no file chosen: a filename, empty */
                       "--" B "\r\n" CD "\"other\"; filename=\"\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n\r\n"
                       "--" B "\r\n" CD "note\r\n\r\n\xc3\xa9t\xc3\xa9\r\n"
                       "--" B "--\r\n";

    assert_int_equal(parsed_text(body, parts), 4);
    assert_string_equal(parts[0].name, "title");
    assert_false(parts[0].has_filename);
    assert_string_equal(parts[0].filename, "");
    assert_string_equal(parts[0].media_type, "");
    assert_data(&parts[0], "Q3 report", 9);
    assert_string_equal(parts[1].name, "file");
    assert_string_equal(parts[1].filename, "a.pdf");
    assert_string_equal(parts[1].media_type, "application/pdf; charset=binary");
    assert_data(&parts[1], "%PDF", 4);
    assert_string_equal(parts[2].name, "other");
    assert_true(parts[2].has_filename);
    assert_string_equal(parts[2].filename, "");
    assert_string_equal(parts[2].media_type, "application/octet-stream");
    assert_data(&parts[2], "", 0);
    assert_string_equal(parts[3].name, "note");
    assert_data(&parts[3], "\xc3\xa9t\xc3\xa9", 5);

    /* exactly max parts fit */
    assert_int_equal(parsed(body, strlen(body), B, parts, 4), 4);
}

static void
test_upload_multipart_parse_preamble_epilogue(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];

    /* a preamble with lines like delimiters, padding after the delimiters, an epilogue */
    assert_int_equal(parsed_text("This is a preamble.\r\n--xY\r\n-- " B "\r\n--XYZ\r\n"
                                 "--" B " \t \r\n" CD "a\r\n\r\n1\r\n"
                                 "--" B "\t\r\n" CD "b\r\n\r\n2\r\n"
                                 "--" B "-- \t\r\nThe epilogue, ignored: --" B "\r\n--" B
                                 "--\r\nCD: \r\n",
                                 parts),
                     2);
    assert_string_equal(parts[0].name, "a");
    assert_data(&parts[0], "1", 1);
    assert_string_equal(parts[1].name, "b");
    assert_data(&parts[1], "2", 1);
    /* the close delimiter at the very end, without CRLF */
    assert_int_equal(parsed_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "--", parts), 1);
    assert_int_equal(parsed_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "--  ", parts), 1);
    /* a part with headers but no empty line and no data (RFC 2046 body-part) */
    assert_int_equal(parsed_text("--" B "\r\n" CD "a\r\n\r\n--" B "--", parts), 1);
    assert_data(&parts[0], "", 0);
    /* no parts at all */
    assert_int_equal(parsed_text("--" B "--\r\n", parts), 0);
    assert_int_equal(parsed_text("preamble\r\n--" B "--", parts), 0);
    /* a dash-boundary that does not start a line is preamble: here, all but the close */
    assert_int_equal(parsed_text(" --" B "\r\n" CD "a\r\n\r\n1\r\n--" B "--", parts), 0);
}

static void
test_upload_multipart_parse_quoted_boundary(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    char b[UPLOAD_BOUNDARY_MAX + 1];
    const char *body = "--simple boundary:=?\r\n" CD "a\r\n\r\n--simple boundary\r\n"
                       "--simple boundary:=?--\r\n";

    assert_int_equal(
        upload_multipart_boundary("multipart/form-data; boundary=\"simple boundary:=?\"", b),
        ERR_OK);
    assert_int_equal(parsed(body, strlen(body), b, parts, MAX_PARTS), 1);
    assert_data(&parts[0], "--simple boundary", 17);
}

static void
test_upload_multipart_parse_filenames(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    const char *body =
        /* filename* preferred over filename, in either order, charset in any case */
        "--" B "\r\n" CD "a; filename=\"EURO rates.pdf\"; "
        "filename*=UTF-8''%E2%82%AC%20rates.pdf\r\n\r\n\r\n"
        "--" B "\r\n" CD "b; filename*=utf-8'en'%e2%82%ac%20rates.pdf; filename=x\r\n\r\n\r\n"
        /* a token, escapes in a quoted-string, raw UTF-8 as browsers send it */
        "--" B "\r\n" CD "c; filename=report.pdf\r\n\r\n\r\n"
        "--" B "\r\n" CD "\"d\\\"\"; filename=\"a\\\"b\\\\c.pdf\"\r\n\r\n\r\n"
        "--" B "\r\n" CD "e; filename=\"r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac.pdf\"\r\n\r\n\r\n"
        /* a filename* in another charset falls back to filename */
        "--" B "\r\n" CD "f; filename*=iso-8859-1''%A3%20rates.pdf; filename=\"rates.pdf\"\r\n"
        "\r\n\r\n"
        "--" B "--";

    assert_int_equal(parsed_text(body, parts), 6);
    assert_string_equal(parts[0].filename, "\xe2\x82\xac rates.pdf");
    assert_string_equal(parts[1].filename, "\xe2\x82\xac rates.pdf");
    assert_string_equal(parts[2].filename, "report.pdf");
    assert_string_equal(parts[3].name, "d\"");
    assert_string_equal(parts[3].filename, "a\"b\\c.pdf");
    assert_string_equal(parts[4].filename, "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac.pdf");
    assert_string_equal(parts[5].filename, "rates.pdf");
    for (int i = 0; i < 6; i++)
        assert_true(parts[i].has_filename);
}

/* "--B CRLF" CD "n; filename=\"" then n times c, "\"" CRLF CRLF, the close delimiter. */
static const char *
long_filename_body(char *buf, size_t size, char c, size_t n)
{
    size_t o = (size_t)snprintf(buf, size, "--" B "\r\n" CD "n; filename=\"");
    assert_true(o + n + 16 < size);
    memset(buf + o, c, n);
    snprintf(buf + o + n, size - o - n, "\"\r\n\r\n\r\n--" B "--");
    return buf;
}

static void
test_upload_multipart_parse_name_lengths(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    char buf[1024];

    assert_int_equal(parsed_text(long_filename_body(buf, sizeof buf, 'f', UPLOAD_NAME_MAX), parts),
                     1);
    assert_int_equal(strlen(parts[0].filename), UPLOAD_NAME_MAX);
    refused_text(long_filename_body(buf, sizeof buf, 'f', UPLOAD_NAME_MAX + 1),
                 "part 1 has a filename over 255 bytes");
    /* a name of 256, then 255 */
    size_t o = (size_t)snprintf(buf, sizeof buf, "--" B "\r\n" CD);
    memset(buf + o, 'n', UPLOAD_NAME_MAX + 1);
    snprintf(buf + o + UPLOAD_NAME_MAX + 1, sizeof buf - o - UPLOAD_NAME_MAX - 1,
             "\r\n\r\n\r\n--" B "--");
    refused_text(buf, "part 1 has a name over 255 bytes");
    snprintf(buf + o + UPLOAD_NAME_MAX, sizeof buf - o - UPLOAD_NAME_MAX, "\r\n\r\n\r\n--" B "--");
    assert_int_equal(parsed_text(buf, parts), 1);
    assert_int_equal(strlen(parts[0].name), UPLOAD_NAME_MAX);
}

static void
test_upload_multipart_parse_refuses_no_close_delimiter(void **state)
{
    (void)state;
    const char body[] = CURL_BODY;
    const char *end = "the body ends before the closing boundary";
    struct upload_part parts[MAX_PARTS];
    char detail[128];
    int n = -1;

    /* the curl body cut anywhere in its data or its close delimiter (but its final CRLF) */
    for (size_t cut = CURL_DATA_AT; cut < sizeof body - 1 - 2; cut++) {
        assert_int_equal(upload_multipart_parse(body, cut, CURL_BOUNDARY, parts, MAX_PARTS, &n,
                                                detail, sizeof detail),
                         ERR_INVALID);
        assert_string_equal(detail, end);
    }
    refused_text("--" B "\r\n" CD "a\r\n\r\ndata", end);
    refused_text("--" B "\r\n" CD "a\r\n\r\ndata\r\n--" B "\r\n", "the body ends inside the "
                                                                  "headers of part 2");
    refused_text("--" B, end);
    refused_text("--" B " ", end);
    refused_text("--" B "\r\n" CD "a\r\n\r\ndata\r\n--" B, end);
}

static void
test_upload_multipart_parse_refuses_truncated_headers(void **state)
{
    (void)state;
    refused_text("--" B "\r\n", "the body ends inside the headers of part 1");
    refused_text("--" B "\r\n" CD "a", "the body ends inside the headers of part 1");
    refused_text("--" B "\r\n" CD "a\r\n", "the body ends inside the headers of part 1");
    refused_text("--" B "\r\n" CD "a\r\n\r", "the body ends inside the headers of part 1");
    /* the next delimiter comes before the empty line */
    refused_text("--" B "\r\n" CD "a\r\n--" B "--", "part 1 has no empty line after its headers");
    refused_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "\r\n" CD "b\r\nX: y\r\n--" B "--",
                 "part 2 has no empty line after its headers");
}

/* A part whose header block is n bytes (n >= 64): a Content-Disposition and an X-Pad line. */
static size_t
header_block_body(char *buf, size_t size, size_t n)
{
    size_t o = (size_t)snprintf(buf, size, "--" B "\r\n" CD "a\r\nX-Pad: ");
    size_t block = n - (o - (2 + strlen(B) + 2)) - 2;
    assert_true(o + block + 32 < size);
    memset(buf + o, 'p', block);
    o += block;
    o += (size_t)snprintf(buf + o, size - o, "\r\n\r\ndata\r\n--" B "--");
    return o;
}

static void
test_upload_multipart_parse_refuses_long_header_block(void **state)
{
    (void)state;
    static char buf[UPLOAD_HEADERS_MAX + 256];
    struct upload_part parts[MAX_PARTS];

    size_t n = header_block_body(buf, sizeof buf, UPLOAD_HEADERS_MAX);
    assert_int_equal(parsed(buf, n, B, parts, MAX_PARTS), 1);
    assert_data(&parts[0], "data", 4);
    n = header_block_body(buf, sizeof buf, UPLOAD_HEADERS_MAX + 1);
    refused(buf, n, "part 1 has a header block over 8192 bytes");
    /* the same with the next delimiter right after the header line: over the limit still */
    size_t tail = strlen("\r\n\r\ndata\r\n--" B "--");
    memcpy(buf + n - tail, "\r\n--" B "--", 9);
    refused(buf, n - tail + 9, "part 1 has a header block over 8192 bytes");
    n = header_block_body(buf, sizeof buf, UPLOAD_HEADERS_MAX + 1);
    /* the same without an end: the limit, not the end of the body, is what is reported */
    refused(buf, n - 12, "part 1 has a header block over 8192 bytes");
    /* a single line without CRLF past the limit */
    memset(buf, 'h', sizeof buf);
    memcpy(buf, "--" B "\r\n", 7);
    refused(buf, sizeof buf, "part 1 has a header block over 8192 bytes");
}

static void
test_upload_multipart_parse_refuses_no_disposition(void **state)
{
    (void)state;
    refused_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "\r\nContent-Type: text/plain\r\n\r\n2\r\n"
                 "--" B "--",
                 "part 2 has no Content-Disposition form-data header");
    refused_text("--" B "\r\n\r\n1\r\n--" B "--",
                 "part 1 has no Content-Disposition form-data header");
    refused_text("--" B "\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--" B "--",
                 "part 1 has no Content-Disposition form-data header");
    refused_text("--" B "\r\nContent-Disposition: form-data; filename=a\r\n\r\n1\r\n--" B "--",
                 "part 1 has no name in its Content-Disposition header");
    refused_text("--" B "\r\nContent-Disposition: form-data\r\n\r\n1\r\n--" B "--",
                 "part 1 has no name in its Content-Disposition header");
    const char *malformed[] = {
        "; name=a",
        "form-data; name=\"a",
        "form-data; name=",
        "form-data; name=a b",
        "form-data name=a",
        "form-data; name=a; name=b",
        "form-data; name=a; filename=x; filename=x",
        "form-data; name=a; filename*=UTF-8''x; FILENAME*=UTF-8''x",
    };
    char body[256];
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        snprintf(body, sizeof body, "--" B "\r\nContent-Disposition: %s\r\n\r\n1\r\n--" B "--",
                 malformed[i]);
        refused_text(body, "part 1 has a malformed Content-Disposition header");
    }
    refused_text("--" B "\r\n" CD "a\r\n" CD "a\r\n\r\n1\r\n--" B "--",
                 "part 1 has more than one Content-Disposition header");
}

static void
test_upload_multipart_parse_refuses_bad_part_headers(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    struct {
        const char *headers, *detail;
    } cases[] = {
        {CD "a\r\nContent-Transfer-Encoding: base64",
         "part 1 has a Content-Transfer-Encoding other than binary, 8bit or 7bit"},
        {CD "a\r\nContent-Transfer-Encoding: quoted-printable",
         "part 1 has a Content-Transfer-Encoding other than binary, 8bit or 7bit"},
        {CD "a\r\nContent-Type: a/b\r\ncontent-type: a/b", "part 1 has more than one Content-Type "
                                                           "header"},
        {CD "a\r\nContent-Transfer-Encoding: 8bit\r\nContent-Transfer-Encoding: 8bit",
         "part 1 has more than one Content-Transfer-Encoding header"},
        {CD "a\r\nno colon here", "part 1 has a malformed header line"},
        {CD "a\r\n folded: line", "part 1 has a malformed header line"},
        {CD "a\r\nX-Space : before colon", "part 1 has a malformed header line"},
        {CD "a\r\n: no name", "part 1 has a malformed header line"},
        {CD "a\r\nX-Bare: a\rb", "part 1 has a malformed header line"},
        {CD "a\r\nX-Bare: a\nb", "part 1 has a malformed header line"},
        {CD "a\r\nX-Del: a\x7f", "part 1 has a malformed header line"},
        {CD "a; filename=\"caf\xe9.pdf\"", "part 1 has a filename that is not printable UTF-8"},
        {CD "a; filename=\"a\tb\"", "part 1 has a filename that is not printable UTF-8"},
        {CD "a; filename*=UTF-8''a%00b", "part 1 has a filename that is not printable UTF-8"},
        {CD "a; filename*=UTF-8''a%0Ab", "part 1 has a filename that is not printable UTF-8"},
        {CD "a; filename*=UTF-8''%C2%85", "part 1 has a filename that is not printable UTF-8"},
        {CD "a; filename*=UTF-8''%C0%AF", "part 1 has a filename that is not printable UTF-8"},
        {CD "a; filename*=UTF-8''%ED%A0%80", "part 1 has a filename that is not printable UTF-8"},
        {CD "\"a\xff\"", "part 1 has a name that is not printable UTF-8"},
        {CD "a; filename*=iso-8859-1''%A3.pdf",
         "part 1 has a filename* in a charset other than UTF-8"},
        {CD "a; filename*=UTF-8'%E2.pdf", "part 1 has a malformed filename* parameter"},
        {CD "a; filename*=UTF-8''%E", "part 1 has a malformed filename* parameter"},
        {CD "a; filename*=UTF-8''%G0", "part 1 has a malformed filename* parameter"},
        {CD "a; filename*=''x", "part 1 has a malformed filename* parameter"},
        {CD "a; filename*=\"UTF-8''x\"", "part 1 has a malformed filename* parameter"},
        {CD "a; filename*=UTF-8''a'b; filename=ok", "part 1 has a malformed filename* parameter"},
    };
    char body[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(body, sizeof body, "--" B "\r\n%s\r\n\r\n1\r\n--" B "--", cases[i].headers);
        refused_text(body, cases[i].detail);
    }
    /* a NUL in a header value */
    const char nul[] = "--" B "\r\n" CD "a\r\nX-Nul: a\0b\r\n\r\n1\r\n--" B "--";
    refused(nul, sizeof nul - 1, "part 1 has a malformed header line");
    /* a Content-Type of 256 bytes */
    size_t o = (size_t)snprintf(body, sizeof body, "--" B "\r\n" CD "a\r\nContent-Type: ");
    memset(body + o, 't', UPLOAD_MEDIA_TYPE_MAX + 1);
    snprintf(body + o + UPLOAD_MEDIA_TYPE_MAX + 1, sizeof body - o - UPLOAD_MEDIA_TYPE_MAX - 1,
             "\r\n\r\n1\r\n--" B "--");
    refused_text(body, "part 1 has a Content-Type over 255 bytes");
    /* the transfer encodings that leave the bytes as they are, in any case */
    assert_int_equal(parsed_text("--" B "\r\n" CD
                                 "a\r\nContent-Transfer-Encoding: 7BIT\r\n\r\n1\r\n"
                                 "--" B "\r\n" CD "b\r\nContent-Transfer-Encoding: Binary\r\n\r\n2"
                                 "\r\n--" B "--",
                                 parts),
                     2);
}

static void
test_upload_multipart_parse_refuses_bad_boundary_lines(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    char detail[128];
    int n = -1;
    const char *ok = "--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "--";

    refused_text("", "the body does not contain the boundary");
    refused_text("no boundary here", "the body does not contain the boundary");
    refused_text("--xYZ\r\n" CD "a\r\n\r\n1\r\n--xYZ--", "the body does not contain the boundary");
    /* a line that starts with the boundary is a delimiter, or wrong */
    refused_text("--" B "x\r\n" CD "a\r\n\r\n1\r\n--" B "--",
                 "the first boundary line has characters after the boundary");
    refused_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "x\r\n\r\n--" B "--",
                 "the boundary line after part 1 has characters after the boundary");
    refused_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "-\r\n",
                 "the boundary line after part 1 has characters after the boundary");
    refused_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "--x",
                 "the closing boundary line has characters after the boundary");
    refused_text("--" B "\r\n" CD "a\r\n\r\n1\r\n--" B "-- x\r\n",
                 "the closing boundary line has characters after the boundary");
    refused_text("--" B "\n" CD "a\n\n1\n--" B "--",
                 "the first boundary line has characters after the boundary");
    /* a boundary that upload_multipart_boundary would not return */
    const char *bad[] = {"", "abc ", "a@b",
                         "12345678901234567890123456789012345678901234567890123456789012345678901"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(upload_multipart_parse(ok, strlen(ok), bad[i], parts, MAX_PARTS, &n,
                                                detail, sizeof detail),
                         ERR_INVALID);
        assert_string_equal(detail, "the boundary is not valid");
    }
    assert_int_equal(
        upload_multipart_parse(ok, strlen(ok), NULL, parts, MAX_PARTS, &n, detail, sizeof detail),
        ERR_INVALID);
    /* no room for the detail is fine */
    assert_int_equal(upload_multipart_parse(ok, 3, B, parts, MAX_PARTS, &n, NULL, 0), ERR_INVALID);
    assert_int_equal(upload_multipart_parse(ok, strlen(ok), B, parts, MAX_PARTS, &n, NULL, 0),
                     ERR_OK);
    assert_int_equal(n, 1);
}

static void
test_upload_multipart_parse_refuses_more_than_max(void **state)
{
    (void)state;
    struct upload_part parts[MAX_PARTS];
    char body[1024], detail[128];
    size_t o = 0;
    int n = -1;

    for (int i = 0; i <= MAX_PARTS; i++)
        o +=
            (size_t)snprintf(body + o, sizeof body - o, "--" B "\r\n" CD "p%d\r\n\r\n%d\r\n", i, i);
    snprintf(body + o, sizeof body - o, "--" B "--\r\n");
    refused_text(body, "more than 8 parts");
    assert_int_equal(
        upload_multipart_parse(body, strlen(body), B, parts, 2, &n, detail, sizeof detail),
        ERR_INVALID);
    assert_string_equal(detail, "more than 2 parts");
    assert_int_equal(
        upload_multipart_parse(body, strlen(body), B, parts, 0, &n, detail, sizeof detail),
        ERR_INVALID);
    assert_string_equal(detail, "more than 0 parts");
    /* the same, one part fewer */
    snprintf(strstr(body, "--" B "\r\n" CD "p8"), 16, "--" B "--\r\n");
    assert_int_equal(parsed_text(body, parts), MAX_PARTS);
    assert_string_equal(parts[7].name, "p7");
    assert_data(&parts[7], "7", 1);
}

static void
filename_of(const char *value, const char *expected)
{
    char out[UPLOAD_NAME_MAX + 1];

    int rc = upload_disposition_filename(value, out, sizeof out);
    if (rc != ERR_OK)
        fail_msg("returned %d for \"%s\"", rc, value);
    assert_string_equal(out, expected);
}

static void
filename_refused(const char *value, int expected)
{
    char out[UPLOAD_NAME_MAX + 1];

    memset(out, 'x', sizeof out);
    int rc = upload_disposition_filename(value, out, sizeof out);
    if (rc != expected)
        fail_msg("returned %d, not %d, for \"%s\"", rc, expected, value ? value : "(null)");
    assert_string_equal(out, "");
}

static void
test_upload_disposition_filename_forms(void **state)
{
    (void)state;
    filename_of("attachment; filename=\"a b.pdf\"", "a b.pdf");
    filename_of("attachment; filename=report.pdf", "report.pdf");
    filename_of("inline; filename=report.pdf", "report.pdf");
    filename_of("form-data; name=file; filename=report.pdf", "report.pdf");
    filename_of("ATTACHMENT;FILENAME=\"x.pdf\"", "x.pdf");
    filename_of("  attachment ;  filename = \"x.pdf\" ; size=12  ", "x.pdf");
    filename_of("attachment; filename=\"a\\\"b\\\\c\"", "a\"b\\c");
    filename_of("attachment; filename=\"\"", "");
    /* filename* preferred, in either order */
    filename_of("attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "\xe2\x82\xac rates.pdf");
    filename_of("attachment; filename=\"EURO rates.pdf\"; filename*=UTF-8''%E2%82%AC%20rates.pdf",
                "\xe2\x82\xac rates.pdf");
    filename_of("attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf; filename=\"EURO rates.pdf\"",
                "\xe2\x82\xac rates.pdf");
    filename_of("attachment; filename*=utf-8'en-GB'%c2%a3%20rates.pdf", "\xc2\xa3 rates.pdf");
    /* a filename* in another charset leaves filename */
    filename_of("attachment; filename*=ISO-8859-1''%A3%20rates.pdf; filename=\"rates.pdf\"",
                "rates.pdf");
}

static void
test_upload_disposition_filename_none(void **state)
{
    (void)state;
    filename_refused(NULL, ERR_NOT_FOUND);
    filename_refused("attachment", ERR_NOT_FOUND);
    filename_refused("inline; name=\"file\"", ERR_NOT_FOUND);
    filename_refused("attachment; filenames=x; file=y", ERR_NOT_FOUND);
}

static void
test_upload_disposition_filename_refuses_malformed(void **state)
{
    (void)state;
    const char *invalid[] = {
        "",
        "; filename=x",
        "attachment filename=x",
        "attachment; filename",
        "attachment; filename=",
        "attachment; filename=a b",
        "attachment; filename=\"abc",
        "attachment; filename=a; filename=b",
        "attachment; filename*=UTF-8''a; filename*=UTF-8''b",
        /* only three types */
        "signal; filename=x",
        "attach ment; filename=x",
        /* filename* */
        "attachment; filename*=UTF-8'%E2",
        "attachment; filename*=UTF-8''%E2%82",
        "attachment; filename*=UTF-8''a b",
        "attachment; filename*=\"UTF-8''x\"",
        "attachment; filename*=ISO-8859-1''%A3%20rates.pdf",
        /* not printable UTF-8 */
        "attachment; filename=\"caf\xe9\"",
        "attachment; filename*=UTF-8''a%0D%0Ab",
        "attachment; filename=\"a\tb\"",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        filename_refused(invalid[i], ERR_INVALID);
}

static void
test_upload_disposition_filename_fits(void **state)
{
    (void)state;
    char out[8];
    const char *v = "attachment; filename*=UTF-8''%E2%82%AC.pdf";

    /* 7 bytes and a NUL fit in 8 */
    assert_int_equal(upload_disposition_filename(v, out, 8), ERR_OK);
    assert_string_equal(out, "\xe2\x82\xac.pdf");
    memset(out, 'x', sizeof out);
    assert_int_equal(upload_disposition_filename(v, out, 7), ERR_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(out[7], 'x');
    assert_int_equal(upload_disposition_filename("attachment; filename=\"\"", out, 1), ERR_OK);
    assert_string_equal(out, "");
    assert_int_equal(upload_disposition_filename("attachment; filename=a", out, 1), ERR_INVALID);
    assert_int_equal(upload_disposition_filename("attachment; filename=a", out, 0), ERR_INVALID);
}

/* The RFC 9530 examples: the representation {"hello": "world"}, with and without a newline. */
#define HELLO "{\"hello\": \"world\"}"
#define HELLO_SHA256 "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
#define HELLO_NL_SHA256 "RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="
#define HELLO_SHA512                                                                               \
    "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="

static void
digest_of(const char *field, const char *representation)
{
    unsigned char digest[UPLOAD_SHA256_LEN], expected[UPLOAD_SHA256_LEN];

    sha256(representation, expected);
    memset(digest, 0, sizeof digest);
    int rc = upload_digest_sha256(field, digest);
    if (rc != ERR_OK)
        fail_msg("returned %d for \"%s\"", rc, field);
    assert_memory_equal(digest, expected, sizeof digest);
}

static void
digest_refused(const char *field, int expected)
{
    unsigned char digest[UPLOAD_SHA256_LEN], untouched[UPLOAD_SHA256_LEN];

    memset(digest, 0xa5, sizeof digest);
    memset(untouched, 0xa5, sizeof untouched);
    int rc = upload_digest_sha256(field, digest);
    if (rc != expected)
        fail_msg("returned %d, not %d, for \"%s\"", rc, expected, field ? field : "(null)");
    assert_memory_equal(digest, untouched, sizeof digest);
}

static void
test_upload_digest_sha256_rfc9530_examples(void **state)
{
    (void)state;
    digest_of("sha-256=:" HELLO_SHA256 ":", HELLO);
    digest_of("sha-256=:" HELLO_NL_SHA256 ":", HELLO "\n");
    digest_of("sha-256=:" HELLO_SHA256 ":, sha-512=:" HELLO_SHA512 ":", HELLO);
    digest_of("sha-512=:" HELLO_SHA512 ":, sha-256=:" HELLO_SHA256 ":", HELLO);
    /* the empty representation */
    digest_of("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", "");
}

static void
test_upload_digest_sha256_dictionary_syntax(void **state)
{
    (void)state;
    /* leading spaces, OWS around commas, trailing OWS */
    digest_of("   sha-256=:" HELLO_SHA256 ":", HELLO);
    digest_of("md5=:AAAA:\t,\t sha-256=:" HELLO_SHA256 ": \t", HELLO);
    digest_of("sha-512=:" HELLO_SHA512 ":,sha-256=:" HELLO_SHA256 ":", HELLO);
    /* parameters of every bare-item type, ignored */
    digest_of("sha-256=:" HELLO_SHA256 ":;a;b=1;c=-2.5;d=\"x \\\" \\\\\";e=tok/x:y;f=:AA==:;g=?0;"
              " *h=*",
              HELLO);
    /* other keys, even unknown ones, and a key given twice: the last counts */
    digest_of("unixsum=:AA==:, *x.y_z-1=:AA==:, sha-256=:AAAA:, sha-256=:" HELLO_SHA256 ":", HELLO);
    /* missing padding and non-zero pad bits, as RFC 8941 asks */
    digest_of("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:", HELLO);
    digest_of("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPF=:", HELLO);
}

static void
test_upload_digest_sha256_not_found(void **state)
{
    (void)state;
    digest_refused(NULL, ERR_NOT_FOUND);
    digest_refused("", ERR_NOT_FOUND);
    digest_refused("   ", ERR_NOT_FOUND);
    digest_refused("sha-512=:" HELLO_SHA512 ":", ERR_NOT_FOUND);
    digest_refused("sha-512=:" HELLO_SHA512 ":, md5=:AAAA:, sha-2560=:" HELLO_SHA256 ":",
                   ERR_NOT_FOUND);
}

static void
test_upload_digest_sha256_refuses_invalid(void **state)
{
    (void)state;
    const char *invalid[] = {
        /* bad base64 */
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE!:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DB=E=:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE==:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPEA=:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:A:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:A===:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:-_-_:",
        /* 31 and 33 bytes, and nothing */
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBA==:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPEA:",
        "sha-256=::",
        /* the last of two counts */
        "sha-256=:" HELLO_SHA256 ":, sha-256=:AAAA:",
        /* not a byte sequence */
        "sha-256=\"" HELLO_SHA256 "\"",
        "sha-256=" HELLO_SHA256,
        "sha-256=?1",
        "sha-256",
        "sha-256;a=1",
        "sha-256=(:" HELLO_SHA256 ":)",
        "sha-256=:" HELLO_SHA256 ":, sha-512=1",
        "sha-256=:" HELLO_SHA256 ":, sha-512",
        /* not a dictionary */
        "hello world",
        ",",
        "sha-256=:" HELLO_SHA256 ":,",
        "sha-256=:" HELLO_SHA256 ":, ",
        ", sha-256=:" HELLO_SHA256 ":",
        "sha-256=:" HELLO_SHA256 ": sha-512=:" HELLO_SHA512 ":",
        "SHA-256=:" HELLO_SHA256 ":",
        "sha-256 =:" HELLO_SHA256 ":",
        "sha-256= :" HELLO_SHA256 ":",
        "\tsha-256=:" HELLO_SHA256 ":",
        "sha-256=:" HELLO_SHA256 ": ;a=1",
        "sha-256=:" HELLO_SHA256 ":;A=1",
        "sha-256=:" HELLO_SHA256 ":;a=",
        "sha-256=:" HELLO_SHA256 ":;a=1.2345",
        "sha-256=:" HELLO_SHA256 ":;a=1234567890123456",
        "sha-256=:" HELLO_SHA256 ":;a=\"\xc3\xa9\"",
        "sha-256=:" HELLO_SHA256 ":;a=?2",
        "sha-256=:" HELLO_SHA256 ":x",
        "sha-256=:" HELLO_SHA256 "::",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        digest_refused(invalid[i], ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_multipart_boundary_curl),
        cmocka_unit_test(test_upload_multipart_boundary_parameters),
        cmocka_unit_test(test_upload_multipart_boundary_not_form_data),
        cmocka_unit_test(test_upload_multipart_boundary_refuses_bad_boundary),
        cmocka_unit_test(test_upload_multipart_parse_curl_pdf),
        cmocka_unit_test(test_upload_multipart_parse_binary_data),
        cmocka_unit_test(test_upload_multipart_parse_several_parts),
        cmocka_unit_test(test_upload_multipart_parse_preamble_epilogue),
        cmocka_unit_test(test_upload_multipart_parse_quoted_boundary),
        cmocka_unit_test(test_upload_multipart_parse_filenames),
        cmocka_unit_test(test_upload_multipart_parse_name_lengths),
        cmocka_unit_test(test_upload_multipart_parse_refuses_no_close_delimiter),
        cmocka_unit_test(test_upload_multipart_parse_refuses_truncated_headers),
        cmocka_unit_test(test_upload_multipart_parse_refuses_long_header_block),
        cmocka_unit_test(test_upload_multipart_parse_refuses_no_disposition),
        cmocka_unit_test(test_upload_multipart_parse_refuses_bad_part_headers),
        cmocka_unit_test(test_upload_multipart_parse_refuses_bad_boundary_lines),
        cmocka_unit_test(test_upload_multipart_parse_refuses_more_than_max),
        cmocka_unit_test(test_upload_disposition_filename_forms),
        cmocka_unit_test(test_upload_disposition_filename_none),
        cmocka_unit_test(test_upload_disposition_filename_refuses_malformed),
        cmocka_unit_test(test_upload_disposition_filename_fits),
        cmocka_unit_test(test_upload_digest_sha256_rfc9530_examples),
        cmocka_unit_test(test_upload_digest_sha256_dictionary_syntax),
        cmocka_unit_test(test_upload_digest_sha256_not_found),
        cmocka_unit_test(test_upload_digest_sha256_refuses_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
