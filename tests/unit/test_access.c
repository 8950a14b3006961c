/*
 * test_access.c - principals, roles, segregation of duties, the API key and
 * bearer formats, token buckets (access.h) and request JSON bounds
 * (jsonshape.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "tbucket.h"
#include "apikey.h"
#include "err.h"
#include "jsonshape.h"

static void
test_bearer_token(void **state)
{
    (void)state;
    const char *reason = NULL;
    assert_null(access_bearer_token(NULL, &reason));
    assert_string_equal(reason, "missing");
    assert_string_equal(access_bearer_token("Bearer abc.DEF-_~+/=", &reason), "abc.DEF-_~+/=");
    assert_string_equal(access_bearer_token("bearer   x", &reason), "x");
    const char *bad[] = {"",           "Bearer",           "Bearer ",    "Basic dXNlcjpwdw==",
                         "Bearer a b", "Bearer a\r\nX: y", "Bearer a=b", "Bearer\ta",
                         "Bearer é",   "Bearer a "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reason = NULL;
        if (access_bearer_token(bad[i], &reason) != NULL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_string_equal(reason, "malformed");
    }
    char long_header[ACCESS_CREDENTIAL_MAX + 16];
    memcpy(long_header, "Bearer ", 7);
    memset(long_header + 7, 'a', ACCESS_CREDENTIAL_MAX + 1);
    long_header[7 + ACCESS_CREDENTIAL_MAX + 1] = '\0';
    assert_null(access_bearer_token(long_header, &reason));
    assert_string_equal(reason, "too_long");
    long_header[7 + ACCESS_CREDENTIAL_MAX] = '\0';
    assert_non_null(access_bearer_token(long_header, &reason));
}

static void
test_apikey_format_and_parse(void **state)
{
    (void)state;
    unsigned char id[6] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab}, secret[32];
    char key[APIKEY_LEN + 1], parsed[APIKEY_ID_LEN + 1];
    for (int i = 0; i < 32; i++)
        secret[i] = (unsigned char)(i * 37 + 255);
    apikey_format(id, secret, key);
    assert_int_equal(strlen(key), APIKEY_LEN);
    assert_memory_equal(key, "capa_0123456789ab_", 18);
    assert_true(apikey_parse(key, parsed));
    assert_string_equal(parsed, "0123456789ab");
    /* every secret byte changes the key: all 256 bits are in it */
    for (int i = 0; i < 32; i++) {
        char other[APIKEY_LEN + 1];
        secret[i] ^= 1;
        apikey_format(id, secret, other);
        secret[i] ^= 1;
        assert_string_not_equal(other, key);
    }
    char bad[APIKEY_LEN + 2];
    const size_t positions[] = {0, 4, 5, 16, 17, 18, APIKEY_LEN - 1};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        memcpy(bad, key, sizeof key);
        bad[positions[i]] = '!';
        assert_false(apikey_parse(bad, parsed));
    }
    memcpy(bad, key, sizeof key);
    bad[APIKEY_LEN - 1] = '\0'; /* one short */
    assert_false(apikey_parse(bad, parsed));
    memcpy(bad, key, sizeof key);
    bad[APIKEY_LEN] = 'A'; /* one long */
    bad[APIKEY_LEN + 1] = '\0';
    assert_false(apikey_parse(bad, parsed));
    memcpy(bad, key, sizeof key);
    bad[6] = 'A'; /* upper-case hex */
    assert_false(apikey_parse(bad, parsed));
    assert_false(apikey_parse("capa_", parsed));
    assert_false(apikey_parse("", parsed));
}

static void
test_apikey_names(void **state)
{
    (void)state;
    assert_true(apikey_name_valid("jira-sync"));
    assert_true(apikey_name_valid("a"));
    assert_true(apikey_name_valid("svc.reporting_2"));
    assert_false(apikey_name_valid(""));
    assert_false(apikey_name_valid("-x"));
    assert_false(apikey_name_valid("Jira"));
    assert_false(apikey_name_valid("a b"));
    char long_name[80];
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    assert_false(apikey_name_valid(long_name));
    long_name[63] = '\0';
    assert_true(apikey_name_valid(long_name));
}

static void
test_roles(void **state)
{
    (void)state;
    char buf[96];
    bool delegate = true;
    json_t *j = json_pack("[s, s, s, s, i]", "approver", "offline_access", "viewer", "delegate", 3);
    unsigned roles = access_roles_from_json(j, &delegate);
    assert_int_equal(roles, ACCESS_ROLE_BIT(WF_ROLE_APPROVER) | ACCESS_ROLE_BIT(WF_ROLE_VIEWER));
    assert_true(delegate);
    assert_string_equal(access_roles_text(roles, buf, sizeof buf), "viewer, approver");
    assert_string_equal(access_roles_text(0, buf, sizeof buf), "");
    assert_string_equal(access_roles_text(ACCESS_ROLES_ALL, buf, sizeof buf),
                        "viewer, reporter, contributor, approver, admin");
    json_decref(j);
    j = json_string("admin"); /* not an array */
    assert_int_equal(access_roles_from_json(j, &delegate), 0);
    assert_false(delegate);
    json_decref(j);
}

static void
test_segregation_of_duties(void **state)
{
    (void)state;
    char detail[256];
    struct principal p = {.kind = "user", .subject = "u-17", .name = "Dana", .roles = ~0u};
    struct principal creator = {.kind = "user", .subject = "u-1"};
    json_t *j_assignees = json_pack("[s, s]", "hr-lead", "it-ops");
    json_t *j_dana = json_string("dana"), *j_empty = json_string("");

    /* the owner, by name, case-insensitively */
    assert_int_equal(
        access_check_sod(&p, "approve", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_SEGREGATION);
    assert_non_null(strstr(detail, "owner"));
    /* an assignee, by subject */
    p.name = NULL;
    p.subject = "IT-OPS";
    assert_int_equal(
        access_check_sod(&p, "judge", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_SEGREGATION);
    assert_non_null(strstr(detail, "assignee"));
    /* the person a delegate acts for */
    p.subject = "jira-key";
    p.on_behalf_of = "hr-lead";
    assert_int_equal(
        access_check_sod(&p, "approve", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_SEGREGATION);
    /* who raised the case may not approve it, but may judge it */
    p.on_behalf_of = NULL;
    p.subject = "u-1";
    assert_int_equal(
        access_check_sod(&p, "approve", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_SEGREGATION);
    assert_int_equal(
        access_check_sod(&p, "judge", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_OK);
    /* the same subject of another kind is someone else */
    creator.kind = "api_key";
    assert_int_equal(
        access_check_sod(&p, "approve", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_OK);
    /* a case raised by a delegate for erin: erin may not approve it, through any service */
    creator.on_behalf_of = "erin";
    p.subject = "other-key";
    p.on_behalf_of = "Erin";
    assert_int_equal(
        access_check_sod(&p, "approve", j_dana, j_assignees, &creator, detail, sizeof detail),
        ERR_SEGREGATION);
    assert_non_null(strstr(detail, "raised for"));
    p.on_behalf_of = NULL;
    creator.kind = "user";
    /* someone else entirely; no owner yet */
    p.subject = "u-99";
    assert_int_equal(
        access_check_sod(&p, "approve", NULL, j_assignees, &creator, detail, sizeof detail),
        ERR_OK);
    json_t *j_none = json_array();
    assert_int_equal(access_check_sod(&p, "approve", j_empty, j_none, NULL, detail, sizeof detail),
                     ERR_OK);
    json_decref(j_none);
    json_decref(j_assignees);
    json_decref(j_dana);
    json_decref(j_empty);
}

/* Names are one person whatever their case, spaces and punctuation. */
static void
test_access_name_fold_one_person_many_spellings(void **state)
{
    (void)state;
    char out[64];
    access_name_fold("Local Approver", out, sizeof out);
    assert_string_equal(out, "localapprover");
    access_name_fold("local-approver", out, sizeof out);
    assert_string_equal(out, "localapprover");
    access_name_fold(" LOCAL_approver. ", out, sizeof out);
    assert_string_equal(out, "localapprover");
    access_name_fold("J\xc3\xa9r\xc3\xb4me O'Neil", out, sizeof out); /* non-ASCII kept */
    assert_string_equal(out, "j\xc3\xa9r\xc3\xb4meoneil");
    access_name_fold("--", out, sizeof out);
    assert_string_equal(out, "");
    access_name_fold("abcdef", out, 4); /* cut to fit */
    assert_string_equal(out, "abc");
    struct principal p = {.kind = "api_key", .subject = "4f1c2a9b7e30", .name = "local-approver"};
    assert_true(access_is_person(&p, "Local Approver"));
    assert_false(access_is_person(&p, "Local Approvers"));
    assert_false(access_is_person(&p, "--")); /* folds to nothing: names nobody */
}

/* A principal named in a case is compared by identity, a text by its folded name. */
static void
test_access_is_named_principal_or_text(void **state)
{
    (void)state;
    struct principal key = {.kind = "api_key", .subject = "4f1c2a9b7e30", .name = "jira-sync"};
    struct principal user = {.kind = "user", .subject = "4f1c2a9b7e30", .name = "Sam"};
    json_t *j_key = json_pack("{s:s, s:s}", "kind", "api_key", "subject", "4f1c2a9b7e30");
    json_t *j_sam =
        json_pack("{s:s, s:s, s:s}", "kind", "user", "subject", "u-sam", "name", "Sam Reyes");
    json_t *j_text = json_string("Jira Sync");
    assert_true(access_is_named(&key, j_key));
    assert_false(access_is_named(&user, j_key)); /* the same subject, another kind */
    assert_true(access_is_named(&key, j_text));
    assert_false(access_is_named(&user, j_sam)); /* a name alone is no principal's identity */
    /* a delegate acting for the person the principal is */
    struct principal bot = {.kind = "api_key", .subject = "bot", .on_behalf_of = "sam reyes"};
    assert_true(access_is_named(&bot, j_sam));
    bot.on_behalf_of = "U-SAM";
    assert_true(access_is_named(&bot, j_sam));
    bot.on_behalf_of = "dana";
    assert_false(access_is_named(&bot, j_sam));
    /* the owner as a principal in segregation of duties */
    char detail[256];
    json_t *j_none = json_array();
    assert_int_equal(access_check_sod(&key, "approve", j_key, j_none, NULL, detail, sizeof detail),
                     ERR_SEGREGATION);
    assert_non_null(strstr(detail, "4f1c2a9b7e30"));
    assert_int_equal(access_check_sod(&user, "approve", j_key, j_none, NULL, detail, sizeof detail),
                     ERR_OK);
    json_t *j_assignees = json_pack("[O]", j_sam);
    bot.on_behalf_of = "Sam-Reyes";
    assert_int_equal(
        access_check_sod(&bot, "judge", NULL, j_assignees, NULL, detail, sizeof detail),
        ERR_SEGREGATION);
    assert_non_null(strstr(detail, "Sam Reyes"));
    json_decref(j_assignees);
    json_decref(j_none);
    json_decref(j_key);
    json_decref(j_sam);
    json_decref(j_text);
}

static void
test_token_bucket(void **state)
{
    (void)state;
    struct tbucket b = {0};
    /* a new bucket is full: burst requests at once */
    for (int i = 0; i < 3; i++)
        assert_true(tbucket_take(&b, 2.0, 3.0, 100.0) == 0);
    double wait = tbucket_take(&b, 2.0, 3.0, 100.0);
    assert_true(wait > 0.49 && wait <= 0.5);
    /* refused requests do not drain it further */
    assert_true(tbucket_take(&b, 2.0, 3.0, 100.1) > 0);
    assert_true(tbucket_take(&b, 2.0, 3.0, 100.5) == 0);
    assert_true(tbucket_take(&b, 2.0, 3.0, 100.5) > 0);
    /* it refills to burst, not beyond */
    for (int i = 0; i < 3; i++)
        assert_true(tbucket_take(&b, 2.0, 3.0, 1000.0) == 0);
    assert_true(tbucket_take(&b, 2.0, 3.0, 1000.0) > 0);
}

static json_t *
nested(int depth)
{
    json_t *j = json_string("leaf");
    for (int i = 0; i < depth; i++)
        j = i % 2 ? json_pack("{s:o}", "k", j) : json_pack("[o]", j);
    return j;
}

static void
test_json_shape(void **state)
{
    (void)state;
    char detail[128];
    json_t *j = nested(JSHAPE_MAX_DEPTH);
    assert_int_equal(jshape_check(j, detail, sizeof detail), ERR_OK);
    json_decref(j);
    j = nested(JSHAPE_MAX_DEPTH + 1);
    assert_int_equal(jshape_check(j, detail, sizeof detail), ERR_BAD_REQUEST);
    assert_non_null(strstr(detail, "deeper"));
    json_decref(j);

    char key[JSHAPE_MAX_KEY + 2];
    memset(key, 'k', JSHAPE_MAX_KEY);
    key[JSHAPE_MAX_KEY] = '\0';
    j = json_pack("{s:{s:i}}", "a", key, 1);
    assert_int_equal(jshape_check(j, detail, sizeof detail), ERR_OK);
    json_decref(j);
    key[JSHAPE_MAX_KEY] = 'k';
    key[JSHAPE_MAX_KEY + 1] = '\0';
    j = json_pack("{s:[{s:i}]}", "a", key, 1);
    assert_int_equal(jshape_check(j, detail, sizeof detail), ERR_BAD_REQUEST);
    assert_non_null(strstr(detail, "member name"));
    json_decref(j);
    j = json_integer(1);
    assert_int_equal(jshape_check(j, detail, sizeof detail), ERR_OK);
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer_token),
        cmocka_unit_test(test_apikey_format_and_parse),
        cmocka_unit_test(test_apikey_names),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_segregation_of_duties),
        cmocka_unit_test(test_access_name_fold_one_person_many_spellings),
        cmocka_unit_test(test_access_is_named_principal_or_text),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
