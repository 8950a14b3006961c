#!/usr/bin/env bash
# run.sh - run every fuzz target of a CAPA_FUZZ build for a bounded time.
#
# Usage: tests/fuzz/run.sh <builddir> [seconds-per-target]
#
# <builddir> was configured with CC=clang -DCAPA_FUZZ=ON; its
# tests/fuzz/targets.txt lists the targets. Each target runs for
# seconds-per-target (default: about 60 s in all, counting some 2 s of start
# and exit per target; at least 1 s each) on a copy of its committed corpus
# tests/fuzz/corpus/<target>/ in a temporary directory, with its dictionary
# when it has one; nothing is written into the repository. Prints one line per target (executions,
# executions per second, corpus growth, outcome) and exits non-zero if any
# target crashes, leaks, times out (-timeout=10), runs out of memory
# (-rss_limit_mb=2048) or fails to start. Crash inputs and the log of each
# failing target are kept in an artifacts directory, named at the end:
# $CAPA_FUZZ_ARTIFACTS if set, else a new /tmp/capa-fuzz-artifacts.XXXXXX
# (removed again when nothing failed). Reproduce a crash with
#   <builddir>/tests/fuzz/<target> <artifact>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
budget=60   # seconds in all, by default
overhead=2  # seconds a target takes beyond -max_total_time (start, final leak check)

say() { printf '[fuzz] %s\n' "$*" >&2; }

if [[ $# -lt 1 || $# -gt 2 ]]; then
    say "usage: $0 <builddir> [seconds-per-target]"
    exit 2
fi
builddir=$(cd "$1" && pwd -P)
list="$builddir/tests/fuzz/targets.txt"
if [[ ! -f $list ]]; then
    say "$list not found: configure $1 with CC=clang -DCAPA_FUZZ=ON and build it"
    exit 2
fi
mapfile -t targets < <(grep -v '^[[:space:]]*$' "$list")
if [[ ${#targets[@]} -eq 0 ]]; then
    say "no fuzz targets listed in $list"
    exit 2
fi
if [[ $# -eq 2 ]]; then
    seconds=$2
    if ! [[ $seconds =~ ^[0-9]+$ && $seconds -ge 1 ]]; then
        say "seconds-per-target must be a whole number of at least 1: $seconds"
        exit 2
    fi
else
    seconds=$(((budget - overhead * ${#targets[@]}) / ${#targets[@]}))
    [[ $seconds -ge 1 ]] || seconds=1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/capa-fuzz.XXXXXX")
if [[ -n ${CAPA_FUZZ_ARTIFACTS:-} ]]; then
    artifacts=$CAPA_FUZZ_ARTIFACTS
    mkdir -p -- "$artifacts"
    keep_artifacts=1
else
    artifacts=$(mktemp -d "${TMPDIR:-/tmp}/capa-fuzz-artifacts.XXXXXX")
    keep_artifacts=0
fi
artifacts=$(cd "$artifacts" && pwd -P)
failed=()

# shellcheck disable=SC2317  # called by the trap
cleanup() {
    rm -rf -- "$work"
    if [[ ${#failed[@]} -eq 0 && $keep_artifacts -eq 0 ]]; then
        rm -rf -- "$artifacts"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# What went wrong, from a target's log.
outcome() {
    local log=$1 rc=$2
    if [[ $rc -eq 127 ]] && grep -q 'is not built' "$log"; then
        echo "not built"
    elif grep -q 'fuzz: property failed\|fuzz: .* returned .* error entries' "$log"; then
        echo "property failed"
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
        echo "timeout"
    elif grep -q 'ERROR: libFuzzer: out-of-memory\|ERROR: libFuzzer: malloc' "$log"; then
        echo "out of memory"
    elif grep -q 'ERROR: LeakSanitizer' "$log"; then
        echo "leak"
    elif grep -q 'runtime error:' "$log"; then
        echo "undefined behaviour"
    elif grep -q 'ERROR: AddressSanitizer' "$log"; then
        echo "memory error"
    else
        echo "failed (exit $rc)"
    fi
}

stat_of() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

say "$(printf '%d targets, %d s each, build %s' "${#targets[@]}" "$seconds" "$builddir")"
printf '[fuzz] %-18s %12s %9s %8s  %s\n' target execs exec/s "+corpus" result >&2
start=$SECONDS
for t in "${targets[@]}"; do
    bin="$builddir/tests/fuzz/$t"
    log="$work/$t.log"
    corpus="$work/corpus/$t"
    mkdir -p -- "$corpus"
    if [[ -d $here/corpus/$t ]]; then
        cp -R -- "$here/corpus/$t/." "$corpus/"
    fi
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/$t-")
    if [[ -s $builddir/tests/fuzz/$t.dict ]]; then
        args+=(-dict="$builddir/tests/fuzz/$t.dict")
    fi
    rc=0
    if [[ ! -x $bin ]]; then
        echo "$bin is not built" >"$log"
        rc=127
    else
        (cd "$work" &&
            ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
                UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
                "$bin" "${args[@]}" "$corpus") >"$log" 2>&1 || rc=$?
    fi
    execs=$(stat_of "$log" number_of_executed_units)
    rate=$(stat_of "$log" average_exec_per_sec)
    added=$(stat_of "$log" new_units_added)
    if [[ $rc -eq 0 ]]; then
        result=ok
    else
        result=$(outcome "$log" "$rc")
        failed+=("$t")
        cp -- "$log" "$artifacts/$t.log"
    fi
    printf '[fuzz] %-18s %12s %9s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${added:-?}" \
        "$result" >&2
    if [[ $rc -ne 0 ]]; then
        # what failed, and where in our code
        {
            grep -E 'ERROR:|SUMMARY:|runtime error:|fuzz: |Test unit written' "$log" || true
            grep -E '^ +#[0-9]+ ' "$log" | grep -F "$root/" | head -n 6 || true
        } | head -n 14 | sed 's/^/[fuzz]     /' >&2
    fi
done

if [[ ${#failed[@]} -eq 0 ]]; then
    say "all ${#targets[@]} targets passed ($((SECONDS - start)) s)"
    [[ $keep_artifacts -eq 0 ]] || say "artifacts directory: $artifacts (empty)"
    exit 0
fi
say "FAILED: ${failed[*]} ($((SECONDS - start)) s)"
say "crash inputs and logs kept in $artifacts"
say "reproduce with: $builddir/tests/fuzz/<target> $artifacts/<target>-<crash|leak|timeout|oom>-..."
exit 1
