/* workflows.c - the use cases of workflow definitions (usecase.h). */
#include "err.h"
#include "tx.h"
#include "usecase.h"

struct list_ctx {
    json_t *j_items;
};

static int
list_read(struct store_conn *c, void *arg)
{
    struct list_ctx *x = arg;
    json_decref(x->j_items);
    return store_workflow_list(c, &x->j_items);
}

int
uc_workflow_list(struct app *app, json_t **j_out, struct uc_status *st)
{
    struct list_ctx x = {0};
    (void)st;
    *j_out = NULL;
    int rc = uc_run_read(app, list_read, &x);
    if (rc == ERR_OK)
        *j_out = json_pack("{s:O}", "items", x.j_items);
    json_decref(x.j_items);
    return rc == ERR_OK && *j_out == NULL ? ERR_INTERNAL : rc;
}
