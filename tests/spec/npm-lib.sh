# npm-lib.sh - sourced by the spec checks: node from Debian and pinned npm
# packages in a git-ignored prefix under .cache/npm.
#
#   npm_tools LOG NODE_MIN PREFIX PACKAGE@VERSION...
#
# Installs nodejs and npm with apt-get when missing (needs root; Debian 12
# ships node 18.20 and npm 9.2), fails when node is older than NODE_MIN, and
# installs the packages into PREFIX unless every one is there at exactly its
# pinned version. Prints what it does on stderr, prefixed with LOG.
# --ignore-scripts: none of our tools needs an install script. npm 9.2 warns
# EBADENGINE about packages that ask for a newer npm or node; it is not used at
# run time.

npm_tools() {
    local log=$1 node_min=$2 prefix=$3
    shift 3
    local missing=()
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    if ((${#missing[@]})); then
        if [[ $(id -u) -ne 0 ]]; then
            printf '%s: missing %s; run as root to install them with apt-get\n' "$log" "${missing[*]}" >&2
            return 1
        fi
        printf '%s: installing %s with apt-get\n' "$log" "${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    fi
    local version
    version="$(node --version)"
    version="${version#v}"
    if [[ "$(printf '%s\n%s\n' "$node_min" "$version" | sort -V | head -n 1)" != "$node_min" ]]; then
        printf '%s: node %s is too old: these tools need >= %s\n' "$log" "$version" "$node_min" >&2
        return 1
    fi
    local spec name want have stale=0
    for spec in "$@"; do
        name="${spec%@*}"
        want="${spec##*@}"
        have=""
        if [[ -f "$prefix/node_modules/$name/package.json" ]]; then
            have="$(node -p 'require(process.argv[1]).version' "$prefix/node_modules/$name/package.json")"
        fi
        [[ "$have" == "$want" ]] || stale=1
    done
    if ((stale)); then
        printf '%s: installing %s into %s\n' "$log" "$*" "$prefix" >&2
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --save-exact --ignore-scripts --no-audit --no-fund \
            --no-update-notifier "$@"
    fi
}
