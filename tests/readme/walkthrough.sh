#!/usr/bin/env bash
# walkthrough.sh - run the README's "Using it" and "Walking a nonconformity
# through clause 10.2" blocks as a newcomer would, word for word, against a
# capad of their own.
#
# Usage: tests/readme/walkthrough.sh <capad> <README.md>
#
# Needs CAPA_TEST_DATABASE_URL (a server where it may create and drop a
# database), curl, jq and psql. It makes what ./deploy/run.sh makes - a
# database, the development keys in .capa-local/ of a scratch directory, a
# capad serving on a free port - then runs each block from that directory with
# only the port replaced, and checks what they printed: the rejected case and
# the closed major nonconformity verify, the closure approval given early was
# refused, every element of clause 10.2 is present. Exit 0 on success.
set -euo pipefail

capad=$(realpath "${1:?usage: walkthrough.sh <capad> <README.md>}")
readme=$(realpath "${2:?usage: walkthrough.sh <capad> <README.md>}")
: "${CAPA_TEST_DATABASE_URL:?CAPA_TEST_DATABASE_URL is not set}"

say() { printf '[walkthrough] %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

work=$(mktemp -d /tmp/capa-readme.XXXXXX)
db="capa_readme_$$"
pid=''
cleanup() {
    [[ -z $pid ]] || kill "$pid" 2>/dev/null || true
    [[ -z $pid ]] || wait "$pid" 2>/dev/null || true
    psql "$CAPA_TEST_DATABASE_URL" -qtAX -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

psql "$CAPA_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qtAX -c "CREATE DATABASE $db" >/dev/null
# the same server, the new database: a URL of the form postgresql:///postgres?...
url=$(printf '%s' "$CAPA_TEST_DATABASE_URL" | sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\1$db#")
export CAPA_DATABASE_URL=$url
unset CAPA_KAFKA_BROKERS
"$capad" migrate 2>"$work/migrate.log" || fail "migrate: $(cat "$work/migrate.log")"

# as ./deploy/run.sh does on its first run
mkdir -m 700 "$work/.capa-local"
"$capad" apikey create --name local-dev --role viewer,reporter,contributor,admin \
    >"$work/.capa-local/dev.key" 2>>"$work/capad.log"
"$capad" apikey create --name local-approver --role approver \
    >"$work/.capa-local/approver.key" 2>>"$work/capad.log"
[[ $(wc -l <"$work/.capa-local/dev.key") == 1 ]] || fail "apikey create printed more than the key"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CAPA_HTTP_PORT=$port CAPA_RATE_LIMIT_RPS=0 "$capad" serve 2>>"$work/capad.log" &
pid=$!
for _ in $(seq 100); do
    curl -sf "http://localhost:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://localhost:$port/healthz" >/dev/null || fail "capad did not start: $(tail -5 "$work/capad.log")"

# block <heading>: the first ```sh block after the heading, the port replaced
block() {
    awk -v heading="$1" '
        $0 == heading { found = 1; next }
        found && /^```sh$/ { inside = 1; next }
        inside && /^```$/ { exit }
        inside { print }' "$readme" | sed "s#http://localhost:8080#http://localhost:$port#g"
}

run() {
    local name=$1 script
    script=$(block "$2")
    [[ -n $script ]] || fail "no sh block after \"$2\" in $readme"
    say "running \"$2\""
    (cd "$work" && bash -euo pipefail -c "$script") >"$work/$name.out" 2>"$work/$name.err" ||
        fail "$name exited $?: $(tail -5 "$work/$name.err")"
}

run using "## Using it"
grep -q '"status":"rejected"' "$work/using.out" || fail "the case was not rejected: $(cat "$work/using.out")"
grep -q '"valid":true' "$work/using.out" || fail "its history does not verify"

run walk "## Walking a nonconformity through clause 10.2"
out="$work/walk.out"
grep -q '^cannot move from reported to contained: unmet guard has_correction$' "$out" ||
    fail "the first move was not refused by has_correction"
grep -q '^an approval of step closure is given while the case is verifying; it is actions_in_progress$' "$out" ||
    fail "the early closure approval was not refused"
# the case as jq pretty-printed it: the lines from "{" to "}" alone
readiness=$(sed -n '/^{$/,/^}$/p' "$out" | jq -s 'map(select(.readiness)) | .[0]')
[[ $(printf '%s' "$readiness" | jq -r .status) == closed ]] || fail "the case is not closed: $readiness"
[[ $(printf '%s' "$readiness" | jq -r .readiness.complete) == true ]] || fail "readiness is not complete"
[[ $(printf '%s' "$readiness" | jq -r .cycle) == 1 ]] || fail "the case is not in cycle 1"
grep -q '"valid":true' "$out" || fail "the history does not verify"
events=$(grep -cE '^[0-9]+ capa\.' "$out" || true)
[[ $events -ge 17 ]] || fail "the history has $events rows"
say "OK: both blocks ran as written; $events history rows, readiness complete, chain valid"
