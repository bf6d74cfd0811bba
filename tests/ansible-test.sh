#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Runs ansible-test on a copy of the collection, because ansible-test insists on a path ending in
# ansible_collections/<namespace>/<name>/.  Usage: tests/ansible-test.sh sanity|integration [args]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
what=${1:?sanity or integration}; shift
work=$repo/tests/.work/ansible-test
dest=$work/ansible_collections/rstyczynski/ansible
py=$repo/.venv/bin/python
# The primary venv's Python (make venv): ansible-test runs its tests on that version.
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test bootstraps pip in its venvs from a get-pip script it downloads from a host this
# network cannot reach. It first looks in its cache: a stand-in there bootstraps pip with
# ensurepip and then installs what was asked, from PyPI.
pip_version=$("$py" -c 'from ansible_test._internal.python_requirements import get_venv_packages as g
class P: version = ""
print(g(P())["pip"])')
stand_in=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -f "$stand_in" ]; then
  mkdir -p "$(dirname "$stand_in")"
  cat > "$stand_in" <<'PY'
import subprocess
import sys
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
fi

# A fresh copy of what git tracks (plus new, not ignored files). Integration also needs binaries/.
rm -rf "$dest" && mkdir -p "$dest"
(cd "$repo" && git ls-files -co --exclude-standard | grep -v '^tests/\.work/' | tar -cf - -T -) | tar -xf - -C "$dest"
if [ "$what" = integration ]; then
  cp -a "$repo/binaries" "$dest/binaries"
fi
# ansible-test reads the git tree when there is one; make the copy one so it sees only these files.
(cd "$dest" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm copy)

cd "$dest"
export PATH=$repo/.venv/bin:$PATH
case "$what" in
  sanity)
    ansible-test sanity --venv --python "$pyver" --color no "$@" ;;
  integration)
    ansible-test integration --local --python "$pyver" --color no "$@" ;;
  *) echo "unknown: $what" >&2; exit 2 ;;
esac
