#!/usr/bin/env bash
# lint-asyncapi.sh - check the event contract: api/asyncapi.yaml and api/events.
#
# Runs tests/spec/asyncapi-validate.mjs, which
#   - parses api/asyncapi.yaml with the official AsyncAPI parser and fails on any
#     diagnostic of severity error or warning (infos, such as "3.1.0 is out",
#     pass and are named in the summary), and checks its message examples;
#   - compiles every JSON Schema in api/events with Ajv (draft 2020-12, strict
#     mode, ajv-formats), and checks that case.schema.json is still the Case of
#     openapi.yaml;
#   - given a directory, validates every file in it: `<type suffix>.<anything>.json`
#     (e.g. case.created.3f2a.json) is event data, checked against
#     api/events/<type suffix>.json; `cloudevent.<anything>.json` is an HTTP feed
#     item, checked against api/events/cloudevent.schema.json. Any other file name
#     is an error, and so is a type (case.created, case.updated,
#     case.transitioned, ...) without a sample.
# and prints a one-line summary. Installs what it needs when missing:
#   - node and npm from Debian (apt-get; needs root). Debian 12 ships
#     nodejs 18.20 and npm 9.2, which is enough;
#   - the packages pinned below, into .cache/npm/asyncapi at the repository root
#     (git-ignored), reinstalled only when a pinned version changes.
#
# Usage: tests/spec/lint-asyncapi.sh [SAMPLES_DIR]   (from any directory)
# (tests/spec/npm-lib.sh installs node and the packages.)
set -euo pipefail

# @asyncapi/parser 3.6.6 is the newest release; it reads AsyncAPI 3.0.0 (and
# 2.x, 3.1.0). Its dependencies ask for node ^18.18 || >= 20.17 (Spectral),
# except jsep 1.6.0 (the expression parser of jsonpath-plus), which declares
# >= 20.16.0 but runs on 18: npm warns EBADENGINE about it on node 18, and the
# parse is unaffected. NODE_MIN is the 18.19.0 the service's other tools need.
# Checked on Debian 12's node 18.20.4 with npm 9.2.0, and on node 20.20.
# ajv 8.20.0 (the newest; the parser asks for ^8.18.0, so they share one copy)
# with ajv-formats 3.0.1 (the newest) compiles the schemas; js-yaml 4.3.2 (the
# version the parser uses) reads openapi.yaml for the Case comparison.
# The parser cannot check JSON Schema 2020-12: asyncapi.yaml refers to the
# schema files as plain (AsyncAPI Schema, a draft-07 superset) payloads, which it
# does check, and Ajv checks them as 2020-12. A payload declared with
# schemaFormat application/schema+json;version=2020-12 is not checked at all.
ASYNCAPI_PARSER_VERSION=3.6.6
AJV_VERSION=8.20.0
AJV_FORMATS_VERSION=3.0.1
JS_YAML_VERSION=4.3.2
NODE_MIN=18.19.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="$root/.cache/npm/asyncapi"
validate="$root/tests/spec/asyncapi-validate.mjs"

log() { printf 'lint-asyncapi: %s\n' "$*" >&2; }

if (($# > 1)); then
    log "usage: tests/spec/lint-asyncapi.sh [SAMPLES_DIR]"
    exit 2
fi
samples=()
if (($# == 1)); then
    if [[ ! -d "$1" ]]; then
        log "$1: not a directory"
        exit 2
    fi
    samples=("$(cd "$1" && pwd)")
fi

# shellcheck source=tests/spec/npm-lib.sh
. "$root/tests/spec/npm-lib.sh"
npm_tools lint-asyncapi "$NODE_MIN" "$prefix" \
    "@asyncapi/parser@$ASYNCAPI_PARSER_VERSION" "ajv@$AJV_VERSION" \
    "ajv-formats@$AJV_FORMATS_VERSION" "js-yaml@$JS_YAML_VERSION"

# Validate. The script prints the problems and the summary, and exits non-zero
# on any problem.
cd "$root"
node "$validate" "$prefix" "$root" "${samples[@]}"
