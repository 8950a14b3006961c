#!/usr/bin/env bash
# lint-openapi.sh - lint openapi.yaml with Redocly CLI.
#
# Runs `redocly lint` on openapi.yaml with tests/spec/redocly.yaml (the
# recommended ruleset) and exits non-zero on any error, warning or ignored
# problem. Installs what it needs when missing:
#   - node and npm from Debian (apt-get; needs root). Debian 12 ships
#     nodejs 18.20 and npm 9.2, which is enough;
#   - @redocly/cli, pinned below, into .cache/npm at the repository root
#     (git-ignored), reinstalled only when the pinned version changes.
#
# Usage: tests/spec/lint-openapi.sh   (from any directory)
set -euo pipefail

# 1.34.x is the newest line that still runs on Node 18 (engines: node
# >=18.17.0); 2.x needs Node >= 20.19. 1.34.20 is the newest 1.x whose
# dependencies are all published (1.34.21 requests a @redocly/respect-core
# that the registry does not have). Checked with `redocly lint` on Debian 12's
# node 18.20.4 with npm 9.2.0, and on node 20.
# NODE_MIN is 18.19.0, not 18.17.0: its OpenTelemetry dependencies ask for
# ^18.19.0 || >=20.6.0. (jsep, used only by `redocly respect`, declares
# >= 20.16.0; npm warns EBADENGINE about it on Node 18, and lint is unaffected.)
REDOCLY_VERSION=1.34.20
NODE_MIN=18.19.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="$root/.cache/npm"
redocly="$prefix/node_modules/.bin/redocly"
config="tests/spec/redocly.yaml"
spec="openapi.yaml"

log() { printf 'lint-openapi: %s\n' "$*" >&2; }

# Node and npm.
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        log "missing ${missing[*]}; run as root to install them with apt-get"
        exit 1
    fi
    log "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

node_version="$(node --version)"
node_version="${node_version#v}"
if [[ "$(printf '%s\n%s\n' "$NODE_MIN" "$node_version" | sort -V | head -n 1)" != "$NODE_MIN" ]]; then
    log "node $node_version is too old: @redocly/cli $REDOCLY_VERSION needs >= $NODE_MIN"
    exit 1
fi

# Redocly CLI, pinned.
installed=""
if [[ -f "$prefix/node_modules/@redocly/cli/package.json" ]]; then
    installed="$(node -p 'require(process.argv[1]).version' \
        "$prefix/node_modules/@redocly/cli/package.json")"
fi
if [[ "$installed" != "$REDOCLY_VERSION" || ! -x "$redocly" ]]; then
    log "installing @redocly/cli@$REDOCLY_VERSION into .cache/npm"
    mkdir -p "$prefix"
    # --ignore-scripts: the CLI needs no install scripts (the one in its tree
    # only prints an advertisement). npm 9.2 from Debian warns EBADENGINE
    # because some packages ask for a newer npm; npm is not used at run time.
    npm install --prefix "$prefix" --save-exact --ignore-scripts --no-audit --no-fund \
        --no-update-notifier "@redocly/cli@$REDOCLY_VERSION"
fi

# Lint.
cd "$root"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

# Human-readable report first; its exit status covers errors only.
status=0
"$redocly" lint "$spec" --config "$config" --lint-config error --format codeframe --max-problems 1000 || status=$?

# Redocly exits 0 on warnings, so count every problem from the JSON report.
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
"$redocly" lint "$spec" --config "$config" --lint-config error --format json --max-problems 1000 \
    >"$report" 2>/dev/null || true
read -r errors warnings ignored < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const t = r.totals;
    console.log(t.errors, t.warnings, t.ignored);
' "$report") || {
    log "could not read the JSON lint report"
    exit 1
}

log "redocly $REDOCLY_VERSION on node $node_version: $errors errors, $warnings warnings, $ignored ignored"
if ((status != 0 || errors + warnings + ignored > 0)); then
    log "FAIL"
    exit 1
fi
log "OK"
