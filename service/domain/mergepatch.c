/* mergepatch.c - JSON Merge Patch (RFC 7386), see mergepatch.h. */
#include "mergepatch.h"

json_t *
mergepatch_apply(const json_t *target, const json_t *patch)
{
    json_t *j_result = NULL;
    const char *key;
    json_t *value;

    if (!json_is_object(patch))
        return json_deep_copy(patch);
    j_result = json_is_object(target) ? json_deep_copy(target) : json_object();
    if (j_result == NULL)
        return NULL;
    /* json_object_foreach wants a non-const object; it does not modify it */
    json_object_foreach((json_t *)patch, key, value)
    {
        if (json_is_null(value)) {
            json_object_del(j_result, key);
            continue;
        }
        json_t *j_merged = mergepatch_apply(json_object_get(j_result, key), value);
        if (j_merged == NULL || json_object_set_new(j_result, key, j_merged) != 0) {
            json_decref(j_result);
            return NULL;
        }
    }
    return j_result;
}
