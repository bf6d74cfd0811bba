#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Installs the Debian packages the tests and benchmarks run for real, when a program is missing.
# Arguments are `program:package` pairs (a program with a / is checked as a path). Without
# arguments: what the job service needs, redis-server (each test starts its own on a free port)
# and iproute2 (network namespaces for workers on "hosts"). Idempotent and fast when all are there.
# A package's own service is kept from starting while it installs (no system sshd on port 22, no
# system redis-server on 6379).
set -euo pipefail
[ $# -gt 0 ] || set -- redis-server:redis-server ip:iproute2
missing=()
for pair in "$@"; do
  program=${pair%%:*} package=${pair#*:}
  if [[ $program == */* ]]; then
    [ -x "$program" ] || missing+=("$package")
  else
    command -v "$program" >/dev/null || missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "packages.sh: ${missing[*]} missing: install them (Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "packages.sh: installing ${missing[*]}"
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
