#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# The checks a user, Galaxy and Automation Hub run on the released tarball, run on the one
# `make collection` built and on its installed copy. The git tree has no binaries/, so
# `make test-sanity` and `make test-lint` never see what only the tarball holds.
#   layout           tests/e2e/test_package.py: what the tarball holds, and no binary file where
#                    ansible-test reads Python
#   ansible-test     every sanity test, on a copy of the installed collection (tests/ansible-test.sh --from)
#   galaxy-importer  the importer Galaxy and Automation Hub run on an upload, with every check it
#                    can run without containers (tests/importer/galaxy-importer.cfg), in .venv-importer
#   ansible-lint     profile production, on a copy of the installed collection
# Each check runs even when one before it failed. The summary gives each one's result and time;
# the script fails when any check failed. Logs: tests/.work/tarball/<check>.log.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version: *//p' "$repo/galaxy.yml")
tarball=$repo/.collections/dist/rstyczynski-ansible-$version.tar.gz
installed=$repo/.collections/ansible_collections/rstyczynski/ansible
venv=$repo/.venv
importer=$repo/.venv-importer
work=$repo/tests/.work/tarball

if [ ! -f "$tarball" ] || [ ! -d "$installed" ]; then
  echo "tarball-checks: no $tarball installed in .collections: run make collection" >&2
  exit 2
fi
if [ ! -x "$importer/bin/python" ]; then
  echo "tarball-checks: no $importer: run make importer-venv" >&2
  exit 2
fi
rm -rf "$work" && mkdir -p "$work"

layout() {
  cd "$repo"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/e2e/test_package.py
}
layout_note() { tail -n 1 "$1"; }

ansible_test() {
  "$repo/tests/ansible-test.sh" --from "$installed" sanity
}
ansible_test_note() {
  printf '%s sanity tests, ansible-core %s, Python %s' "$(grep -c '^Running sanity test' "$1")" \
    "$("$venv/bin/python" -c 'import ansible.release; print(ansible.release.__version__)')" \
    "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
}

# What the importer may say and still pass: the one warning it gives for any sanity ignore file.
# Ours has one line per module documentation file and one for the callback, all
# validate-modules:missing-gplv3-license (docs/design.md, "Binaries outside plugins/modules").
IMPORTER_ACCEPTED='^WARNING: Ignore files skip ansible-test sanity tests, found ignore-[0-9.]+\.txt with [0-9]+ statement\(s\)$'
galaxy_importer() {
  mkdir -p "$work/importer/tmp"
  # It writes importer_result.json into the working directory.
  cd "$work/importer"
  # Its own ansible-doc, ansible-lint and flake8 come first on PATH; ANSIBLE_COLLECTIONS_PATH
  # it sets itself, to the tarball it unpacked.
  env -u ANSIBLE_COLLECTIONS_PATH PATH="$importer/bin:$PATH" \
    GALAXY_IMPORTER_CONFIG="$repo/tests/importer/galaxy-importer.cfg" \
    GALAXY_IMPORTER_TMP_ROOT_DIR="$work/importer/tmp" \
    GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$work/importer/ansible-tmp" \
    "$importer/bin/python" -m galaxy_importer.main "$tarball" > output.txt 2>&1 || { cat output.txt; return 1; }
  cat output.txt
  # It exits 0 whatever ansible-lint, flake8 or ansible-doc found: it logs their findings as
  # warnings and errors, and those are what Galaxy shows the users of the collection.
  if grep -E '^(WARNING|ERROR|CRITICAL): ' output.txt | grep -vqE "$IMPORTER_ACCEPTED"; then
    echo "galaxy-importer found problems:"
    grep -E '^(WARNING|ERROR|CRITICAL): ' output.txt | grep -vE "$IMPORTER_ACCEPTED"
    return 1
  fi
  # Galaxy renders a page for each module and plugin from what the importer read with ansible-doc.
  "$venv/bin/python" - importer_result.json <<'PY'
import collections
import json
import sys

# Content ansible-doc has no page for: action plugins document their module, roles have no
# doc_strings in the importer's result.
NO_PAGE = {'action', 'doc_fragments', 'module_utils', 'role'}
contents = json.load(open(sys.argv[1], encoding='utf-8'))['docs_blob']['contents']
pages = [c for c in contents if c['content_type'] not in NO_PAGE]
undocumented = ['%s %s' % (c['content_type'], c['content_name']) for c in pages if not c.get('doc_strings')]
if not any(c['content_type'] == 'module' for c in pages) or undocumented:
    sys.exit('galaxy-importer read no documentation for: %s' % (', '.join(undocumented) or 'any module'))
kinds = collections.Counter(c['content_type'] for c in contents)
print('importer found: ' + ', '.join('%d %s' % (n, k) for k, n in sorted(kinds.items())))
PY
}
galaxy_importer_note() {
  local problems
  problems=$(sed -n '/^galaxy-importer found problems:$/,$p' "$1" | grep -cE '^(WARNING|ERROR|CRITICAL): ' || true)
  if [ "$problems" -gt 0 ]; then
    printf '%s; %s warning or error lines' "$(sed -n 's/^Importing with //p' "$1")" "$problems"
  else
    printf '%s; %s; accepted: the sanity ignore-file warning' \
      "$(sed -n 's/^Importing with //p' "$1")" "$(sed -n 's/^importer found: //p' "$1")"
  fi
}

ansible_lint() {
  local root=$work/lint
  local dest=$root/ansible_collections/rstyczynski/ansible
  mkdir -p "$dest"
  cp -a "$installed/." "$dest/"
  # ansible-lint looks for .ansible-lint from the working directory up to the first one with a
  # .git: without a repository of its own, the copy would be linted under this checkout's config.
  cd "$dest"
  git init -q
  # Offline: no requirements to install, and no schema refresh from the network.
  env ANSIBLE_COLLECTIONS_PATH="$root" "$venv/bin/ansible-lint" --profile production --offline --nocolor
}
ansible_lint_note() { grep -E '^(Passed|Failed)' "$1" | tail -n 1; }

names=() results=() seconds=()
run() {  # <check>: runs the function of that name, its output in <check>.log
  local name=$1 log=$work/$1.log start=$SECONDS rc
  echo "tarball-checks: $name ..."
  set +e
  (set -e; "${name//-/_}") > "$log" 2>&1
  rc=$?
  set -e
  names+=("$name") seconds+=($((SECONDS - start)))
  if [ "$rc" = 0 ]; then results+=(ok); else results+=(FAILED); fi
}

for check in layout ansible-test galaxy-importer ansible-lint; do
  run "$check"
done

failed=0
for i in "${!names[@]}"; do
  [ "${results[$i]}" = ok ] && continue
  failed=$((failed + 1))
  echo
  echo "=== ${names[$i]} FAILED; the end of tests/.work/tarball/${names[$i]}.log:"
  grep -vE '^(Collecting|  Downloading|  Using cached|Requirement already|Installing collected|Successfully installed|     )' \
    "$work/${names[$i]}.log" | tail -n 60
done
echo
echo "tarball checks on $(basename "$tarball"):"
for i in "${!names[@]}"; do
  name=${names[$i]}
  note=$("${name//-/_}_note" "$work/$name.log" 2>/dev/null || true)
  printf '  %-7s %-16s %4ss  %s\n' "${results[$i]}" "$name" "${seconds[$i]}" "$note"
done
echo "tarball: $(( ${#names[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
