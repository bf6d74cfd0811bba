#!/usr/bin/env bash
# Runs the aarch64 binaries under qemu-user on real job files: the same protocol and the same
# answers as on x86_64. Skips (exit 0) when the aarch64 target could not be built.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bins=$repo/bin/linux-aarch64
if [ ! -x "$bins/async_status_id" ]; then
  echo "aarch64: no binaries were built (rustup target unavailable); skipped"
  exit 0
fi
if ! command -v qemu-aarch64-static >/dev/null || ! command -v file >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static file >/dev/null
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/async"
cp "$repo/crates/jobs/fixtures/finished_2.19.json" "$work/async/j111.1"
run() { printf '%s' "$2" > "$work/args"; qemu-aarch64-static "$bins/$1" "$work/args" || true; }
expect() {  # <what> <json output> <python condition on r>
  if python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert eval(sys.argv[2]), r' "$2" "$3"; then
    echo "aarch64 ok: $1"
  else
    echo "aarch64 FAILED: $1: $2"
    exit 1
  fi
}
file "$bins/async_status_id" | grep -q "ARM aarch64" || { echo "not an aarch64 binary"; exit 1; }
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
out=$(run async_task "{\"alias\": \"arm\", \"_mode\": \"claim\", \"_token\": \"t1\", \"_async_dir\": \"$work/async\"}")
expect "async_task keeps a finished job" "$out" 'r["action"] == "keep" and r["job"]["stdout"] == "hi"'
out=$(run async_task "{\"alias\": \"fresh\", \"_mode\": \"claim\", \"_token\": \"t1\", \"_async_dir\": \"$work/async\"}")
expect "async_task claims a new name" "$out" 'r["action"] == "start"'
out=$(run async_task "{\"alias\": \"fresh\", \"_mode\": \"claim\", \"_token\": \"t2\", \"_async_dir\": \"$work/async\"}")
expect "a second run waits for the first" "$out" 'r["action"] == "wait"'
out=$(run async_task "{\"alias\": \"fresh\", \"_mode\": \"release\", \"_token\": \"t1\", \"_async_dir\": \"$work/async\"}")
expect "claim released" "$out" 'r["changed"] is False and "released" in r["msg"]'
out=$(run async_status_id "{\"jid\": \"j111.1\", \"mode\": \"full_cleanup\", \"_async_dir\": \"$work/async\"}")
expect "full cleanup" "$out" 'r["changed"] is True and len(r["removed"]) == 2'
if [ ! -x "$bins/async_job_save" ]; then
  echo "aarch64: controller modules were not built (no aarch64 C compiler); skipped"
  exit 0
fi
out=$(run async_job_save "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j1.1\", \"state_dir\": \"$work/records\"}")
expect "record saved" "$out" 'r["changed"] is True'
out=$(run async_job_load "{\"job_name\": \"arm\", \"host\": \"h\", \"playbook_name\": \"p\", \"state_dir\": \"$work/records\"}")
expect "record loaded" "$out" 'r["found"] is True and r["ansible_job_id"] == "j1.1"'
