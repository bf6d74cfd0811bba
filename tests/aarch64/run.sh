#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Runs the aarch64 binaries under qemu-user on real job files and job records: the same protocol
# and the same answers as on x86_64. Every module binary must be there: a missing one fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bins=$repo/binaries/linux-aarch64
"$repo/scripts/build-binaries.sh" --check
if ! command -v qemu-aarch64-static >/dev/null || ! command -v file >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static file >/dev/null
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/async"
cp "$repo/crates/jobs/fixtures/finished_2.19.json" "$work/async/j111.1"
# A module answers with one JSON object on stdout, whatever the input; stderr stays empty (no
# backtrace, no panic message).
run() {
  printf '%s' "$2" > "$work/args"
  qemu-aarch64-static "$bins/$1" "$work/args" 2>"$work/stderr" || true
  if [ -s "$work/stderr" ]; then echo "aarch64 FAILED: $1 wrote to stderr: $(cat "$work/stderr")" >&2; exit 1; fi
}
expect() {  # <what> <json output> <python condition on r>
  if python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert eval(sys.argv[2]), r' "$2" "$3"; then
    echo "aarch64 ok: $1"
  else
    echo "aarch64 FAILED: $1: $2"
    exit 1
  fi
}
for b in "$bins"/*; do
  file "$b" | grep -q "ARM aarch64.*statically linked" || { echo "not a static aarch64 binary: $(file "$b")"; exit 1; }
done
out=$(run async_alias "{\"alias\": \"arm\", \"jid\": \"j111.1\", \"_async_dir\": \"$work/async\"}")
expect "alias created" "$out" 'r["changed"] is True'
out=$(run async_status_id "{\"alias\": \"arm\", \"_async_dir\": \"$work/async\"}")
expect "status by alias" "$out" 'r["finished"] is True and r["stdout"] == "hi" and r["ansible_job_id"] == "j111.1"'
out=$(printf '%s' "{\"alias\": \"arm\", \"_async_dir\": \"$work/async\"}" | qemu-aarch64-static "$bins/async_status_id" - || true)
expect "arguments on stdin" "$out" 'r["finished"] is True and r["ansible_job_id"] == "j111.1"'
out=$(run async_status_id "{\"alias\": \"../x\", \"_async_dir\": \"$work/async\"}")
expect "bad alias fails cleanly" "$out" 'r["failed"] is True and "invalid alias" in r["msg"]'
out=$(run async_kill "{\"alias\": \"arm\", \"_async_dir\": \"$work/async\"}")
expect "kill of a finished job changes nothing" "$out" 'r["changed"] is False and r["finished"] is True'
out=$(run async_task "{\"alias\": \"arm\", \"_mode\": \"claim\", \"_claim_ttl\": 120, \"_token\": \"0123456789abcdef\", \"_async_dir\": \"$work/async\"}")
expect "async_task keeps a finished job" "$out" 'r["action"] == "keep" and r["job"]["stdout"] == "hi"'
out=$(run async_task "{\"alias\": \"fresh\", \"_mode\": \"claim\", \"_claim_ttl\": 120, \"_token\": \"0123456789abcdef\", \"_async_dir\": \"$work/async\"}")
expect "async_task claims a new name" "$out" 'r["action"] == "start"'
out=$(run async_task "{\"alias\": \"fresh\", \"_mode\": \"claim\", \"_claim_ttl\": 120, \"_token\": \"fedcba9876543210\", \"_async_dir\": \"$work/async\"}")
expect "a second run waits for the first" "$out" 'r["action"] == "wait"'
out=$(run async_task "{\"alias\": \"fresh\", \"_mode\": \"release\", \"_claim_ttl\": 120, \"_token\": \"0123456789abcdef\", \"_async_dir\": \"$work/async\"}")
expect "claim released" "$out" 'r["changed"] is False and "released" in r["msg"]'
out=$(run async_status_id "{\"jid\": \"j111.1\", \"mode\": \"full_cleanup\", \"_async_dir\": \"$work/async\"}")
expect "full cleanup" "$out" 'r["changed"] is True and len(r["removed"]) == 2'
# The record modules (ring's C code inside, cross-compiled): save, load, and bad input.
rec=$work/records
out=$(run async_job_save "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j1.1\", \"metadata\": {\"k\": \"v\"}, \"state_dir\": \"$rec\"}")
expect "record saved" "$out" 'r["changed"] is True and r["record"]["ansible_job_id"] == "j1.1"'
[ "$(stat -c %a "$rec/h/p/arm.json")" = 600 ] || { echo "aarch64 FAILED: record mode $(stat -c %a "$rec/h/p/arm.json")"; exit 1; }
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["job_name"] == "arm" and r["metadata"] == {"k": "v"}, r' "$rec/h/p/arm.json"
echo "aarch64 ok: record file is JSON, mode 0600"
out=$(run async_job_save "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j1.1\", \"metadata\": {\"k\": \"v\"}, \"state_dir\": \"$rec\"}")
expect "same record again changes nothing" "$out" 'r["changed"] is False'
out=$(run async_job_load "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"state_dir\": \"$rec\"}")
expect "record loaded" "$out" 'r["found"] is True and r["ansible_job_id"] == "j1.1" and r["metadata"] == {"k": "v"}'
out=$(run async_job_load "{\"job_name\": \"nope\", \"host\": \"h\", \"playbook_name\": \"p\", \"state_dir\": \"$rec\"}")
expect "a missing record is not found" "$out" 'r["found"] is False and r["ansible_job_id"] == ""'
before=$(find "$work" | sort)
out=$(run async_job_save "{\"job_name\": \"../escape\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j1.1\", \"state_dir\": \"$rec\"}")
expect "a bad job name fails" "$out" 'r["failed"] is True and "job_name" in r["msg"]'
out=$(run async_job_save "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j1.1\", \"state_dir\": \"$rec\", \"bogus\": 1}")
expect "an unknown option fails" "$out" 'r["failed"] is True and "bogus" in r["msg"]'
out=$(run async_job_save "{\"job_name\": \"arm\"")
expect "arguments that are not JSON fail as JSON" "$out" 'r["failed"] is True and r["msg"]'
out=$(run async_job_load "not json at all")
expect "load: arguments that are not JSON fail as JSON" "$out" 'r["failed"] is True and r["msg"]'
out=$(run async_job_load "{\"host\": \"h\", \"state_dir\": \"$rec\"}")
expect "load: a missing job_name fails" "$out" 'r["failed"] is True and "job_name" in r["msg"]'
[ "$before" = "$(find "$work" | sort)" ] || { echo "aarch64 FAILED: bad input changed files"; exit 1; }
echo "aarch64 ok: bad input changed nothing"
out=$(run async_job_save "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"state\": \"absent\", \"state_dir\": \"$rec\"}")
expect "record removed" "$out" 'r["changed"] is True'
[ ! -e "$rec/h/p/arm.json" ] || { echo "aarch64 FAILED: record still there"; exit 1; }

# OCI: ring's cross-compiled C and assembly sign every request (RSA-SHA256), and the fake server
# verifies each signature, so a miscompiled ring fails here.
py=$repo/.venv/bin/python
[ -x "$py" ] || { echo "aarch64 FAILED: the OCI check needs the fake server's Python: run make venv" >&2; exit 1; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
chmod 600 "$work/key.pem"
fp=$(openssl pkey -in "$work/key.pem" -pubout -outform DER | md5sum | cut -c1-32 | sed 's/../&:/g; s/:$//')
printf '[DEFAULT]\nuser=ocid1.user.oc1..arm\nfingerprint=%s\nkey_file=%s\ntenancy=ocid1.tenancy.oc1..arm\nregion=us-ashburn-1\n' \
  "$fp" "$work/key.pem" > "$work/oci_config"
chmod 600 "$work/oci_config"
"$py" "$repo/tests/oci/fake_server.py" --port 0 --namespace armns \
  --api-key "ocid1.tenancy.oc1..arm/ocid1.user.oc1..arm/$fp=$work/key.pem" > "$work/server.out" 2>"$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q LISTENING "$work/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^LISTENING //p' "$work/server.out")
[ -n "$port" ] || { echo "aarch64 FAILED: fake OCI server did not start: $(cat "$work/server.log")"; exit 1; }
oci="\"backend\": \"oci\", \"oci_bucket\": \"b\", \"oci_config_file\": \"$work/oci_config\", \"oci_endpoint\": \"http://127.0.0.1:$port\""
out=$(run async_job_save "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j2.2\", $oci}")
expect "OCI: record saved with signed requests" "$out" 'r["changed"] is True and r["state_file"] == "oci://b/h/p/arm.json"'
out=$(run async_job_load "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", $oci}")
expect "OCI: record loaded" "$out" 'r["found"] is True and r["ansible_job_id"] == "j2.2"'
echo "aarch64: all binaries passed"
