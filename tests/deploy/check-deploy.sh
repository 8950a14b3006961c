#!/usr/bin/env bash
# tests/deploy/check-deploy.sh CAPAD [ROOT] - structural check of the deployment files.
#
# No Docker engine or cluster needed: check_deploy.py parses deploy/Dockerfile,
# docker-compose.yml, deploy/lb/nginx.conf and deploy/k8s/ (YAML with
# python3-yaml) and compares them with what CAPAD (the built capad) reads: its
# configuration table and its verdict on every value the files set.
# Then selftest_deploy.py breaks copies of those files in a temporary
# directory, one way at a time, and makes sure the check catches each.
# ROOT defaults to this repository. Exit 0 only if both pass.
# ctest runs it as deploy_files (tests/CMakeLists.txt).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
if [[ $# -lt 1 || ! -x $1 ]]; then
    echo "usage: check-deploy.sh CAPAD [ROOT]: CAPAD is the built capad (build/capad)" >&2
    exit 2
fi
capad=$1
root=${2:-$(cd "$here/../.." && pwd -P)}

# The first Python 3 with the YAML module: the one on PATH (which may be a
# pyenv or virtualenv one), else Debian's, where python3-yaml installs it.
python=''
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [[ -z $python ]]; then
    echo "check-deploy: no python3 with the YAML module (apt-get install python3 python3-yaml;" \
         "deploy/lib.sh installs them)" >&2
    exit 1
fi

echo "== check of $root"
"$python" "$here/check_deploy.py" "$root" "$capad"
echo "== self-test: the check must catch broken copies"
"$python" "$here/selftest_deploy.py" "$root" "$capad"
