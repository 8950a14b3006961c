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
# Given SAMPLES_DIR (the *.jsonl files the integration tests write with
# CAPA_HTTP_SAMPLES_DIR set), also checks every response recorded there against
# openapi.yaml: tests/spec/openapi-responses.mjs.
#
# Usage: tests/spec/lint-openapi.sh [SAMPLES_DIR]   (from any directory)
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
# The responses check (openapi-responses.mjs) compiles the spec's schemas with
# the Ajv that tests/spec/lint-asyncapi.sh pins, for the same dialect (2020-12).
AJV_VERSION=8.20.0
AJV_FORMATS_VERSION=3.0.1
JS_YAML_VERSION=4.3.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="$root/.cache/npm"
redocly="$prefix/node_modules/.bin/redocly"
config="tests/spec/redocly.yaml"
spec="openapi.yaml"

log() { printf 'lint-openapi: %s\n' "$*" >&2; }

if (($# > 1)) || { (($# == 1)) && [[ ! -d "$1" ]]; }; then
    log "usage: tests/spec/lint-openapi.sh [SAMPLES_DIR]"
    exit 2
fi
samples=${1:+$(cd "$1" && pwd)}

# shellcheck source=tests/spec/npm-lib.sh
. "$root/tests/spec/npm-lib.sh"
npm_tools lint-openapi "$NODE_MIN" "$prefix" "@redocly/cli@$REDOCLY_VERSION" \
    "ajv@$AJV_VERSION" "ajv-formats@$AJV_FORMATS_VERSION" "js-yaml@$JS_YAML_VERSION"
node_version="$(node --version)"

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

# Redocly's own bundle of the sources is the document we ship (openapi_bundle.py
# makes it; ctest openapi_bundle checks it is up to date).
bundled="$(mktemp --suffix=.json)"
trap 'rm -f "$report" "$bundled"' EXIT
"$redocly" bundle api/openapi/openapi.yaml --ext json -o "$bundled" >/dev/null 2>&1 || {
    log "FAIL: redocly cannot bundle api/openapi/openapi.yaml"
    exit 1
}
node -e '
    const fs = require("fs"), yaml = require(process.argv[1]);
    const ours = yaml.load(fs.readFileSync("openapi.yaml", "utf8"));
    const theirs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    // the same document, whatever the order of the members
    const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
    const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));
    if (!same(ours, theirs)) {
        console.error("lint-openapi: FAIL openapi.yaml is not what redocly bundles of api/openapi/");
        process.exit(1);
    }
' "$prefix/node_modules/js-yaml" "$bundled"
log "openapi.yaml is redocly's bundle of api/openapi/"

# Every response the integration tests received, against the document.
if [[ -n $samples ]]; then
    node tests/spec/openapi-responses.mjs "$prefix" "$root" "$samples"
fi
