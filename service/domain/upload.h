/*
 * upload.h - what an HTTP client sends when it uploads a file, read so the
 * HTTP layer can store exactly the file's bytes. Pure: no I/O.
 *
 *   upload_multipart_boundary    whether a Content-Type is multipart/form-data, and its boundary
 *   upload_multipart_parse       a multipart/form-data body into its parts
 *   upload_disposition_filename  the filename of a raw upload's Content-Disposition
 *   upload_digest_sha256         the sha-256 member of a Content-Digest or Repr-Digest field
 *
 * Names and filenames come out as printable UTF-8 (shortest forms, no
 * surrogates, no C0 or C1 control character, so no tab either); one that is
 * not, or does not fit, is refused, never cut or rewritten. A filename is as
 * the client sent it otherwise: it may hold '/', '\' or "..", and the caller
 * decides what to store.
 */
#ifndef CAPA_UPLOAD_H
#define CAPA_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 2046: a boundary is 1 to 70 characters */
#define UPLOAD_BOUNDARY_MAX 70
/* the bytes of a field name or a filename we keep */
#define UPLOAD_NAME_MAX 255
/* the bytes of a part's Content-Type value we keep */
#define UPLOAD_MEDIA_TYPE_MAX 255
/* the bytes of a part's header lines, their CRLFs included, the empty line not */
#define UPLOAD_HEADERS_MAX 8192
#define UPLOAD_SHA256_LEN 32

/* One part of a multipart/form-data body; data points into the body it was parsed from. */
struct upload_part {
    const unsigned char *data;
    size_t len;
    char name[UPLOAD_NAME_MAX + 1];             /* form field name (Content-Disposition name=) */
    char filename[UPLOAD_NAME_MAX + 1];         /* "" when the part has no filename */
    bool has_filename;                          /* filename="" (no file chosen) has one, empty */
    char media_type[UPLOAD_MEDIA_TYPE_MAX + 1]; /* the part's Content-Type value, "" if absent */
};

/*
 * Whether a Content-Type header value is multipart/form-data (RFC 9110
 * media-type: type and subtype case-insensitive, then "; name=value"
 * parameters with optional whitespace, a value a token or a quoted-string).
 * Returns ERR_OK with boundary filled; ERR_NOT_FOUND when content_type is
 * NULL or its media type is not multipart/form-data; ERR_INVALID when it is
 * but the parameters are malformed, or the boundary is missing, given twice,
 * or not an RFC 2046 boundary (1 to 70 bchars, not ending in a space).
 * boundary is "" unless ERR_OK.
 */
int upload_multipart_boundary(const char *content_type, char boundary[UPLOAD_BOUNDARY_MAX + 1]);

/*
 * Parse a multipart/form-data body (RFC 7578 over RFC 2046) of len bytes
 * with the given boundary (as upload_multipart_boundary returns it).
 *
 * The preamble before the first delimiter and the epilogue after the close
 * delimiter are ignored. A delimiter is "--" boundary at the start of the
 * body or after a CRLF, followed by transport padding (spaces and tabs) and
 * a CRLF; the close delimiter "--" boundary "--" is required. Anywhere in
 * the body, CRLF "--" boundary ends the part before it: a line that starts
 * with the boundary and goes on with other characters is refused, so a
 * part's data never holds CRLF "--" boundary. Each part is header lines
 * (CRLF-terminated, names case-insensitive, values without control
 * characters but tab, at most UPLOAD_HEADERS_MAX bytes), an empty line,
 * then its data, which may hold any bytes. A part needs
 * Content-Disposition: form-data with a name; filename= (token or
 * quoted-string with \-escapes) and filename* (RFC 8187, UTF-8''
 * percent-encoded; preferred over filename, as RFC 6266 says, though RFC
 * 7578 tells senders not to use it) give its filename, as in
 * upload_disposition_filename; Content-Type is optional; a
 * Content-Transfer-Encoding other than binary, 8bit or 7bit is refused;
 * other headers are ignored. A header, or a name, filename or filename*
 * parameter, given twice is refused. A body whose first delimiter is the
 * close delimiter has no parts (*n 0).
 *
 * Fills parts[0 .. *n) (at most max). Returns ERR_OK, or ERR_INVALID with
 * *n 0, parts undefined, and a short lower-case reason in detail (PostgreSQL
 * style, no trailing period), such as "the body ends before the closing
 * boundary" or "part 2 has no Content-Disposition form-data header"; detail
 * is "" on ERR_OK and may be NULL when detail_size is 0. Never reads outside
 * [body, body + len); the parts point into body, which must outlive them.
 */
int upload_multipart_parse(const void *body, size_t len, const char *boundary,
                           struct upload_part *parts, int max, int *n, char *detail,
                           size_t detail_size);

/*
 * The filename of a Content-Disposition header value as sent with a raw
 * upload (RFC 6266): a disposition type attachment, inline or form-data
 * (case-insensitive), then parameters; filename* (RFC 8187, charset UTF-8)
 * is preferred over filename; a filename* in another charset gives way to a
 * filename beside it, and is refused alone. Returns ERR_OK with out filled (it may
 * be "" for filename=""); ERR_NOT_FOUND when value is NULL or names no
 * filename; ERR_INVALID when it is malformed, names a filename twice, or the
 * filename is not printable UTF-8 or does not fit in size bytes with its
 * NUL (size 0: ERR_INVALID). out is "" unless ERR_OK (when size > 0).
 */
int upload_disposition_filename(const char *value, char *out, size_t size);

/*
 * The sha-256 member of an RFC 9530 Content-Digest or Repr-Digest field
 * value: an RFC 8941 dictionary of byte sequences such as
 * "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:...:".
 * Keys are lower-case; spaces may lead, and spaces and tabs may surround
 * the commas; members may carry parameters, which are ignored, and of a key
 * given twice the last one counts (RFC 8941). Other algorithms are ignored,
 * but must be byte sequences too. Base64 is the standard alphabet; as RFC
 * 8941 asks of parsers, missing "=" padding and non-zero pad bits are
 * accepted. Returns ERR_OK with the 32 bytes in digest; ERR_NOT_FOUND when
 * field is NULL or the dictionary has no sha-256 member; ERR_INVALID when
 * the field is not a valid dictionary of byte sequences or its sha-256
 * value does not decode to exactly 32 bytes. digest is written only on
 * ERR_OK.
 */
int upload_digest_sha256(const char *field, unsigned char digest[UPLOAD_SHA256_LEN]);

#endif
