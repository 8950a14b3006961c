/*
 * fuzz.h - what the fuzz targets share: reading an input as the HTTP layer
 * reads a body, splitting an input in two, and the checks every target makes.
 *
 *   fuzz_json_body   input -> JSON as api_body_json decodes a request body
 *   fuzz_split       input -> the parts before and after the first "\n---\n"
 *   fuzz_text        input -> a NUL-terminated copy (stops at a NUL byte)
 *   fuzz_errors_ok   rc and j_errors agree, every entry has the documented shape
 *   fuzz_case_ok     an accepted case is whole, reads back the same, and has due dates
 *   fuzz_case_members_ok  an accepted case body or patch has no unknown member
 *   FUZZ_CHECK       abort (a crash libFuzzer keeps) when a property fails
 *
 * A target fails by crashing: a sanitizer report, a leak, or FUZZ_CHECK.
 */
#ifndef CAPA_FUZZ_H
#define CAPA_FUZZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"

/* The entry point libFuzzer calls with each input; every target defines it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/*
 * Called once before the inputs (fuzz.c): capad's out-of-memory policy
 * (mem.h), then fuzz_init, which a target that needs set-up defines (the
 * default does nothing).
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);
void fuzz_init(void);

/* The separator of two-part inputs; a JSON text cannot hold it inside a string. */
#define FUZZ_SEPARATOR "\n---\n"

/* New reference or NULL: json_loadb with the flags of api_body_json. */
json_t *fuzz_json_body(const uint8_t *data, size_t size);

/*
 * Split at the first FUZZ_SEPARATOR. Returns false (and the whole input as
 * the first part, an empty second part) when there is none.
 */
bool fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *an, const uint8_t **b,
                size_t *bn);

/* A heap copy of data up to its first NUL, NUL-terminated. Caller frees. */
char *fuzz_text(const uint8_t *data, size_t size);

/*
 * A validator's result against its error list: rc is ERR_OK exactly when
 * nothing was appended after the first n_before entries, and every entry is
 * {"field": string, "code": non-empty string, "detail": non-empty string}.
 */
void fuzz_errors_ok(int rc, const json_t *j_errors, size_t n_before, const char *what);

/*
 * A case that case_input_decode or case_patch accepted: its fields are whole,
 * its create body (editable fields and kind) decodes to the same case, and
 * due dates exist under every SLA a workflow may set (the use cases answer
 * 500 when they do not). Leaves the due dates of rec set.
 */
void fuzz_case_ok(struct case_record *rec);

/*
 * A case body or merge patch that was accepted names only fields of a case
 * (the editable ones, and kind when create is true), and its external refs
 * only system, key and url.
 */
void fuzz_case_members_ok(const json_t *j_body, bool create);

void fuzz_fail(const char *what, const char *file, int line);
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(#cond, __FILE__, __LINE__);                                                  \
    } while (0)

#endif
