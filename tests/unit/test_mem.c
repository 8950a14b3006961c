/*
 * test_mem.c - the out-of-memory policy (mem.h): an allocation that cannot be
 * had ends the process with one line on stderr, ours and jansson's alike,
 * instead of returning NULL to a caller that would have to cope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"

/* More than any machine has: malloc refuses it at once. */
#define TOO_MUCH ((size_t)1 << 62)

enum what { OURS, JANSSON };

/* Run the allocation in a child; its stderr into out. Returns its wait status. */
static int
allocate_in_child(enum what what, char *out, size_t out_size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        mem_install_jansson();
        static const char one[] = "x";
        /* jansson copies the string: the copy's allocation is what fails */
        void *p = what == OURS ? mem_alloc(TOO_MUCH) : (void *)json_stringn_nocheck(one, TOO_MUCH);
        _exit(p == NULL ? 3 : 4); /* only when the policy did not hold */
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < out_size && (got = read(fds[0], out + n, out_size - n - 1)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void
expect_the_end(enum what what)
{
    char err[4096];
    int status = allocate_in_child(what, err, sizeof err);
#ifdef __SANITIZE_ADDRESS__
    /* AddressSanitizer refuses so large a size itself, before malloc could return NULL */
    if (strstr(err, "allocation-size-too-big") != NULL ||
        strstr(err, "requested allocation size") != NULL) {
        assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return;
    }
#endif
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("the child was not aborted (status %d); it wrote:\n%s", status, err);
    if (strstr(err, "\"msg\":\"out of memory allocating") == NULL)
        fail_msg("no out-of-memory line on stderr:\n%s", err);
}

static void
test_our_allocation_that_fails_ends_the_process(void **state)
{
    (void)state;
    expect_the_end(OURS);
}

static void
test_jansson_allocation_that_fails_ends_the_process(void **state)
{
    (void)state;
    expect_the_end(JANSSON);
}

static void
test_allocations_that_succeed_are_ordinary(void **state)
{
    (void)state;
    char *s = mem_strdup("capa");
    assert_string_equal(s, "capa");
    char *t = mem_strndup("capability", 4);
    assert_string_equal(t, "capa");
    int *v = mem_calloc(4, sizeof *v);
    assert_int_equal(v[0] + v[1] + v[2] + v[3], 0);
    v = mem_realloc(v, 1024 * sizeof *v);
    v[1023] = 7;
    assert_int_equal(v[1023], 7);
    free(s);
    free(t);
    free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_allocation_that_fails_ends_the_process),
        cmocka_unit_test(test_jansson_allocation_that_fails_ends_the_process),
        cmocka_unit_test(test_allocations_that_succeed_are_ordinary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
