#!/usr/bin/env bash
# tests/bench/api.sh - capad's REST API against PostgreSQL's own ceiling for
# the same SQL, measured on this machine in one run.
#
#   tests/bench/api.sh            (as root, or a user with sudo; ~8-12 min)
#
# Not a test: run by hand; progress goes to stderr, the report to stdout.
# Stages:
#   1. missing Debian packages (deploy/lib.sh), Release build in build-bench/
#   2. a throwaway PostgreSQL cluster under /tmp, durable (fsync,
#      synchronous_commit, full_page_writes on), `capad migrate`, BENCH_CASES
#      (1,000,000) cases loaded by SQL (api-seed.sql), VACUUM ANALYZE
#   3. one `capad serve` (no Kafka: the relay is off, so only the API loads
#      the database); per operation wrk -t2 -c$C -d${D}s --latency with an
#      api-*.lua script, then pgbench -M prepared -c$C -j2 -T$D running the
#      same SQL transaction (api-*.pgbench, statements copied from
#      service/store/*.c): create, get, list, patch, transition
#   4. a short wrk -c64 on get, then capad's VmHWM (peak RSS)
#   5. EXPLAIN (ANALYZE, BUFFERS) of the list query, and the table
# Everything (capad, the cluster, the temporary directory) is removed on
# exit; build-bench/ is kept.
#
# Knobs (environment): BENCH_CASES (1000000), BENCH_CONNECTIONS (16),
# BENCH_SECONDS (15), BENCH_RSS_SECONDS (5),
# BENCH_LIST_QUERY ("status=reported&severity=minor&q=firewall&limit=50").
set -euo pipefail
export LC_NUMERIC=C LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

bench=$PWD/tests/bench
builddir=build-bench
capad=$PWD/$builddir/capad
ncases=${BENCH_CASES:-1000000}
conns=${BENCH_CONNECTIONS:-16}
secs=${BENCH_SECONDS:-15}
rss_secs=${BENCH_RSS_SECONDS:-5}
list_query=${BENCH_LIST_QUERY:-status=reported&severity=minor&q=firewall&limit=50}
pg_settings=(fsync=on synchronous_commit=on full_page_writes=on
    shared_buffers=256MB max_connections=100 maintenance_work_mem=512MB max_wal_size=4GB)

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

calc() { awk "BEGIN { printf \"%.6f\", ($1) }"; }
yes_no() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo NO; fi; }

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

# wrk output -> "req_s p50_ms p99_ms responses non2xx socket_errors statuses"
# (latency units us/ms/s converted to ms)
wrk_parse() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v + 0
        }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); b[kv[1]] = kv[2] } }
        END { printf "%s %.2f %.2f %s %s %s %s\n", rps, p50, p99, b["responses"], b["non2xx"],
                     b["socket_errors"], (b["statuses"] == "" ? "-" : b["statuses"]) }' "$1"
}

# run_wrk <name> <connections> <seconds> <lua> [env...]: results in $tmp/wrk-<name>.txt
run_wrk() {
    local name=$1 c=$2 d=$3 lua=$4
    shift 4
    capa_log "----- wrk $name: -t2 -c$c -d${d}s ($lua)"
    env BENCH_DIR="$bench" BENCH_THREADS=2 "$@" \
        wrk -t2 -c"$c" -d"${d}s" --timeout 10s --latency -s "$bench/$lua" "http://127.0.0.1:$port" \
        >"$tmp/wrk-$name.txt" 2>"$tmp/wrk-$name.err" || {
        cat "$tmp/wrk-$name.txt" "$tmp/wrk-$name.err" >&2
        die "wrk $name failed"
    }
    cat "$tmp/wrk-$name.txt" >&2
    head -n 3 "$tmp/wrk-$name.err" >&2 || true
    kill -0 "$capad_pid" 2>/dev/null || die "capad died during wrk $name"
}

# run_pgbench <name> <script> [pgbench options...]: tps in $tmp/pgbench-<name>.txt
run_pgbench() {
    local name=$1 script=$2
    shift 2
    capa_log "----- pgbench $name: -M prepared -c$conns -j2 -T$secs ($script)"
    sql CHECKPOINT
    env "${pgb_env[@]}" pgbench -n -M prepared -c "$conns" -j 2 -T "$secs" "$@" -f "$bench/$script" \
        -h "$tmp/run" -U postgres capa_bench >"$tmp/pgbench-$name.txt" 2>&1 || {
        tail -n 30 "$tmp/pgbench-$name.txt" >&2
        die "pgbench $name failed"
    }
    grep -E '^(tps|latency|number of (failed|transactions))' "$tmp/pgbench-$name.txt" >&2 || true
}

pg_tps() { awk '/^tps = / { printf ($3 < 100 ? "%.2f" : "%.0f"), $3 }' "$tmp/pgbench-$1.txt"; }
pg_failed() {
    awk -F': ' '/^number of failed transactions/ { split($2, a, " "); f = a[1] } END { print f + 0 }' \
        "$tmp/pgbench-$1.txt"
}

# ids <file> <sql>: one id a line
ids() { psql "$url" -qtAX -v ON_ERROR_STOP=1 -c "$2" >"$1"; }

# ---------------------------------------------------------------- 1. build
capa_log "===== dependencies and Release build ($builddir/)"
capa_install_deps wrk python3 postgresql-contrib || die "cannot install the dependencies"
capa_build "$builddir" -DCMAKE_BUILD_TYPE=Release -DCAPA_BUILD_TESTS=OFF >&2 ||
    die "build failed"

# -------------------------------------------------------------- 2. cluster
capa_log "===== PostgreSQL cluster (durable: ${pg_settings[*]})"
tmp=$(mktemp -d /tmp/capa-api-bench.XXXXXXXX)
chmod 0755 "$tmp"
capa_pg_start "$tmp/pgdata" "$tmp/run" "$tmp/postgres.log" "${pg_settings[@]}" ||
    die "cannot start PostgreSQL"
psql "$(capa_pg_url "$tmp/run" postgres)" -qtAX -v ON_ERROR_STOP=1 \
    -c 'CREATE DATABASE capa_bench' >/dev/null
url=$(capa_pg_url "$tmp/run" capa_bench)
[[ $(sql 'SHOW fsync') == on && $(sql 'SHOW synchronous_commit') == on ]] ||
    die "the cluster is not durable (fsync / synchronous_commit)"
CAPA_DATABASE_URL=$url CAPA_LOG_LEVEL=warn "$capad" migrate >&2 || die "capad migrate failed"
# every request carries a key, as a service's would; the first one is looked up, the
# others come from capad's key cache (CAPA_AUTH_CACHE_S)
BENCH_KEY=$(CAPA_DATABASE_URL=$url CAPA_LOG_LEVEL=warn "$capad" apikey create --name bench \
    --role viewer,reporter,contributor,approver 2>/dev/null) || die "capad apikey create failed"
export BENCH_KEY

capa_log "loading $ncases cases (api-seed.sql)"
t0=$SECONDS
psql "$url" -qX -v ON_ERROR_STOP=1 -v ncases="$ncases" -f "$bench/api-seed.sql" >&2
load_s=$((SECONDS - t0))
capa_log "loaded in ${load_s} s; VACUUM ANALYZE"
t0=$SECONDS
sql 'VACUUM (ANALYZE) cases'
sql 'VACUUM (ANALYZE)'
vacuum_s=$((SECONDS - t0))
sql CHECKPOINT
[[ $(sql 'SELECT count(*) FROM cases') -eq $ncases ]] || die "the load did not give $ncases cases"
db_size=$(sql "SELECT pg_size_pretty(pg_database_size(current_database()))")

# wrk's ids: even seeded cases, reported at version 1 (pgbench changes only odd ones)
ids "$tmp/ids-get.txt" "SELECT bench_case_id(i) FROM generate_series(1, $ncases, 10) AS i"
ids "$tmp/ids-patch.txt" "SELECT bench_case_id(i) FROM generate_series(2, $ncases, 2) AS i
                          WHERE i % 20 < 7 AND i % 4 = 0"
ids "$tmp/ids-transition.txt" "SELECT bench_case_id(i) FROM generate_series(2, $ncases, 2) AS i
                               WHERE i % 20 < 7 AND i % 4 = 2"
[[ $(sql "SELECT count(*) FROM cases WHERE status = 'reported' AND version = 1
            AND id IN (SELECT bench_case_id(i) FROM generate_series(2, 200, 2) AS i WHERE i % 20 < 7)") -gt 0 ]] ||
    die "the seeded wrk cases are not reported at version 1"

# pgbench parameters: event texts of the size capad writes (canonical JSON,
# the case snapshot plus the change)
snap='"case": {"clause_refs": ["A.8.20"], "close_due_at": "2026-01-19T10:00:00.000000Z", "closed_at": null, "contain_due_at": "2025-11-24T10:00:00.000000Z", "contained_at": null, "created_at": "2025-11-20T10:00:00.000000Z", "description": "The quarterly review of the perimeter firewall rule base was not performed in Q3 as required by the network security procedure NS-04.", "detected_at": "2025-11-19T10:00:00.000000Z", "external_refs": [], "id": "0b0e1a52-7c1d-4d4e-8f5a-3c2b1a0f9e8d", "key": "NC-2025-0001", "kind": "nonconformity", "overdue": false, "owner": "network-team", "recurrence_candidates": [], "reopened_count": 0, "reported_by": "isms.manager@example.com", "severity": "minor", "source": "internal_audit", "status": "reported", "tags": ["network"], "title": "Firewall rule review overdue", "updated_at": "2025-11-20T10:00:00.000000Z", "version": 1, "workflow": {"kind": "nonconformity", "version": 1}}'
pg_common=(-D "actor={\"kind\":\"anonymous\",\"subject\":\"anonymous\"}"
    -D "h0=$(printf '0%.0s' {1..64})" -D "h1=$(printf '9f%.0s' {1..32})" -D ncases="$ncases")

# ---------------------------------------------------------- 3. capad serve
port=$(free_port)
capa_log "===== capad serve on 127.0.0.1:$port (CAPA_DB_POOL_SIZE default, no Kafka)"
# one principal sends everything: no rate limit
CAPA_DATABASE_URL=$url CAPA_HTTP_BIND=127.0.0.1 CAPA_HTTP_PORT=$port CAPA_LOG_LEVEL=warn \
    CAPA_RATE_LIMIT_RPS=0 "$capad" serve >>"$tmp/capad.log" 2>&1 &
capad_pid=$!
for ((i = 0; i < 300; i++)); do
    curl -fsS --max-time 5 -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/v1/cases?limit=1" >/dev/null 2>&1 && break
    kill -0 "$capad_pid" 2>/dev/null || { tail -n 20 "$tmp/capad.log" >&2; die "capad exited"; }
    sleep 0.1
done
((i < 300)) || die "capad does not answer on port $port"
pool_size=${CAPA_DB_POOL_SIZE:-10}

pgb_env=(PGOPTIONS=)
declare -A r_rps r_p50 r_p99 r_resp r_bad r_sock r_stat r_tps r_fail
measure() { # <op> <lua> <pgbench script> <wrk env...> -- <pgbench options...>
    local op=$1 lua=$2 script=$3 wenv=() popt=()
    shift 3
    while [[ $# -gt 0 && $1 != -- ]]; do wenv+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    popt=("$@")
    capa_log "===== $op"
    sql CHECKPOINT
    run_wrk "$op" "$conns" "$secs" "$lua" "${wenv[@]}"
    read -r r_rps[$op] r_p50[$op] r_p99[$op] r_resp[$op] r_bad[$op] r_sock[$op] r_stat[$op] \
        < <(wrk_parse "$tmp/wrk-$op.txt")
    run_pgbench "$op" "$script" "${popt[@]}"
    r_tps[$op]=$(pg_tps "$op")
    r_fail[$op]=$(pg_failed "$op")
    [[ -n ${r_tps[$op]} ]] || die "pgbench $op: no tps"
}

pgb_env=("PGOPTIONS=-c plan_cache_mode=force_custom_plan")
measure create api-create.lua api-create.pgbench -- "${pg_common[@]}" \
    -D "ev_created={$snap}" -D "title=Firewall rule review overdue" -D 'refs=["A.8.20"]'
pgb_env=(PGOPTIONS=)
measure get api-get.lua api-get.pgbench BENCH_IDS="$tmp/ids-get.txt" -- -D ncases="$ncases"
capa_log "list request: GET /v1/cases?$list_query ($(curl -fsS -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/v1/cases?$list_query" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("items", d.get("data", []))), "items")' 2>/dev/null || echo '? items'))"
pgb_env=("PGOPTIONS=-c plan_cache_mode=force_custom_plan")
measure list api-list.lua api-list.pgbench BENCH_LIST_PATH="/v1/cases?$list_query" -- \
    -D 'status=["reported"]' -D 'severity=["minor"]' -D q=firewall -D lim=51
pgb_env=(PGOPTIONS=)
measure patch api-patch.lua api-patch.pgbench BENCH_IDS="$tmp/ids-patch.txt" -- "${pg_common[@]}" \
    -D "ev_updated={\"changes\": {\"owner\": {\"after\": \"network-team\", \"before\": null}}, $snap}"
measure transition api-transition.lua api-transition.pgbench BENCH_IDS="$tmp/ids-transition.txt" -- \
    "${pg_common[@]}" -D "ev_transitioned={\"changes\": {\"status\": {\"after\": \"rejected\", \"before\": \"reported\"}}, \"transition\": {\"comment\": \"duplicate of an earlier report\", \"from\": \"reported\", \"to\": \"rejected\"}, $snap}"

# ------------------------------------------------------------ 4. peak RSS
capa_log "===== get at 64 connections (${rss_secs} s), then capad's VmHWM"
run_wrk get64 64 "$rss_secs" api-get.lua BENCH_IDS="$tmp/ids-get.txt"
read -r g64_rps g64_p50 g64_p99 g64_resp g64_bad g64_sock g64_stat < <(wrk_parse "$tmp/wrk-get64.txt")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$capad_pid/status")
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$capad_pid/status")
threads_n=$(awk '/^Threads:/ { print $2 }' "/proc/$capad_pid/status")
hwm_mib=$(calc "$hwm_kb / 1024")

# ------------------------------------------------------------ 5. EXPLAIN
list_sql=$(grep -v '^\\\|^--' "$bench/api-list.pgbench" |
    sed -e "s/:status/'[\"reported\"]'/g" -e "s/:severity/'[\"minor\"]'/g" \
        -e "s/:q\b/'firewall'/g" -e 's/:lim/51/g' -e 's/;$//')
psql "$url" -qtAX -v ON_ERROR_STOP=1 -c "EXPLAIN (ANALYZE, BUFFERS) $list_sql" >"$tmp/explain.txt"
if grep -q 'Seq Scan on cases' "$tmp/explain.txt"; then
    uses_index="NO: a Seq Scan on cases"
else
    uses_index="yes: $(grep -oE '(Bitmap )?Index (Only )?Scan( Backward)? (using|on) [a-z_]+' "$tmp/explain.txt" |
        sed -E 's/.* (using|on) //' | sort -u | paste -sd, -)"
fi
list_ms=$(awk -F': ' '/^Execution Time/ { print $2 }' "$tmp/explain.txt")
stop_capad

# ------------------------------------------------------------------ report
pg_version=$(sql 'SHOW server_version')
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit+=" + uncommitted changes"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

printf '\ncapa API benchmark (%s, %s)\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$($capad version 2>&1 | head -n1)"
printf 'machine:    %s CPUs (nproc), %s, %s RAM, kernel %s\n' "$(nproc)" "$cpu_model" "$mem_total" "$(uname -r)"
printf 'software:   PostgreSQL %s, %s, capa %s (Release build)\n' "$pg_version" "$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)" "$commit"
printf 'postgres:   %s\n' "${pg_settings[*]}"
printf 'data:       %s cases loaded by SQL in %s s (+ VACUUM ANALYZE %s s), database %s\n' \
    "$ncases" "$load_s" "$vacuum_s" "$db_size"
printf 'load avg:   %s at the start, %s at the end. NOTE: another process (a clean-room\n' "$load_start" "$load_end"
printf '            test) shared this machine during the run; wrk, capad, PostgreSQL and pgbench\n'
printf '            all share the same %s CPUs too: read every figure as indicative.\n\n' "$(nproc)"

row() { printf '%-11s | %11s | %11s | %5s | %8s | %8s | %7s | %-22s | %s\n' "$@"; }
row operation "capad req/s" "pgbench tps" ratio "p50 ms" "p99 ms" non-2xx target "met?"
row ----------- ----------- ----------- ----- -------- -------- ------- ---------------------- ----
all_ok=yes
for op in create get list patch transition; do
    ratio=$(calc "${r_tps[$op]} > 0 ? ${r_rps[$op]} / ${r_tps[$op]} : 0")
    bad=$((r_bad[$op] + r_sock[$op]))
    case $op in
    create | transition) target=">= 70% of pgbench"; met=$(yes_no "$ratio >= 0.70 && $bad == 0") ;;
    get) target=">= 60% of pgbench"; met=$(yes_no "$ratio >= 0.60 && $bad == 0") ;;
    list) target="p99 < 50 ms"; met=$(yes_no "${r_p99[$op]} < 50 && $bad == 0") ;;
    *) target="0 non-2xx"; met=$(yes_no "$bad == 0") ;;
    esac
    [[ $met == yes ]] || all_ok=no
    row "$op" "$(printf "$( [[ ${r_rps[$op]%.*} -lt 100 ]] && echo %.2f || echo %.0f)" "${r_rps[$op]}")" "${r_tps[$op]}" "$(printf '%.2f' "$ratio")" \
        "${r_p50[$op]}" "${r_p99[$op]}" "$bad" "$target" "$met"
done
bad64=$((g64_bad + g64_sock))
met=$(yes_no "$hwm_kb < 65536 && $bad64 == 0")
[[ $met == yes ]] || all_ok=no
row "get -c64" "$(printf '%.0f' "$g64_rps")" - - "$g64_p50" "$g64_p99" "$bad64" "peak RSS < 64 MiB" "$met"
printf '\ncapad peak RSS (VmHWM, whole run, ending with -c64): %.1f MiB (VmRSS now %.1f MiB, %s threads)\n' \
    "$hwm_mib" "$(calc "$rss_kb / 1024")" "$threads_n"
printf 'all targets met: %s\n' "$all_ok"

printf '\nresponse statuses (wrk):'
for op in create get list patch transition; do
    printf ' %s %s (%s responses, %s socket errors);' "$op" "${r_stat[$op]}" "${r_resp[$op]}" "${r_sock[$op]}"
done
printf ' get -c64 %s\n' "$g64_stat"
printf 'pgbench failed transactions:'
for op in create get list patch transition; do printf ' %s %s;' "$op" "${r_fail[$op]}"; done
printf '\n'

printf '\nlist query at %s cases: GET /v1/cases?%s\n' "$ncases" "$list_query"
printf 'uses an index: %s (execution %s)\n' "$uses_index" "$list_ms"
printf 'EXPLAIN (ANALYZE, BUFFERS):\n'
sed 's/^/    /' "$tmp/explain.txt"

printf '\nnotes:\n'
printf -- '- wrk -t2 -c%s -d%ss --latency per operation; pgbench -n -M prepared -c%s -j2 -T%s on the\n' "$conns" "$secs" "$conns" "$secs"
printf '  same database right after (capad idle), same statements as service/store/*.c; capad\n'
printf '  holds %s pooled PostgreSQL connections (CAPA_DB_POOL_SIZE), pgbench %s\n' "${pool_size:-10}" "$conns"
printf -- '- create: no Idempotency-Key; its transaction includes the recurrence search (similar\n'
printf '  titles among the 1,000 newest cases, clause_refs overlap over all %s) and the key\n' "$ncases"
printf '  counter row, which serialises concurrent creates until commit (in both columns)\n'
printf -- '- get: random ids over %s seeded cases; patch {"owner"} and transition reported ->\n' "$(wc -l <"$tmp/ids-get.txt")"
printf '  rejected: each wrk request on a different seeded case at version 1 (If-Match "1");\n'
printf '  pgbench the same transaction on random other cases at their current version\n'
printf -- '- create and list: pgbench with plan_cache_mode=force_custom_plan (capad plans each\n'
printf '  statement with its values: PQexecParams, unnamed)\n'
printf -- '- seeded cases have no case_events rows (log head lookups find none, as for a fresh case)\n'
printf -- '- total run time %d s\n' "$((SECONDS - started))"
