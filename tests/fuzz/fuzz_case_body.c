/*
 * fuzz_case_body.c - POST /v1/cases: the body as api_body_json reads it, then
 * case_input_decode as uc_case_create calls it. A body it accepts must have
 * no unknown member, go on through what the create does next (the JSON form,
 * due dates under any SLA a workflow may set, a key) and read back as the
 * same case.
 */
#include "case.h"
#include "err.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j_body = fuzz_json_body(data, size);
    json_t *j_errors = json_array();
    struct case_record rec = {0};

    if (j_body != NULL) {
        int rc = case_input_decode(j_body, &rec, j_errors);
        fuzz_errors_ok(rc, j_errors, 0, "case_input_decode");
        if (rc == ERR_OK) {
            fuzz_case_members_ok(j_body, true);
            fuzz_case_ok(&rec);
        }
    }
    case_record_cleanup(&rec);
    json_decref(j_errors);
    json_decref(j_body);
    return 0;
}
