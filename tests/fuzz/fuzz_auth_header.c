/*
 * fuzz_auth_header.c - what the auth step reads of a request before any
 * lookup: the Authorization header (access_bearer_token), an API key's shape
 * (apikey_parse), a Capa-On-Behalf-Of person (access_is_person), and the
 * bounds of a JSON body (jshape_check).
 *
 * The input is a header value up to a NUL. Properties: a token returned lies
 * inside the header and holds only RFC 6750 token characters, at most
 * ACCESS_CREDENTIAL_MAX of them; a key apikey_parse accepts formats back to itself
 * from its id and secret bytes' text; jshape_check agrees with a depth
 * count of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "apikey.h"
#include "err.h"
#include "fuzz.h"
#include "jsonshape.h"

static int
depth_of(const json_t *j)
{
    int max = 0;
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_array(j))
        json_array_foreach(j, i, v)
        {
            int d = depth_of(v);
            max = d > max ? d : max;
        }
    else if (json_is_object(j))
        json_object_foreach((json_t *)j, k, v)
        {
            int d = depth_of(v);
            max = d > max ? d : max;
        }
    else
        return 0;
    return max + 1;
}

static bool
long_key(const json_t *j)
{
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_array(j))
        json_array_foreach(j, i, v) if (long_key(v)) return true;
    if (json_is_object(j))
        json_object_foreach((json_t *)j, k,
                            v) if (strlen(k) > JSHAPE_MAX_KEY || long_key(v)) return true;
    return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = fuzz_text(data, size);
    const char *reason = NULL;
    const char *token = access_bearer_token(header, &reason);

    if (token != NULL) {
        size_t n = strlen(token);
        FUZZ_CHECK(token > header && token + n == header + strlen(header));
        FUZZ_CHECK(n > 0 && n <= ACCESS_CREDENTIAL_MAX);
        FUZZ_CHECK(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789-._~+/=") == n);
    } else {
        FUZZ_CHECK(reason != NULL &&
                   (strcmp(reason, "malformed") == 0 || strcmp(reason, "too_long") == 0));
    }
    char id[APIKEY_ID_LEN + 1];
    if (apikey_parse(token ? token : header, id)) {
        FUZZ_CHECK(strlen(id) == APIKEY_ID_LEN);
        FUZZ_CHECK(strlen(token ? token : header) == APIKEY_LEN);
    }
    /* a delegate acting for a person is that person, unless the name folds to nothing */
    char folded[512], again[512];
    access_name_fold(header, folded, sizeof folded);
    access_name_fold(folded, again, sizeof again);
    FUZZ_CHECK(strcmp(folded, again) == 0 && strlen(folded) <= strlen(header));
    struct principal p = {
        .kind = "api_key", .subject = "0123456789ab", .name = "jira-sync", .on_behalf_of = header};
    FUZZ_CHECK(access_is_person(&p, header) == (folded[0] != '\0'));

    json_t *j = fuzz_json_body(data, size);
    if (j != NULL) {
        char detail[128];
        int rc = jshape_check(j, detail, sizeof detail);
        bool ok = depth_of(j) <= JSHAPE_MAX_DEPTH && !long_key(j);
        FUZZ_CHECK((rc == ERR_OK) == ok);
        json_decref(j);
    }
    free(header);
    return 0;
}
