#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Resolves every venv's human-edited top-level pins (<name>.in) into its lock (<name>.txt beside
# it): every transitive package at one version, with the sha256 of every file PyPI serves for it,
# which `pip install --require-hashes --no-deps` then installs byte for byte (see the Makefile).
#
#   scripts/lock.sh UV             keep the locked versions of transitive packages where the .in
#                                  still allows them (a changed .in moves only what it must)
#   scripts/lock.sh UV --upgrade   every transitive package to the newest its .in allows
#
# Each lock starts with the sha256 of its .in: tests/unit/test_locks.py fails when an .in changed
# and its lock was not made again.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${1:?usage: scripts/lock.sh PATH-TO-UV [--upgrade]}; shift
upgrade=()
[ "${1:-}" = --upgrade ] && upgrade=(--upgrade)

# <.in file>:<the Python minor version its venv runs on> (the Makefile picks the same ones).
LOCKS=(
  tests/requirements.in:3.13
  tests/matrix/ansible-core-2.15.in:3.11
  tests/matrix/ansible-core-2.19.in:3.11
  tests/oci/requirements.in:3.11
  tests/importer/requirements.in:3.13
  bench/seed/requirements.in:3.13
  tests/schemathesis/requirements.in:3.13
  packaging/python/requirements.in:3.13
)

out=
trap 'rm -f "$out.new" "$out.tmp"' EXIT
for entry in "${LOCKS[@]}"; do
  in=${entry%%:*} py=${entry##*:} out=${in%.in}.txt
  [ -f "$in" ] || { echo "lock.sh: $in is listed but missing" >&2; exit 1; }
  # The venvs are built on x86_64 Linux (CI and the developers' machines): markers are resolved
  # for that platform, and the hashes cover every wheel and sdist of each pinned version.
  # uv takes the pins of an existing output file as preferences: copy the current lock there.
  if [ -f "$out" ]; then cp "$out" "$out.new"; else rm -f "$out.new"; fi
  # --no-config: a uv.toml or pyproject.toml found around the checkout must not change the
  # resolution (an index mirror given by UV_INDEX_URL serves the same files, so the same hashes).
  "$uv" pip compile --quiet --no-config "${upgrade[@]}" --generate-hashes --no-annotate \
    --python-version "$py" --python-platform x86_64-unknown-linux-gnu \
    --custom-compile-command "make lock" -o "$out.new" "$in" </dev/null
  { echo "# input sha256: $(sha256sum "$in" | cut -d' ' -f1) ($in, Python $py)"; cat "$out.new"; } > "$out.tmp"
  rm -f "$out.new"
  # An unchanged lock keeps its mtime, so make does not rebuild a venv for nothing.
  if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; state=unchanged; else mv "$out.tmp" "$out"; state=written; fi
  echo "$in -> $out: $state ($(grep -c '^[A-Za-z0-9]' "$out") packages, Python $py)"
done
