/*
 * apikey_cmd.c - `capad apikey create|list|revoke`: the API keys of the
 * services that call capa. Whoever can run capad against the database can
 * manage keys; that is how the first admin key comes to exist.
 */
#include "apikey_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "usecase.h"
#include "apikey.h"

static const char apikey_usage[] =
    "usage: capad apikey create --name NAME --role ROLE [--role ROLE ...] [--delegate]\n"
    "       capad apikey list\n"
    "       capad apikey revoke ID|NAME\n"
    "\n"
    "roles: viewer, reporter, contributor, approver, admin (--role takes one or a\n"
    "comma-separated list). --delegate lets the key act for a person with the\n"
    "Capa-On-Behalf-Of header. create prints the key on standard output, once: only\n"
    "its SHA-256 is stored.\n";

/* Add the roles of "a,b,c" to *roles; false when one is not a role. */
static bool
add_roles(const char *list, unsigned *roles)
{
    char name[32];
    for (const char *p = list;; p++) {
        size_t n = strcspn(p, ",");
        int r = -1;
        if (n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            r = wf_role_from_text(name);
        }
        if (r < 0) {
            fprintf(stderr, "capad apikey: %.*s is not a role\n", (int)(n < 64 ? n : 64), p);
            return false;
        }
        *roles |= ACCESS_ROLE_BIT(r);
        p += n;
        if (*p == '\0')
            return true;
    }
}

static void
print_json(FILE *f, const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text != NULL)
        fprintf(f, "%s\n", text);
    free(text);
}

/* The problem of a refused command, on stderr; the exit status. */
static int
refused(int rc, const struct uc_status *st)
{
    fprintf(stderr, "capad apikey: %s%s%s\n", err_name(rc), st->detail[0] ? ": " : "", st->detail);
    return rc == ERR_UNAVAILABLE ? APIKEY_EXIT_UNAVAILABLE : 1;
}

static int
create(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"delegate", no_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    const char *name = NULL;
    unsigned roles = 0;
    bool delegate = false;
    char key[APIKEY_LEN + 1];
    json_t *j_key = NULL;
    struct uc_status st;
    int c, rc;

    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            name = optarg;
        else if (c == 'd')
            delegate = true;
        else if (c != 'r' || !add_roles(optarg, &roles))
            return APIKEY_EXIT_USAGE;
    }
    if (optind != argc || name == NULL || roles == 0) {
        fputs(apikey_usage, stderr);
        return APIKEY_EXIT_USAGE;
    }
    uc_status_init(&st);
    rc = uc_apikey_create(app, name, roles, delegate, key, &j_key, &st);
    if (rc == ERR_OK) {
        /* the key alone on stdout, so that KEY=$(capad apikey create ...) works */
        printf("%s\n", key);
        fflush(stdout);
        fprintf(stderr, "created (the key above is shown only now; store it):\n");
        print_json(stderr, j_key);
    } else {
        rc = refused(rc, &st);
    }
    memset(key, 0, sizeof key);
    json_decref(j_key);
    uc_status_cleanup(&st);
    return rc;
}

int
apikey_command(struct app *app, int argc, char **argv)
{
    struct uc_status st;
    json_t *j = NULL;
    int rc;

    if (argc >= 1 && strcmp(argv[0], "create") == 0)
        return create(app, argc, argv);
    uc_status_init(&st);
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        rc = uc_apikey_list(app, &j, &st);
    else if (argc == 2 && strcmp(argv[0], "revoke") == 0)
        rc = uc_apikey_revoke(app, argv[1], &j, &st);
    else {
        fputs(apikey_usage, stderr);
        uc_status_cleanup(&st);
        return APIKEY_EXIT_USAGE;
    }
    if (rc == ERR_OK)
        print_json(stdout, j);
    else
        rc = refused(rc, &st);
    json_decref(j);
    uc_status_cleanup(&st);
    return rc;
}
