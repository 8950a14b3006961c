#!/usr/bin/env bash
# deploy/test.sh - build capa and pass every test.
#
# Stages: dependencies, a throwaway PostgreSQL cluster, build/ + ctest,
# build-asan/ (ASan+UBSan) + ctest, build-fuzz/ (clang, libFuzzer) + about a
# minute of fuzzing (tests/fuzz/run.sh), the OpenAPI lint, and the AsyncAPI
# lint with the events the first ctest run produced. Integration tests get
# CAPA_TEST_DATABASE_URL, a superuser URL of that cluster. The cluster and
# its temporary directory are removed on any exit. Prints one summary line
# per stage and exits non-zero if any stage failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

summary=()
failed=0
tmp=''
current=''

# stage <name> <command...>: runs the command, records PASS or FAIL.
stage() {
    local name=$1 start=$SECONDS rc=0
    shift
    capa_log "===== $name"
    current=$name
    "$@" || rc=$?
    current=''
    if [[ $rc -eq 0 ]]; then
        summary+=("PASS  $name ($((SECONDS - start))s)")
    else
        summary+=("FAIL  $name (exit $rc, $((SECONDS - start))s)")
        failed=1
    fi
    return "$rc"
}

skip() { summary+=("SKIP  $1 ($2)"); }

# shellcheck disable=SC2317  # called indirectly (trap / stage)
finish() {
    local rc=$? line
    trap - EXIT
    [[ -z $current ]] || summary+=("ABORT $current (interrupted, exit $rc)")
    if [[ -n $tmp ]]; then
        capa_pg_stop "$tmp/pgdata" || capa_pg_stop "$tmp/pgdata" immediate || true
        rm -rf -- "$tmp"
    fi
    [[ $failed -eq 0 ]] || rc=1
    printf '\n' >&2
    for line in "${summary[@]}"; do
        printf '[capa] %s\n' "$line" >&2
    done
    if [[ $rc -eq 0 ]]; then
        printf '[capa] all stages passed\n' >&2
    else
        printf '[capa] FAILED (exit %s)\n' "$rc" >&2
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck disable=SC2317  # called indirectly (trap / stage)
start_cluster() {
    # Directly under /tmp rather than $TMPDIR: the socket path must stay
    # short, and every parent must be traversable by the postgres user.
    tmp=$(mktemp -d /tmp/capa-test.XXXXXXXX) || return 1
    chmod 0755 "$tmp" || return 1
    capa_pg_start "$tmp/pgdata" "$tmp/run" "$tmp/postgres.log" \
        fsync=off synchronous_commit=off full_page_writes=off max_connections=200 ||
        return 1
    CAPA_TEST_DATABASE_URL=$(capa_pg_url "$tmp/run" postgres)
    export CAPA_TEST_DATABASE_URL
    "$CAPA_PG_BIN/psql" "$CAPA_TEST_DATABASE_URL" -qtAX -c 'SELECT version()'
}

# shellcheck disable=SC2317  # called indirectly (trap / stage)
run_ctest() {
    ctest --test-dir "$1" --output-on-failure --no-tests=error -j2
}

# The first run also keeps the events the tests produce and every HTTP response
# they receive, for the checks against the event schemas and openapi.yaml.
# shellcheck disable=SC2317  # called indirectly (trap / stage)
run_ctest_samples() {
    CAPA_EVENT_SAMPLES_DIR="$tmp/event-samples"
    CAPA_HTTP_SAMPLES_DIR="$tmp/http-samples"
    mkdir -p "$CAPA_EVENT_SAMPLES_DIR" "$CAPA_HTTP_SAMPLES_DIR"
    export CAPA_EVENT_SAMPLES_DIR CAPA_HTTP_SAMPLES_DIR
    run_ctest build
}

# shellcheck disable=SC2317  # called indirectly (trap / stage)
run_ctest_asan() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_ctest build-asan
}

# The fuzz targets of tests/fuzz and the domain they aim at, with clang (the
# tests are left out: the stages above build and run them).
# shellcheck disable=SC2317  # called indirectly (trap / stage)
build_fuzz() {
    (export CC=clang && capa_build build-fuzz -DCAPA_FUZZ=ON -DCAPA_BUILD_TESTS=OFF)
}

stage dependencies capa_install_deps || exit 1
stage postgres start_cluster || exit 1

if stage build capa_build build; then
    stage ctest run_ctest_samples || true
else
    skip ctest 'build failed'
fi

if stage build-asan capa_build build-asan -DCAPA_SANITIZE=ON; then
    stage ctest-asan run_ctest_asan || true
else
    skip ctest-asan 'build-asan failed'
fi

if stage build-fuzz build_fuzz; then
    stage fuzz bash tests/fuzz/run.sh build-fuzz || true
else
    skip fuzz 'build-fuzz failed'
fi

# openapi.yaml, and every response the integration tests received against it
stage lint-openapi bash tests/spec/lint-openapi.sh "$tmp/http-samples" || true
# AsyncAPI and JSON Schemas, and every event the integration tests produced against them
stage lint-asyncapi bash tests/spec/lint-asyncapi.sh "$tmp/event-samples" || true

exit "$failed"
