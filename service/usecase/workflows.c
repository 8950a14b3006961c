/* workflows.c - the use cases of workflow definitions (usecase.h). */
#include <string.h>

#include "err.h"
#include "field.h"
#include "log.h"
#include "tx.h"
#include "usecase.h"
#include "workflow.h"

int
uc_workflow_list(struct app *app, json_t **j_out, struct uc_status *st)
{
    json_t *j_items = NULL;
    (void)st;
    *j_out = NULL;
    int rc = tx_read_json(app, store_workflow_list, &j_items);
    if (rc == ERR_OK && (*j_out = json_pack("{s:o}", "items", j_items)) == NULL)
        rc = ERR_INTERNAL;
    return rc;
}

struct put_ctx {
    enum case_kind kind;
    const json_t *j_definition;
    json_t *j_out;
};

static int
put_tx(struct store_conn *c, void *arg)
{
    struct put_ctx *x = arg;
    json_decref(x->j_out);
    x->j_out = NULL;
    return store_workflow_insert(c, x->kind, x->j_definition, &x->j_out);
}

int
uc_workflow_put(struct app *app, const char *kind, const json_t *j_definition, json_t **j_out,
                struct uc_status *st)
{
    struct wf_definition *def = NULL;
    int k = case_kind_from_text(kind);
    int rc;

    *j_out = NULL;
    if (k < 0)
        return ERR_NOT_FOUND;
    if ((rc = wf_definition_parse(j_definition, &def, st->j_errors)) != ERR_OK)
        return rc;
    if (def->kind != (enum case_kind)k) {
        field_error_add(st->j_errors, "kind", "mismatch", "must be the kind named in the path");
        wf_definition_free(def);
        return ERR_INVALID;
    }
    wf_definition_free(def);
    struct put_ctx x = {.kind = (enum case_kind)k, .j_definition = j_definition};
    rc = tx_run(app, put_tx, &x);
    if (rc == ERR_OK)
        log_info("workflow %s version %d stored", kind,
                 (int)json_integer_value(json_object_get(x.j_out, "version")));
    *j_out = x.j_out;
    return rc;
}
