#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Prints the path of a CPython interpreter of the given minor version (e.g. 3.13), or fails with how
# to get one. The test matrix needs several: ansible-core 2.21 runs only on Python >= 3.12, and
# 2.15 only on Python <= 3.11.
set -euo pipefail
want=${1:?usage: python-for.sh 3.13}
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  # Newest patch release first.
  while IFS= read -r p; do candidates+=("$p"); done < <(printf '%s\n' "$root"/versions/"$want".*/bin/python | sort -rV)
fi
for name in "python$want" python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
for p in "${candidates[@]}"; do
  if [ -x "$p" ] && [ "$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$want" ]; then
    echo "$p"
    exit 0
  fi
done
cat >&2 <<MSG
python-for.sh: no Python $want found (looked in pyenv's versions and for python$want on PATH).
The test matrix needs it. Install it with one of:
  pyenv install $want          (then re-run make)
  apt-get install python$want python$want-venv   (where Debian ships it)
MSG
exit 1
