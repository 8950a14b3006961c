#!/usr/bin/env bash
# tests/bench/relay.sh - how fast the outbox relay drains, and how soon a
# committed case change reaches Kafka, measured on this machine in one run.
#
#   tests/bench/relay.sh            (as root, or a user with sudo; ~3-4 min)
#
# Not a test: run by hand; progress goes to stderr, the report to stdout.
# Targets (the issue): drain faster than PostgreSQL can commit case changes
# on the same machine, and p99 commit-to-ack under 50 ms.
#
# Stages:
#   1. missing Debian packages (deploy/lib.sh), Release build in build-bench/
#   2. a throwaway PostgreSQL 15 cluster under /tmp with durable settings
#      (fsync, synchronous_commit and full_page_writes on: a benchmark must
#      not turn them off), `capad migrate`, NCASES seeded cases
#      (relay-seed.sql)
#   3. commit ceiling: pgbench runs relay-commit.pgbench, one case change per
#      transaction (UPDATE the case, INSERT its ~1.5 kB case_events row)
#   4. backlog drain: with no relay running, exactly BACKLOG fresh
#      unpublished events (relay-backlog.sql); start `capad serve` with
#      CAPA_KAFKA_BROKERS=mock and time until none is left unpublished.
#      Once per CAPA_RELAY_BATCH in BENCH_BATCHES; the last capad stays up.
#   5. steady load: wrk POSTs /v1/cases (relay-create.lua) against that
#      capad; the capa_relay_delivery_latency_seconds histogram is scraped
#      before and after, and p50/p99 estimated from the bucket differences
#      (relay_latency.py). A cross-check computes the same figures exactly
#      from the rows: PostgreSQL's commit timestamp (track_commit_timestamp,
#      switched on after stage 3) to published_at.
# Everything (capad, the cluster, the temporary directory) is removed on
# exit; build-bench/ is kept, like build/.
#
# Knobs (environment): BENCH_CASES (10000), BENCH_BACKLOG (100000),
# BENCH_BATCHES ("2000 500"), BENCH_PGBENCH_SECONDS (15),
# BENCH_WRK_SECONDS (20), BENCH_DRAIN_TIMEOUT_S (300).
set -euo pipefail
export LC_NUMERIC=C # decimal point in $EPOCHREALTIME and printf

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

bench=tests/bench
builddir=build-bench
capad=$PWD/$builddir/capad
ncases=${BENCH_CASES:-10000}
backlog=${BENCH_BACKLOG:-100000}
read -r -a batches <<<"${BENCH_BATCHES:-2000 500}"
pgbench_seconds=${BENCH_PGBENCH_SECONDS:-15}
wrk_seconds=${BENCH_WRK_SECONDS:-20}
drain_timeout=${BENCH_DRAIN_TIMEOUT_S:-300}
pg_settings=(fsync=on synchronous_commit=on full_page_writes=on
    shared_buffers=256MB max_connections=100)

tmp=''
url=''
capad_pid=''
port=''
started=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

die() {
    capa_log "FAILED: $*"
    exit 1
}

# shellcheck disable=SC2317  # called indirectly (trap)
finish() {
    local rc=$?
    trap - EXIT
    stop_capad || true
    if [[ -n $tmp ]]; then
        capa_pg_stop "$tmp/pgdata" || capa_pg_stop "$tmp/pgdata" immediate || true
        rm -rf -- "$tmp"
    fi
    [[ $rc -eq 0 ]] || capa_log "benchmark aborted (exit $rc)"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sql() { psql "$url" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# calc <awk expression>: floating-point arithmetic
calc() { awk "BEGIN { printf \"%.6f\", ($1) }"; }

# start_capad <relay batch> <log name>: capad serve on a free port, mock Kafka
start_capad() {
    port=$(free_port)
    CAPA_DATABASE_URL=$url CAPA_HTTP_BIND=127.0.0.1 CAPA_HTTP_PORT=$port \
        CAPA_KAFKA_BROKERS=mock CAPA_LOG_LEVEL=warn CAPA_RELAY_BATCH=$1 \
        CAPA_RATE_LIMIT_RPS=0 CAPA_METRICS_PUBLIC=true \
        "$capad" serve >>"$tmp/capad-$2.log" 2>&1 &
    capad_pid=$!
}

# stop_capad: SIGTERM, then up to 20 s for a clean exit, then SIGKILL
stop_capad() {
    [[ -n $capad_pid ]] || return 0
    local pid=$capad_pid i
    capad_pid=''
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        capa_log "capad $pid did not stop within 20 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

capad_alive() {
    [[ -n $capad_pid ]] && kill -0 "$capad_pid" 2>/dev/null
}

metrics() { curl -fsS --max-time 10 "http://127.0.0.1:$port/metrics"; }

# metric <name> < scrape: the value of an unlabelled sample
metric() { awk -v n="$1" '$1 == n { print $2 }'; }

# wait_drained <timeout s> <log name>: until no case_events row is unpublished
wait_drained() {
    local deadline=$((SECONDS + $1))
    while [[ $(sql 'SELECT EXISTS (SELECT 1 FROM case_events WHERE published_at IS NULL)') == t ]]; do
        if ! capad_alive; then
            tail -n 20 "$tmp/capad-$2.log" >&2 || true
            die "capad exited while the backlog was draining"
        fi
        ((SECONDS < deadline)) || die "events still unpublished after $1 s"
        sleep 0.1
    done
}

# wait_http: until capad answers /metrics (at most 30 s)
wait_http() {
    local i
    for ((i = 0; i < 300; i++)); do
        metrics >/dev/null 2>&1 && return 0
        capad_alive || break
        sleep 0.1
    done
    die "capad does not answer on port $port"
}

# ---------------------------------------------------------------- 1. build
capa_log "===== dependencies and Release build ($builddir/)"
capa_install_deps wrk python3 postgresql-contrib || die "cannot install the dependencies"
capa_build "$builddir" -DCMAKE_BUILD_TYPE=Release -DCAPA_BUILD_TESTS=OFF >&2 ||
    die "build failed"

# -------------------------------------------------------------- 2. cluster
capa_log "===== PostgreSQL cluster (durable: ${pg_settings[*]})"
# directly under /tmp: short socket path, traversable by user postgres
tmp=$(mktemp -d /tmp/capa-bench.XXXXXXXX)
chmod 0755 "$tmp"
capa_pg_start "$tmp/pgdata" "$tmp/run" "$tmp/postgres.log" "${pg_settings[@]}" ||
    die "cannot start PostgreSQL"
psql "$(capa_pg_url "$tmp/run" postgres)" -qtAX -v ON_ERROR_STOP=1 \
    -c 'CREATE DATABASE capa_bench' >/dev/null
url=$(capa_pg_url "$tmp/run" capa_bench)
[[ $(sql 'SHOW fsync') == on && $(sql 'SHOW synchronous_commit') == on ]] ||
    die "the cluster is not durable (fsync / synchronous_commit)"
CAPA_DATABASE_URL=$url CAPA_LOG_LEVEL=warn "$capad" migrate >&2 || die "capad migrate failed"
BENCH_KEY=$(CAPA_DATABASE_URL=$url CAPA_LOG_LEVEL=warn "$capad" apikey create --name bench \
    --role reporter 2>/dev/null) || die "capad apikey create failed"
export BENCH_KEY
capa_log "seeding $ncases cases"
psql "$url" -qX -v ON_ERROR_STOP=1 -v ncases="$ncases" -f "$bench/relay-seed.sql" >&2

# --------------------------------------------------------- 3. commit ceiling
capa_log "===== commit ceiling: pgbench -c 8 -j 2 -T $pgbench_seconds (UPDATE case + INSERT event)"
sql CHECKPOINT
pgbench -n -M prepared -c 8 -j 2 -T "$pgbench_seconds" -D ncases="$ncases" \
    -f "$bench/relay-commit.pgbench" -h "$tmp/run" -U postgres capa_bench \
    >"$tmp/pgbench.txt" 2>&1 || { cat "$tmp/pgbench.txt" >&2; die "pgbench failed"; }
cat "$tmp/pgbench.txt" >&2
pg_tps=$(awk '/^tps = / { print $3 }' "$tmp/pgbench.txt")
pg_failed=$(awk -F': ' '/^number of failed transactions/ { split($2, a, " "); print a[1] }' \
    "$tmp/pgbench.txt")
[[ -n $pg_tps && ${pg_failed:-0} -eq 0 ]] || die "pgbench: no tps or failed transactions"
event_bytes=$(sql "SELECT round(avg(length(data::text))) FROM case_events WHERE type = 'capa.case.updated'")

# commit timestamps for the exact cross-check of stage 5 (a restart; enabled
# only now so that the ceiling above runs on stock settings)
capa_pg_stop "$tmp/pgdata" || die "cannot stop PostgreSQL"
capa_pg_start "$tmp/pgdata" "$tmp/run" "$tmp/postgres.log" "${pg_settings[@]}" \
    track_commit_timestamp=on || die "cannot restart PostgreSQL"

# ---------------------------------------------------------- 4. backlog drain
declare -A drain_rate drain_seconds drain_first
for batch in "${batches[@]}"; do
    capa_log "===== drain: $backlog events, CAPA_RELAY_BATCH=$batch"
    stop_capad
    psql "$url" -qX -v ON_ERROR_STOP=1 -v backlog="$backlog" -f "$bench/relay-backlog.sql" >&2
    left=$(sql 'SELECT count(*) FROM case_events WHERE published_at IS NULL')
    [[ $left -eq $backlog ]] || die "backlog is $left events, expected $backlog"
    first_pos=$(sql 'SELECT min(position) FROM case_events WHERE published_at IS NULL')
    sql 'VACUUM (ANALYZE) case_events'
    sql 'VACUUM (ANALYZE) cases'
    sql CHECKPOINT

    t0=$EPOCHREALTIME
    start_capad "$batch" "batch$batch"
    wait_drained "$drain_timeout" "batch$batch"
    t1=$EPOCHREALTIME

    wait_http
    published=$(metrics | metric capa_relay_published_total)
    [[ $published -ge $backlog ]] ||
        die "capa_relay_published_total is $published, expected at least $backlog"
    drain_seconds[$batch]=$(calc "$t1 - $t0")
    drain_rate[$batch]=$(calc "$backlog / ($t1 - $t0)")
    drain_first[$batch]=$(sql "SELECT round((extract(epoch FROM min(published_at)) - $t0)::numeric, 2)
                                 FROM case_events WHERE position >= $first_pos")
    capa_log "drained in $(printf '%.2f' "${drain_seconds[$batch]}") s:" \
        "$(printf '%.0f' "${drain_rate[$batch]}") events/s" \
        "(first events marked ${drain_first[$batch]} s after start)"
done

# ---------------------------------------------------------- 5. steady load
capa_log "===== steady load: wrk -t2 -c4 -d${wrk_seconds}s POST /v1/cases" \
    "(capad CAPA_RELAY_BATCH=${batches[-1]} still running)"
wait_http
last_pos=$(sql 'SELECT coalesce(max(position), 0) FROM case_events')
metrics >"$tmp/metrics-before.txt"
wrk -t2 -c4 -d"${wrk_seconds}s" --latency -s "$bench/relay-create.lua" \
    "http://127.0.0.1:$port" >"$tmp/wrk.txt" 2>&1 || { cat "$tmp/wrk.txt" >&2; die "wrk failed"; }
cat "$tmp/wrk.txt" >&2
wait_drained 60 "batch${batches[-1]}"
metrics >"$tmp/metrics-after.txt"

creates_s=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.txt")
read -r responses non2xx socket_errors < <(awk '/^BENCH / {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print v["responses"], v["non2xx"], v["socket_errors"] }' "$tmp/wrk.txt") || true
[[ -n $creates_s && -n ${socket_errors:-} ]] || die "cannot read the wrk results"

# the service's histogram, differenced: from the writing transaction's start
# to Kafka's acknowledgement
declare -A hist
for kv in $(python3 "$bench/relay_latency.py" "$tmp/metrics-before.txt" "$tmp/metrics-after.txt"); do
    hist[${kv%%=*}]=${kv#*=}
done
[[ ${hist[count]:-0} -gt 0 ]] || die "no commit-to-ack observations between the two scrapes"
# exact, from the rows: commit timestamp -> published_at (marked after the ack)
IFS='|' read -r x_count x_p50 x_p99 x_max < <(sql "
    SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
           round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2),
           round(max(ms)::numeric, 2)
      FROM (SELECT 1000 * extract(epoch FROM published_at - pg_xact_commit_timestamp(txid::xid)) AS ms
              FROM case_events WHERE position > $last_pos) AS l") || true
[[ ${x_count:-0} -gt 0 && -n $x_p99 ]] || die "no events with a commit timestamp"

# ------------------------------------------------------------------ report
# yes_no <awk condition>
yes_no() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo NO; fi; }

pg_version=$(sql 'SHOW server_version')
rdkafka_version=$(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null || echo unknown)
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit+=" + uncommitted changes"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

row() { printf '%-44s | %-22s | %-24s | %s\n' "$@"; }

printf '\ncapa relay benchmark (%s, %s)\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$($capad version 2>&1 | head -n1)"
printf 'machine:    %s CPUs (nproc), %s, %s RAM, kernel %s\n' "$(nproc)" "$cpu_model" "$mem_total" "$(uname -r)"
printf 'software:   PostgreSQL %s, librdkafka %s, capa %s (Release build)\n' "$pg_version" "$rdkafka_version" "$commit"
printf 'postgres:   fsync=on synchronous_commit=on full_page_writes=on shared_buffers=256MB (track_commit_timestamp=on from stage 4)\n'
printf 'kafka:      CAPA_KAFKA_BROKERS=mock: librdkafka mock cluster (3 brokers, 6 partitions)\n'
printf '            running inside the capad process: acks over loopback, no broker disk\n'
printf 'load avg:   %s at the start, %s at the end (other work on the machine skews every figure)\n\n' \
    "$load_start" "$load_end"

row metric value target 'met?'
row "$(printf -- '-%.0s' {1..44})" "$(printf -- '-%.0s' {1..22})" "$(printf -- '-%.0s' {1..24})" ----
row "PostgreSQL commits/s (ceiling)" "$(printf '%.0f' "$pg_tps")" "-" "-"
for batch in "${batches[@]}"; do
    rate=${drain_rate[$batch]}
    row "relay drain events/s, CAPA_RELAY_BATCH=$batch" \
        "$(printf '%.0f (%.2fx ceiling)' "$rate" "$(calc "$rate / $pg_tps")")" \
        "> $(printf '%.0f' "$pg_tps") (ceiling)" "$(yes_no "$rate > $pg_tps")"
done
row "creates/s (wrk -t2 -c4 -d${wrk_seconds}s)" "$creates_s" "-" "-"
row "non-2xx responses (of $responses)" "$non2xx" "0" "$(yes_no "$non2xx == 0 && $socket_errors == 0")"
row "commit-to-ack p50 ms (histogram)" "${hist[p50_ms]}" "-" "-"
row "commit-to-ack p99 ms (histogram)" "${hist[p99_ms]}" "< 50" "$(yes_no "${hist[p99_ms]} < 50")"
row "acked within 50 ms (histogram, exact)" "${hist[le50ms_pct]}%" ">= 99%" "$(yes_no "${hist[le50ms_pct]} >= 99")"
row "commit-to-ack p50 ms (rows, exact)" "$x_p50" "-" "-"
row "commit-to-ack p99 ms (rows, exact)" "$x_p99" "< 50" "$(yes_no "$x_p99 < 50")"

printf '\nnotes:\n'
printf -- '- ceiling: pgbench -M prepared -c 8 -j 2 -T %s, one transaction = UPDATE a random case of %s\n' "$pgbench_seconds" "$ncases"
printf '  (version + 1) + INSERT its case_events row (event data %s bytes on average)\n' "$event_bytes"
for batch in "${batches[@]}"; do
    printf -- '- drain, batch %s: %s events in %.2f s from starting capad to none unpublished;\n' \
        "$batch" "$backlog" "${drain_seconds[$batch]}"
    printf '  the first events were marked published %s s after the start (capad start-up, producer\n' \
        "${drain_first[$batch]}"
    printf '  set-up, first round); from then on about %.0f events/s\n' \
        "$(calc "$backlog / (${drain_seconds[$batch]} - ${drain_first[$batch]})")"
done
printf -- '- latency over %s events (%s socket errors); histogram: capa_relay_delivery_latency_seconds\n' \
    "${hist[count]}" "$socket_errors"
printf '  differenced, p50/p99 interpolated within buckets (.., 25, 50, 100, 250 ms, ..), mean %s ms;\n' \
    "${hist[mean_ms]}"
printf '  it starts at the writing transaction'"'"'s start (occurred_at), so it includes the\n'
printf '  transaction itself; rows: pg_xact_commit_timestamp(txid) to published_at (set when the\n'
printf '  acked round is marked) over %s events, max %s ms\n' "$x_count" "$x_max"
printf -- '- total run time %d s\n' "$((SECONDS - started))"
