#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Runs ansible-test on a copy of the collection, because ansible-test insists on a path ending in
# ansible_collections/<namespace>/<name>/.
#   tests/ansible-test.sh sanity|integration [args]                   a copy of the git tree
#   tests/ansible-test.sh --from DIR sanity|integration [args]        a copy of DIR, an installed
#                                          collection (tests/tarball-checks.sh: what users install)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
from=
if [ "${1:-}" = --from ]; then
  from=$(cd "${2:?--from needs a directory}" && pwd); shift 2
fi
what=${1:?sanity or integration}; shift
if [ -n "$from" ]; then work=$repo/tests/.work/tarball/ansible-test; else work=$repo/tests/.work/ansible-test; fi
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

rm -rf "$dest" && mkdir -p "$dest"
if [ -n "$from" ]; then
  cp -a "$from/." "$dest/"
else
  # A fresh copy of what git tracks (plus new, not ignored files). Integration also needs binaries/.
  (cd "$repo" && git ls-files -co --exclude-standard | grep -v '^tests/\.work/' | tar -cf - -T -) | tar -xf - -C "$dest"
  if [ "$what" = integration ]; then
    cp -a "$repo/binaries" "$dest/binaries"
  fi
fi
# ansible-test takes its file list from the nearest git repository above the collection: without
# one of its own, the copy would get this checkout's, where tests/.work is ignored, and every test
# would pass on no file. So the copy is made a repository holding exactly its files.
(cd "$dest" && git init -q && git add -A -f && git -c user.name=t -c user.email=t@t commit -qm copy)

cd "$dest"
export PATH=$repo/.venv/bin:$PATH
case "$what" in
  sanity)
    ansible-test sanity --venv --python "$pyver" --color no "$@" ;;
  integration)
    ansible-test integration --local --python "$pyver" --color no "$@" ;;
  *) echo "unknown: $what" >&2; exit 2 ;;
esac
