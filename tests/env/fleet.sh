#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# A fleet of three SSH targets for tests/fleet: network namespaces <prefix>-h1..h3, each joined to
# this machine by a veth pair (a /30 per host), each with its own address and its own sshd. Users,
# sudoers rule and client key come from tests/env/sshd.sh (login ansible_ssh, sudo to
# ansible_become). Run as root. Idempotent: `start` on a running fleet checks it (and brings a cut
# link back up); `stop` removes only this fleet's namespaces and links.
#   tests/env/fleet.sh start|stop|env
#   FLEET_PREFIX (default rsa), FLEET_NET (first three octets, default 10.253.41), WORK (default
#   <repo>/tests/.work)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# From the script's own path, not the cwd (see sshd.sh for the fallback).
repo=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
work=$(realpath -m "${WORK:-$repo/tests/.work}")
state=$work/fleet
keys=$work/sshd  # sshd.sh prepare makes the client key there
case $state in *[[:space:]]*) echo "fleet.sh: no spaces in the state dir please: $state" >&2; exit 1 ;; esac
prefix=${FLEET_PREFIX:-rsa}
net=${FLEET_NET:-10.253.41}
count=3
login_user=ansible_ssh
become_user=ansible_become

die() { echo "fleet.sh: $*" >&2; exit 1; }

# Interface names have 15 characters at most, and <prefix>-h<i>-link must fit.
[[ $prefix =~ ^[a-z0-9]{1,6}$ ]] || die "FLEET_PREFIX must be 1-6 lowercase letters or digits, not '$prefix'"
[[ $net =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "FLEET_NET must be three octets (10.253.41), not '$net'"

# Host i (1-based): namespace, this machine's end of its link, this machine's address on it, and
# the host's address. 10.253.41.0/28 by default: private, and away from the ranges Docker,
# libvirt and tests/service/fleet.py (10.200-249.x) take.
ns_of() { echo "$prefix-h$1"; }
link_of() { echo "$prefix-h$1-link"; }
near_of() { echo "$net.$((4 * $1 - 3))"; }
addr_of() { echo "$net.$((4 * $1 - 2))"; }

ensure_link() {
  local i=$1 ns link
  ns=$(ns_of "$i") link=$(link_of "$i")
  [ -e "/run/netns/$ns" ] || ip netns add "$ns"
  # Deleting either end of a veth pair deletes both, so one check covers the pair.
  ip link show "$link" >/dev/null 2>&1 || ip link add "$link" type veth peer name eth0 netns "$ns"
  ip addr replace "$(near_of "$i")/30" dev "$link"
  ip link set "$link" up
  ip -n "$ns" addr replace "$(addr_of "$i")/30" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
}

# Writes $2 to $1 atomically; returns 1 if the content did not change.
write_if_changed() {
  [ "$(cat "$1" 2>/dev/null)" != "$2" ] || return 1
  printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"
}

# Returns 0 when the config changed (the running sshd, if any, must restart).
write_config() {
  local i=$1 dir=$state/h$1
  mkdir -p "$dir"
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "fleet host$i" -f "$dir/host_ed25519"
  # Port 22: each namespace has its own network stack, so the sshds cannot collide.
  write_if_changed "$dir/sshd_config" "\
ListenAddress $(addr_of "$i")
Port 22
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
AllowUsers $login_user
Subsystem sftp internal-sftp
MaxStartups 30:50:100
LogLevel VERBOSE"
}

# Pid of host i's sshd listener: from its pidfile, else by its command line; it must run in the
# host's namespace (a recycled pid or another clone's sshd would not).
sshd_pid() {
  local i=$1 dir=$state/h$1 pid
  for pid in $(cat "$dir/sshd.pid" 2>/dev/null) $(pgrep -f "$dir/sshd_config"); do
    case $(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") in
      *" -f $dir/sshd_config "*"[listener]"*)
        [ "$(ip netns identify "$pid" 2>/dev/null)" = "$(ns_of "$i")" ] && { echo "$pid"; return 0; } ;;
    esac
  done
  return 1
}

port_open() { timeout 3 bash -c ": </dev/tcp/$(addr_of "$1")/22" 2>/dev/null; }

stop_sshd() {
  local i=$1 pid
  while pid=$(sshd_pid "$i"); do
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$pid" 2>/dev/null || die "sshd $pid of host$i did not exit after SIGTERM"
  done
  rm -f "$state/h$i/sshd.pid"
}

start_sshd() {
  local i=$1 changed=$2 dir=$state/h$1
  if sshd_pid "$i" >/dev/null && { $changed || ! port_open "$i"; }; then stop_sshd "$i"; fi
  sshd_pid "$i" >/dev/null && return 0
  install -d -m 0755 /run/sshd  # privilege separation dir; tmpfs, so gone after a reboot
  /usr/sbin/sshd -t -f "$dir/sshd_config"
  : > "$dir/sshd.log"
  ip netns exec "$(ns_of "$i")" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" \
    || { cat "$dir/sshd.log" >&2; die "sshd of host$i did not start"; }
  for _ in $(seq 50); do port_open "$i" && return 0; sleep 0.2; done
  tail -20 "$dir/sshd.log" >&2
  die "sshd of host$i not listening on $(addr_of "$i"):22 after 10s"
}

write_inventory() {
  local i lines=""
  for i in $(seq "$count"); do
    lines+="host$i ansible_host=$(addr_of "$i") ansible_async_dir=~/.ansible_async_host$i"$'\n'
  done
  # ansible_async_dir: the hosts share this machine's filesystem and /proc, so with one async dir
  # every host would see (and clean up, prune, attach to) the others' jobs; a dir per host keeps
  # each host's jobs its own, as on separate machines.
  # A cut link must be noticed in seconds: ServerAlive* ends a silent connection (ControlPersist
  # master included) after 3 x 2 s; ansible_ssh_timeout is ssh's ConnectTimeout for a new one. It
  # also bounds the banner exchange, hence 10 s: 5 s timed out there on a loaded 2-core machine.
  # ControlPersist is short: a master is per host (its ControlPath hashes host, port and user), and
  # none should outlive a test by much. IdentitiesOnly: see sshd.sh.
  write_if_changed "$state/inventory.ini" "\
# Written by tests/env/fleet.sh: host<i> is network namespace $prefix-h<i>, reached over its link $prefix-h<i>-link.
[fleet]
${lines%$'\n'}

[fleet:vars]
ansible_user=$login_user
ansible_ssh_private_key_file=$keys/id_ed25519
ansible_ssh_timeout=10
ansible_ssh_args='-C -o ControlMaster=auto -o ControlPersist=15s'
ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ServerAliveInterval=2 -o ServerAliveCountMax=3'
ansible_python_interpreter=/usr/bin/python3
ansible_become=true
ansible_become_method=sudo
ansible_become_user=$become_user" || true
  local json="" sep=""
  for i in $(seq "$count"); do
    json+="$sep\"host$i\": {\"namespace\": \"$(ns_of "$i")\", \"link\": \"$(link_of "$i")\", \"address\": \"$(addr_of "$i")\", \"async_dir\": \"~/.ansible_async_host$i\"}"
    sep=", "
  done
  write_if_changed "$state/hosts.json" "{$json}" || true
}

# As sshd.sh's verify: log in, make a private file in /var/tmp, let the become user read it via
# setfacl + sudo, as Ansible does.
ssh_cmd() {
  local i=$1; shift
  ssh -i "$keys/id_ed25519" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    "$login_user@$(addr_of "$i")" "$@"
}

verify() {
  local i=$1 out
  out=$(ssh_cmd "$i" bash -s 2>"$state/h$i/verify.err" <<EOF
set -e
f=\$(mktemp /var/tmp/fleet-check.XXXXXX)
trap 'rm -f "\$f"' EXIT
setfacl -m u:$become_user:r "\$f"
sudo -n -u $become_user sh -c "cat '\$f' && id -un"
EOF
) || true
  [ "$out" = "$become_user" ] && return
  echo "fleet.sh: ssh $login_user@$(addr_of "$i") + sudo -u $become_user failed (got '$out'):" >&2
  cat "$state/h$i/verify.err" >&2
  tail -20 "$state/h$i/sshd.log" >&2 || true
  exit 1
}

start() {
  [ "$(id -u)" = 0 ] || die "start needs root (network namespaces, users, a sudoers rule)"
  "$here/packages.sh" ip:iproute2
  WORK=$work "$here/sshd.sh" prepare
  mkdir -p "$state"
  local i changed
  for i in $(seq "$count"); do
    ensure_link "$i"
    changed=false
    write_config "$i" && changed=true
    start_sshd "$i" "$changed"
  done
  write_inventory
  for i in $(seq "$count"); do verify "$i"; done
  echo "fleet: host1..host$count in namespaces $prefix-h1..$prefix-h$count at $(addr_of 1)..$(addr_of "$count"); inventory $state/inventory.ini"
}

stop() {
  local i ns pids=()
  for i in $(seq "$count"); do
    ns=$(ns_of "$i")
    stop_sshd "$i"
    # What still runs in the namespace came in through its sshd: sessions and the tests' jobs.
    if [ -e "/run/netns/$ns" ]; then
      mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
      [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    # The link first: deleting the namespace deletes its end, and the pair with it, but not at
    # once, so a link seen just after could be gone by the time it is deleted.
    if ip link show "$(link_of "$i")" >/dev/null 2>&1; then ip link del "$(link_of "$i")"; fi
    if [ -e "/run/netns/$ns" ]; then ip netns del "$ns"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    printf 'export FLEET_INVENTORY=%q\n' "$state/inventory.ini"
    printf 'export FLEET_HOSTS_JSON=%q\n' "$state/hosts.json"
    printf 'export FLEET_PREFIX=%q\n' "$prefix"
    ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
