#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# The demo: a named async job survives a playbook re-run and is not started twice.
set -euo pipefail
cd "$(dirname "$0")"
# ansible-core 2.21 imports cryptography's DSA names at every start, and cryptography 51 deprecates
# them: a warning about ansible-core itself, printed before every run below. Hidden in the demo
# only, by its message; the rest of Python's warnings still show.
export PYTHONWARNINGS="ignore:DSA is deprecated:UserWarning${PYTHONWARNINGS:+,$PYTHONWARNINGS}"
play() { ansible-playbook -i inventory.ini "$@"; }

echo "### Clean slate: remove any job left by an earlier demo"
ansible -i inventory.ini demo -m rstyczynski.ansible.async_status_id -a "alias=demo_migration mode=full_cleanup" >/dev/null

echo "### Run 1: nothing is named demo_migration yet, so the job starts"
play named_job.yml

echo "### Run 2: the same playbook again, as after a controller restart"
out=$(play named_job.yml | tee /dev/stderr)
grep -q "NOT starting it again" <<<"$out" || { echo "demo FAILED: the re-run did not find the job" >&2; exit 1; }

echo "### Wait for the job by its name, then clean up"
play wait_job.yml
echo "### Demo done: one job, found again by name, started once."

echo "### The job service: playbooks as jobs over HTTP"
python3 service/demo.py "${JOB_SERVICE_BIN:-../target/service/ansible-job-service}"
