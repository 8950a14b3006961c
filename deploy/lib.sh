# shellcheck shell=bash
# deploy/lib.sh - shared functions for deploy/run.sh and deploy/test.sh.
#
# Source it, do not execute it:   . deploy/lib.sh
#
# Every function returns non-zero on failure rather than exiting, and checks
# its own steps explicitly: callers may run them under `if` or `||`, where
# bash switches `set -e` off inside the function.
#
# Functions:
#   capa_install_deps [pkg...]           install missing Debian packages
#   capa_build <builddir> [-DOPT=...]    configure and build with CMake
#   capa_local_socket_dir                short socket dir for the local cluster
#   capa_pg_start <datadir> <socketdir> <logfile> [name=value...]
#   capa_pg_stop <datadir> [mode]        stop a cluster if it runs
#   capa_pg_url <socketdir> <dbname>     libpq URL for that socket

# Repository root: the parent of the directory holding this file.
CAPA_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# PostgreSQL 15 server binaries (not on PATH on Debian).
CAPA_PG_BIN=${CAPA_PG_BIN:-/usr/lib/postgresql/15/bin}

CAPA_BASE_PACKAGES=(
    build-essential cmake pkg-config
    libulfius-dev libjansson-dev libmicrohttpd-dev libgnutls28-dev
    libpq-dev libcmocka-dev libcurl4-gnutls-dev librdkafka-dev librhonabwy-dev
    postgresql-15 postgresql-client-15
    curl ca-certificates kcat jq python3 python3-yaml prometheus
    # the fuzz stage of deploy/test.sh: clang, its libFuzzer and sanitizer
    # runtimes, and llvm-symbolizer for readable reports
    clang libclang-rt-14-dev llvm-14
)

capa_log() { printf '[capa] %s\n' "$*" >&2; }

# Run a command as root: directly when root, through sudo otherwise.
_capa_as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        capa_log "need root to run: $* (sudo is not installed)"
        return 1
    fi
}

# Run a command as the cluster owner: user postgres when root (initdb and
# postgres refuse to run as root), the current user otherwise. Runs from /
# (the caller's directory may be closed to postgres), so paths are absolute.
_capa_as_pg() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Print a path made absolute against the current directory.
_capa_abspath() {
    if [[ $1 == /* ]]; then
        printf '%s' "$1"
    else
        printf '%s/%s' "$PWD" "$1"
    fi
}

# Quote one word for /bin/sh (pg_ctl -o hands its string to a shell).
_capa_shquote() {
    local s=$1 q="'\\''"
    printf "'%s'" "${s//\'/$q}"
}

# Percent-encode a string for a URL: unreserved characters pass, and so do
# the characters in the optional second argument.
_capa_urlencode() {
    local s=$1 keep=${2:-} out='' c i
    local LC_ALL=C
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        if [[ $c == [A-Za-z0-9._~-] || ( -n $keep && $keep == *"$c"* ) ]]; then
            out+=$c
        else
            out+=$(printf '%%%02X' "'$c")
        fi
    done
    printf '%s' "$out"
}

# capa_install_deps [extra packages...]
# Installs the base packages plus any given ones that dpkg does not list as
# installed. Runs `apt-get update` once, and only when something is missing.
capa_install_deps() {
    local pkgs=("${CAPA_BASE_PACKAGES[@]}" "$@") missing=() p
    for p in "${pkgs[@]}"; do
        if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
            missing+=("$p")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        capa_log "dependencies: all ${#pkgs[@]} packages present"
        return 0
    fi
    capa_log "dependencies: installing ${missing[*]}"
    _capa_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get update -qq || return 1
    _capa_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 \
        "${missing[@]}" >/dev/null || return 1
}

# capa_build <builddir> [cmake -D options...]
# Configures the repository into <builddir> (RelWithDebInfo; later options
# win) and builds every target with one job per CPU.
capa_build() {
    local builddir=${1:?capa_build: builddir required}
    shift
    cmake -S "$CAPA_REPO_ROOT" -B "$builddir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" || return 1
    cmake --build "$builddir" -j"$(nproc)" || return 1
}

# capa_local_socket_dir
# Prints the socket directory for the local (deploy/run.sh) cluster.
#
# A unix socket path is limited to 107 bytes (sun_path is 108 with the NUL),
# and PostgreSQL appends "/.s.PGSQL.<port>" (up to 15 bytes) to the directory.
# So <repo>/.capa-local/run is used only when it is at most 90 bytes long;
# otherwise a short directory /tmp/capa-<12 hex of sha256(repo path)> is used,
# stable for a given checkout so a second run finds the same cluster.
capa_local_socket_dir() {
    local dir="$CAPA_REPO_ROOT/.capa-local/run" hash
    if [[ ${#dir} -le 90 ]]; then
        printf '%s\n' "$dir"
    else
        hash=$(printf '%s' "$CAPA_REPO_ROOT" | sha256sum | cut -c1-12)
        printf '/tmp/capa-%s\n' "$hash"
    fi
}

_capa_pg_running() {
    [[ -f $1/PG_VERSION ]] && _capa_as_pg "$CAPA_PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# Creates a directory for the cluster owner (postgres when root, else the
# current user) with the given mode. An existing directory must already
# belong to that owner or to the current user: a predictable name under /tmp
# could have been planted by someone else, and is refused.
_capa_pg_dir() {
    local dir=$1 mode=$2 me owner want
    me=$(id -un) || return 1
    want=$me
    [[ $EUID -ne 0 ]] || want=postgres
    if [[ -e $dir || -L $dir ]]; then
        if [[ ! -d $dir || -L $dir ]]; then
            capa_log "$dir exists and is not a directory"
            return 1
        fi
        owner=$(stat -c %U -- "$dir") || return 1
        if [[ $owner != "$want" && $owner != "$me" ]]; then
            capa_log "$dir belongs to $owner, expected $want: refusing to use it"
            return 1
        fi
    else
        mkdir -p -- "$dir" || return 1
    fi
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres -- "$dir" || return 1
    fi
    chmod "$mode" -- "$dir" || return 1
}

# capa_pg_start <datadir> <socketdir> <logfile> [extra postgres -c options...]
# Creates the cluster in <datadir> with initdb if it has none (trust auth,
# superuser postgres, UTF8, C.UTF-8), then starts it if it is not running,
# listening only on a unix socket in <socketdir>, logging to <logfile>.
# Extra arguments are name=value settings, each passed as -c name=value.
# A running cluster is left alone (its settings are not changed). When root,
# the server runs as user postgres, which owns <datadir>, <socketdir> and
# <logfile>; every parent directory must be traversable by postgres.
# Relative paths are taken from the current directory.
# On failure prints the tail of <logfile> and returns 1.
capa_pg_start() {
    local datadir sockdir logfile
    datadir=$(_capa_abspath "${1:?capa_pg_start: datadir required}")
    sockdir=$(_capa_abspath "${2:?capa_pg_start: socketdir required}")
    logfile=$(_capa_abspath "${3:?capa_pg_start: logfile required}")
    shift 3
    local opts opt path

    if [[ $(( ${#sockdir} + 15 )) -gt 107 ]]; then
        capa_log "socket directory path too long for a unix socket: $sockdir"
        return 1
    fi
    _capa_pg_dir "$datadir" 0700 || return 1
    _capa_pg_dir "$sockdir" 0755 || return 1
    mkdir -p -- "$(dirname -- "$logfile")" || return 1
    touch -- "$logfile" || return 1
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres -- "$logfile" || return 1
    fi
    for path in "$datadir" "$sockdir" "$logfile"; do
        if ! _capa_as_pg test -w "$path"; then
            capa_log "the cluster owner cannot write $path:" \
                "is every parent directory traversable by it?"
            return 1
        fi
    done

    if [[ ! -f $datadir/PG_VERSION ]]; then
        capa_log "postgres: initdb $datadir"
        if ! _capa_as_pg "$CAPA_PG_BIN/initdb" -D "$datadir" --auth=trust -U postgres \
            --encoding=UTF8 --locale=C.UTF-8 >>"$logfile" 2>&1; then
            capa_log "initdb failed; last lines of $logfile:"
            tail -n 40 -- "$logfile" >&2
            return 1
        fi
    fi

    if _capa_pg_running "$datadir"; then
        capa_log "postgres: already running on $datadir"
        return 0
    fi

    opts="-k $(_capa_shquote "$sockdir") -c listen_addresses=''"
    for opt in "$@"; do
        opts+=" -c $(_capa_shquote "$opt")"
    done
    capa_log "postgres: starting $datadir (socket $sockdir, log $logfile)"
    if ! _capa_as_pg "$CAPA_PG_BIN/pg_ctl" -D "$datadir" -w -l "$logfile" -o "$opts" \
        start >/dev/null; then
        capa_log "postgres failed to start; last lines of $logfile:"
        tail -n 40 -- "$logfile" >&2
        return 1
    fi
}

# capa_pg_stop <datadir> [mode]
# Stops the cluster in <datadir> (pg_ctl -m fast, or the given mode) if it
# runs; succeeds when there is nothing to stop.
capa_pg_stop() {
    local datadir mode=${2:-fast}
    datadir=$(_capa_abspath "${1:?capa_pg_stop: datadir required}")
    _capa_pg_running "$datadir" || return 0
    capa_log "postgres: stopping $datadir"
    _capa_as_pg "$CAPA_PG_BIN/pg_ctl" -D "$datadir" -m "$mode" -w stop >/dev/null
}

# capa_pg_url <socketdir> <dbname>
# Prints postgresql:///<dbname>?host=<socketdir>&user=postgres, <socketdir>
# made absolute (libpq takes only an absolute path for a socket), both parts
# percent-encoded where needed (plain paths and names print as they are).
capa_pg_url() {
    local sockdir dbname=${2:?capa_pg_url: dbname required}
    sockdir=$(_capa_abspath "${1:?capa_pg_url: socketdir required}")
    printf 'postgresql:///%s?host=%s&user=postgres\n' \
        "$(_capa_urlencode "$dbname")" "$(_capa_urlencode "$sockdir" /)"
}
