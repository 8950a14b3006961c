#!/usr/bin/env bash
# deploy/run.sh - build capa and run it on the embedded default:
#   * a local PostgreSQL 15 cluster under <repo>/.capa-local/ (pgdata/,
#     postgres.log, and the socket directory run/ - or /tmp/capa-<hash> when
#     the checkout path is too long for a unix socket, see
#     capa_local_socket_dir in deploy/lib.sh), created on the first run and
#     reused, data kept, on later runs; it keeps running after capad exits;
#   * librdkafka's in-process mock Kafka cluster (CAPA_KAFKA_BROKERS=mock):
#     capad logs its bootstrap address, and kcat can consume the events live.
#
# Every request needs an API key. On the local cluster, the first run creates
# two development keys and keeps them in .capa-local/ (mode 600):
# dev.key (viewer, reporter, contributor, admin) and approver.key (approver;
# segregation of duties wants approvals from another principal).
#
#   ./deploy/run.sh                       build, migrate, serve
#   ./deploy/run.sh apikey create ...     any other capad command, on the
#                                         same database (e.g. API keys)
#
# CAPA_* variables already set in the environment win. In particular, with
# CAPA_DATABASE_URL set no local cluster is started and that database is used.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

# Everything the set-up prints (packages, the build, the cluster, migrations)
# goes to stderr: stdout is the capad command's own, so that
#   KEY=$(./deploy/run.sh apikey create --name x --role viewer)
# holds the key and nothing else. fd 3 keeps the real stdout.
exec 3>&1 1>&2

# shellcheck disable=SC2119  # no extra packages: the base list only
capa_install_deps
capa_build build

if [[ -z ${CAPA_DATABASE_URL:-} ]]; then
    local_dir="$CAPA_REPO_ROOT/.capa-local"
    sock=$(capa_local_socket_dir)
    # the server outlives this script: it must not hold fd 3, or a caller's
    # $(./deploy/run.sh ...) would wait for it forever
    capa_pg_start "$local_dir/pgdata" "$sock" "$local_dir/postgres.log" 3>&-

    admin_url=$(capa_pg_url "$sock" postgres)
    exists=$("$CAPA_PG_BIN/psql" "$admin_url" -v ON_ERROR_STOP=1 -qtAX \
        -c "SELECT 1 FROM pg_database WHERE datname = 'capa'")
    if [[ $exists != 1 ]]; then
        capa_log "postgres: creating database capa"
        "$CAPA_PG_BIN/psql" "$admin_url" -v ON_ERROR_STOP=1 -qX -c 'CREATE DATABASE capa'
    fi
    CAPA_DATABASE_URL=$(capa_pg_url "$sock" capa)
    as_owner=''
    [[ $EUID -ne 0 ]] || as_owner='runuser -u postgres -- '
    capa_log "postgres: stop it with: $as_owner$CAPA_PG_BIN/pg_ctl -D $local_dir/pgdata stop"
fi
export CAPA_DATABASE_URL
export CAPA_KAFKA_BROKERS=${CAPA_KAFKA_BROKERS:-mock}

capa_log "migrating $CAPA_DATABASE_URL"
build/capad migrate
if [[ $# -gt 0 ]]; then
    exec build/capad "$@" 1>&3 3>&-
fi

# development keys for the local cluster, created once
if [[ -n ${local_dir:-} && ! -s $local_dir/dev.key ]]; then
    (
        umask 077
        build/capad apikey create --name local-dev \
            --role viewer,reporter,contributor,admin >"$local_dir/dev.key"
        build/capad apikey create --name local-approver --role approver >"$local_dir/approver.key"
    ) 2>/dev/null
    capa_log "created development API keys in $local_dir/dev.key and approver.key"
fi

port=${CAPA_HTTP_PORT:-8080}
keys=${local_dir:-<your key directory>}
exec 1>&3 3>&-
cat <<EOF

capa is starting on http://localhost:$port  (Ctrl-C stops it)

Every request needs an API key (the approver key signs cases off):
  KEY=\$(cat $keys/dev.key) APPROVER=\$(cat $keys/approver.key)

Watch the events: capad logs the development Kafka address ("kcat -C -b ... -t
capa.case-events") as it starts; or read them over HTTP:
  curl -sS -H "Authorization: Bearer \$KEY" http://localhost:$port/v1/events

Create a case:
  curl -sS -X POST http://localhost:$port/v1/cases -H "Authorization: Bearer \$KEY" -H 'Content-Type: application/json' -d '{"kind":"nonconformity","title":"Firewall rule review overdue","source":"internal_audit","severity":"minor","detected_at":"2026-11-20T10:00:00Z","reported_by":"isms.manager@example.com"}'

EOF
exec build/capad serve
