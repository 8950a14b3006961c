/*
 * test_config.c - the configuration table (config.h): every row's default is
 * a value of its own row, each type refuses what it should with a message
 * naming the variable, secrets never show, the rules between variables hold,
 * and what `config check` prints reads back as the same configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "log.h"

/* Every variable of the table unset, as on a machine without configuration. */
static int
clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < cfg_var_count; i++)
        unsetenv(cfg_vars[i].name);
    return 0;
}

/* What cfg_print writes for cfg (caller frees). */
static char *
printed(const struct cfg *cfg)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    cfg_print(cfg, out);
    fclose(out);
    return text;
}

static void
test_table_is_well_formed(void **state)
{
    (void)state;
    assert_true(cfg_var_count >= 40);
    for (size_t i = 0; i < cfg_var_count; i++) {
        const struct cfg_var *v = &cfg_vars[i];
        assert_int_equal(strncmp(v->name, "CAPA_", 5), 0);
        assert_true(strspn(v->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(v->name));
        assert_true(v->doc != NULL && v->doc[0] != '\0');
        assert_ptr_equal(cfg_var_find(v->name), v); /* and so no name twice */
        if (v->type != CFG_TEXT)
            assert_non_null(v->def);
        if (v->type == CFG_INT)
            assert_true(v->min <= v->max);
        if (v->type == CFG_CHOICE)
            assert_true(v->choices != NULL && v->choices[0] != NULL);
        if (v->type == CFG_TEXT && v->valid != NULL)
            assert_non_null(v->accepts);
    }
    assert_null(cfg_var_find("CAPA_NO_SUCH"));
    assert_null(cfg_var_find("capa_http_port"));
}

/* Each default is accepted by its own row, and "" means the default. */
static void
test_defaults_are_values_of_their_rows(void **state)
{
    (void)state;
    char err[256];
    for (size_t i = 0; i < cfg_var_count; i++) {
        const struct cfg_var *v = &cfg_vars[i];
        struct cfg a = {0}, b = {0};
        if (cfg_var_set(v, NULL, &a, err, sizeof err) != ERR_OK)
            fail_msg("%s: its default is refused: %s", v->name, err);
        assert_int_equal(cfg_var_set(v, "", &b, err, sizeof err), ERR_OK);
        if (v->def != NULL) {
            struct cfg c = {0};
            assert_int_equal(cfg_var_set(v, v->def, &c, err, sizeof err), ERR_OK);
            const void *fa = (char *)&a + v->offset, *fc = (char *)&c + v->offset;
            if (v->type == CFG_TEXT)
                assert_string_equal(*(char *const *)fa, *(char *const *)fc);
            else if (v->type == CFG_BOOL)
                assert_int_equal(*(const bool *)fa, *(const bool *)fc);
            else
                assert_int_equal(*(const int *)fa, *(const int *)fc);
            cfg_cleanup(&c);
        }
        cfg_cleanup(&a);
        cfg_cleanup(&b);
    }
}

static void
test_load_without_environment_gives_the_defaults(void **state)
{
    (void)state;
    struct cfg cfg;
    char err[256] = "";
    assert_int_equal(cfg_load(&cfg, err, sizeof err), ERR_OK);
    assert_string_equal(cfg.database_url, "postgresql:///capa");
    assert_string_equal(cfg.http_bind, "0.0.0.0");
    assert_int_equal(cfg.http_port, 8080);
    assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
    assert_true(cfg.db_prepared_statements);
    assert_false(cfg.migrate_on_start);
    assert_null(cfg.kafka_brokers);
    assert_string_equal(cfg.kafka_topic, "capa.case-events");
    assert_int_equal(cfg.shutdown_timeout_s, 20);
    assert_int_equal(cfg.rate_limit_rps, 50);
    cfg_cleanup(&cfg);
    assert_null(cfg.kafka_topic);
}

static void
test_each_type_reads_what_it_should(void **state)
{
    (void)state;
    struct cfg cfg = {0};
    char err[256];
    const struct {
        const char *name, *value;
    } good[] = {
        {"CAPA_HTTP_PORT", "1"},
        {"CAPA_HTTP_PORT", "65535"},
        {"CAPA_RATE_LIMIT_RPS", "0"},
        {"CAPA_MIGRATE_ON_START", "1"},
        {"CAPA_MIGRATE_ON_START", "true"},
        {"CAPA_DB_PREPARED_STATEMENTS", "0"},
        {"CAPA_LOG_LEVEL", "error"},
        {"CAPA_KAFKA_BROKERS", "mock"},
        {"CAPA_KAFKA_BROKERS", "a:1,b:9092"},
        {"CAPA_JWT_ALGORITHMS", "ES256,EdDSA"},
        {"CAPA_JWT_ROLES_CLAIM", "realm_access.roles"},
        {"CAPA_HTTP_BIND", "127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (cfg_var_set(cfg_var_find(good[i].name), good[i].value, &cfg, err, sizeof err))
            fail_msg("%s=%s refused: %s", good[i].name, good[i].value, err);
    assert_int_equal(cfg.http_port, 65535);
    assert_int_equal(cfg.rate_limit_rps, 0);
    assert_true(cfg.migrate_on_start);
    assert_false(cfg.db_prepared_statements);
    assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);
    assert_string_equal(cfg.kafka_brokers, "a:1,b:9092");
    assert_string_equal(cfg.http_bind, "127.0.0.1");
    cfg_cleanup(&cfg);
}

static void
test_bad_values_are_refused_naming_variable_and_value(void **state)
{
    (void)state;
    char long_text[202];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    const struct {
        const char *name, *value, *message;
    } bad[] = {
        {"CAPA_HTTP_PORT", "0", "CAPA_HTTP_PORT must be an integer from 1 to 65535, got \"0\""},
        {"CAPA_HTTP_PORT", "65536", "from 1 to 65535"},
        {"CAPA_HTTP_PORT", "80x", "got \"80x\""},
        {"CAPA_HTTP_PORT", "99999999999999999999999", "from 1 to 65535"},
        {"CAPA_MIGRATE_ON_START", "yes", "CAPA_MIGRATE_ON_START must be true or false"},
        {"CAPA_LOG_LEVEL", "verbose",
         "CAPA_LOG_LEVEL must be debug, info, warn or error, got \"verbose\""},
        {"CAPA_LOG_LEVEL", "INFO", "got \"INFO\""},
        {"CAPA_HTTP_BIND", "localhost", "CAPA_HTTP_BIND must be an IPv4 address"},
        {"CAPA_KAFKA_TOPIC", "case events", "CAPA_KAFKA_TOPIC must be a Kafka topic name"},
        {"CAPA_KAFKA_BROKERS", "kafka", "host:port"},
        {"CAPA_KAFKA_BROKERS", "kafka:0", "host:port"},
        {"CAPA_JWT_ALGORITHMS", "HS256", "RS256, RS384"},
        {"CAPA_JWT_ALGORITHMS", "RS256,none", "RS256, RS384"},
        {"CAPA_JWT_ROLES_CLAIM", "a..b", "dotted path"},
        {"CAPA_EVENT_SOURCE", "urn:\x01", "CAPA_EVENT_SOURCE must be printable text"},
        {"CAPA_EVENT_SOURCE", long_text, "CAPA_EVENT_SOURCE must be at most 200 characters"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cfg cfg = {0};
        char err[256] = "";
        if (cfg_var_set(cfg_var_find(bad[i].name), bad[i].value, &cfg, err, sizeof err) !=
            ERR_INVALID)
            fail_msg("%s=%s accepted", bad[i].name, bad[i].value);
        if (strstr(err, bad[i].message) == NULL)
            fail_msg("%s=%s: \"%s\" does not say \"%s\"", bad[i].name, bad[i].value, err,
                     bad[i].message);
        cfg_cleanup(&cfg);
    }
}

/* A refused secret is shown masked; config check masks every secret. */
static void
test_secrets_never_show(void **state)
{
    (void)state;
    struct cfg cfg;
    char err[256] = "";
    assert_int_equal(cfg_var_set(cfg_var_find("CAPA_KAFKA_PROPERTIES"), "sasl.password=p4ss\x01",
                                 &(struct cfg){0}, err, sizeof err),
                     ERR_INVALID);
    assert_null(strstr(err, "p4ss"));
    assert_non_null(strstr(err, "sasl.password=****"));

    setenv("CAPA_DATABASE_URL", "postgresql://u:s3cret@db/x?password=s3cret&sslmode=require", 1);
    setenv("CAPA_KAFKA_PROPERTIES", "sasl.username=a;sasl.password=p4ss;sasl.oauth.token=t0k", 1);
    assert_int_equal(cfg_load(&cfg, err, sizeof err), ERR_OK);
    char *text = printed(&cfg);
    assert_null(strstr(text, "s3cret"));
    assert_null(strstr(text, "p4ss"));
    assert_null(strstr(text, "t0k"));
    assert_non_null(
        strstr(text, "CAPA_DATABASE_URL=postgresql://u:****@db/x?password=****&sslmode=require\n"));
    assert_non_null(strstr(
        text, "CAPA_KAFKA_PROPERTIES=sasl.username=a;sasl.password=****;sasl.oauth.token=****\n"));
    free(text);
    cfg_cleanup(&cfg);
    unsetenv("CAPA_DATABASE_URL");
    unsetenv("CAPA_KAFKA_PROPERTIES");

    char *masked = cfg_mask_database_url("host=db password='se cret' dbname=x");
    assert_string_equal(masked, "host=db password=**** dbname=x");
    free(masked);
}

static void
test_rules_between_variables(void **state)
{
    (void)state;
    const struct {
        const char *set[3][2];
        const char *message;
    } cases[] = {
        {{{"CAPA_HTTP_THREADS", "9"}, {"CAPA_HTTP_CONNECTION_LIMIT", "3"}},
         "CAPA_HTTP_THREADS (9) must not exceed CAPA_HTTP_CONNECTION_LIMIT (3)"},
        {{{"CAPA_TLS_CERT_FILE", "/c.pem"}}, "must be set together"},
        {{{"CAPA_TLS_KEY_FILE", "/k.pem"}}, "must be set together"},
        {{{"CAPA_JWT_JWKS_FILE", "/j"}, {"CAPA_JWT_PEM_FILE", "/p"}}, "not both"},
        {{{"CAPA_JWT_PEM_FILE", "/p"}, {"CAPA_JWT_ISSUER", "https://idp"}},
         "needs CAPA_JWT_ISSUER and CAPA_JWT_AUDIENCE"},
        {{{"CAPA_HTTP_PORT", "http"}}, "CAPA_HTTP_PORT must be an integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cfg cfg;
        char err[256] = "";
        for (int k = 0; k < 3 && cases[i].set[k][0]; k++)
            setenv(cases[i].set[k][0], cases[i].set[k][1], 1);
        assert_int_equal(cfg_load(&cfg, err, sizeof err), ERR_INVALID);
        cfg_cleanup(&cfg);
        if (strstr(err, cases[i].message) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].message);
        clear_env(NULL);
    }
    struct cfg cfg;
    char err[256] = "";
    setenv("CAPA_TLS_CERT_FILE", "/c.pem", 1);
    setenv("CAPA_TLS_KEY_FILE", "/k.pem", 1);
    setenv("CAPA_HTTP_THREADS", "3", 1);
    setenv("CAPA_HTTP_CONNECTION_LIMIT", "3", 1);
    assert_int_equal(cfg_load(&cfg, err, sizeof err), ERR_OK);
    cfg_cleanup(&cfg);
    clear_env(NULL);
}

/* Every variable printed once, in table order, and each printed value reads back as itself. */
static void
test_printed_configuration_reads_back(void **state)
{
    (void)state;
    struct cfg cfg, again;
    char err[256] = "";
    setenv("CAPA_LOG_LEVEL", "warn", 1);
    setenv("CAPA_KAFKA_BROKERS", "k1:9092,k2:9092", 1);
    setenv("CAPA_METRICS_PUBLIC", "1", 1);
    setenv("CAPA_HTTP_THREADS", "4", 1);
    assert_int_equal(cfg_load(&cfg, err, sizeof err), ERR_OK);
    char *text = printed(&cfg), *line = text, *end;
    for (size_t i = 0; i < cfg_var_count; i++, line = end + 1) {
        end = strchr(line, '\n');
        assert_non_null(end);
        *end = '\0';
        size_t n = strlen(cfg_vars[i].name);
        if (strncmp(line, cfg_vars[i].name, n) != 0 || line[n] != '=')
            fail_msg("line %zu is \"%s\", not %s", i + 1, line, cfg_vars[i].name);
        if (cfg_vars[i].mask == NULL)
            setenv(cfg_vars[i].name, line + n + 1, 1);
    }
    assert_string_equal(line, "");
    assert_int_equal(cfg_load(&again, err, sizeof err), ERR_OK);
    char *text_again = printed(&again);
    char *text_first = printed(&cfg);
    assert_string_equal(text_again, text_first);
    free(text);
    free(text_again);
    free(text_first);
    cfg_cleanup(&cfg);
    cfg_cleanup(&again);
    clear_env(NULL);
}

static void
test_vars_text_is_the_table(void **state)
{
    (void)state;
    char *text = cfg_vars_text();
    json_error_t e;
    json_t *list = json_loads(text, 0, &e), *row;
    size_t i;
    assert_non_null(list);
    assert_int_equal(json_array_size(list), cfg_var_count);
    json_array_foreach(list, i, row)
    {
        const struct cfg_var *v = &cfg_vars[i];
        assert_string_equal(json_string_value(json_object_get(row, "name")), v->name);
        assert_string_equal(json_string_value(json_object_get(row, "doc")), v->doc);
        assert_int_equal(json_is_true(json_object_get(row, "secret")), v->mask != NULL);
        if (v->def != NULL)
            assert_string_equal(json_string_value(json_object_get(row, "default")), v->def);
        else
            assert_true(json_is_null(json_object_get(row, "default")));
        if (v->type == CFG_INT) {
            assert_int_equal(json_integer_value(json_object_get(row, "minimum")), v->min);
            assert_int_equal(json_integer_value(json_object_get(row, "maximum")), v->max);
        }
    }
    json_t *level = json_array_get(list, (size_t)(cfg_var_find("CAPA_LOG_LEVEL") - cfg_vars));
    assert_string_equal(json_string_value(json_object_get(level, "type")), "choice");
    assert_int_equal(json_array_size(json_object_get(level, "choices")), 4);
    json_decref(list);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_well_formed),
        cmocka_unit_test(test_defaults_are_values_of_their_rows),
        cmocka_unit_test(test_load_without_environment_gives_the_defaults),
        cmocka_unit_test(test_each_type_reads_what_it_should),
        cmocka_unit_test(test_bad_values_are_refused_naming_variable_and_value),
        cmocka_unit_test(test_secrets_never_show),
        cmocka_unit_test(test_rules_between_variables),
        cmocka_unit_test(test_printed_configuration_reads_back),
        cmocka_unit_test(test_vars_text_is_the_table),
    };
    return cmocka_run_group_tests(tests, clear_env, NULL);
}
