#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# A real SSH target on 127.0.0.1 for the integration tests: log in as the unprivileged user
# ansible_ssh, become (sudo) the unprivileged user ansible_become. Run as root (it adds users and a
# sudoers rule). Idempotent: on a machine where it already ran, `start` only checks and is fast.
#   tests/env/sshd.sh start|stop|env      (SSHD_PORT, default 2222; WORK, default <repo>/tests/.work)
#   tests/env/sshd.sh prepare             users, sudoers rule and keys only, no sshd (tests/env/fleet.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# From the script's own path, not the cwd. git refuses clones owned by another user ("dubious
# ownership") when we run as root, hence the fallback to the known layout.
repo=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
state=$(realpath -m "${WORK:-$repo/tests/.work}/sshd")
case $state in *[[:space:]]*) echo "sshd.sh: no spaces in the state dir please: $state" >&2; exit 1 ;; esac
port=${SSHD_PORT:-2222}
login_user=ansible_ssh
become_user=ansible_become
sudoers=/etc/sudoers.d/rstyczynski-ansible-tests

die() { echo "sshd.sh: $*" >&2; exit 1; }

need_packages() {
  # sudo for become; setfacl lets the become user read Ansible's remote tmp files; python3 is the
  # interpreter the inventory names for sshtarget.
  "$(dirname "${BASH_SOURCE[0]}")/packages.sh" /usr/sbin/sshd:openssh-server sudo:sudo setfacl:acl \
    /usr/bin/python3:python3
}

make_users() {
  local u
  for u in "$login_user" "$become_user"; do
    id -u "$u" >/dev/null 2>&1 || useradd --create-home --home-dir "/home/$u" --shell /bin/bash "$u"
  done
  # useradd leaves the password '!' (locked), and with UsePAM no sshd then refuses even key logins.
  # '*' means "no password" without the lock.
  [ "$(getent shadow "$login_user" | cut -d: -f2)" = '*' ] || usermod -p '*' "$login_user"
  local rule="$login_user ALL=(ALL:ALL) NOPASSWD: ALL"
  if [ "$(cat "$sudoers" 2>/dev/null)" != "$rule" ]; then
    # Validate before installing: a broken file in sudoers.d breaks sudo for everyone.
    echo "$rule" > "$sudoers.tmp"
    chmod 0440 "$sudoers.tmp"
    visudo -cqf "$sudoers.tmp" || { rm -f "$sudoers.tmp"; die "bad sudoers rule"; }
    mv "$sudoers.tmp" "$sudoers"
  fi
}

make_keys() {
  mkdir -p "$state"
  [ -f "$state/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "test sshd host" -f "$state/host_ed25519"
  [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "ansible-tests $state" -f "$state/id_ed25519"
  local ak="/home/$login_user/.ssh/authorized_keys" pub
  install -d -m 0700 -o "$login_user" -g "$login_user" "${ak%/*}"
  touch "$ak"
  pub=$(cat "$state/id_ed25519.pub")
  if ! grep -qxF "$pub" "$ak"; then
    # Keep other clones' keys (they share this user) but drop an older key of this state dir
    # (left behind when `make clean` deleted it).
    awk -v dir="$state" '!(NF >= 2 && $(NF-1) == "ansible-tests" && $NF == dir)' "$ak" > "$ak.tmp"
    echo "$pub" >> "$ak.tmp"
    mv "$ak.tmp" "$ak"
  fi
  chown "$login_user:$login_user" "$ak"
  chmod 0600 "$ak"
}

# Writes $2 to $1 atomically; returns 1 if the content did not change.
write_if_changed() {
  [ "$(cat "$1" 2>/dev/null)" != "$2" ] || return 1
  printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"
}

config_changed=false
write_config() {
  # internal-sftp is built into sshd, so no path to get wrong; StrictModes stays on (the default)
  # because the home and ~/.ssh modes above satisfy it.
  write_if_changed "$state/sshd_config" "\
ListenAddress 127.0.0.1
Port $port
HostKey $state/host_ed25519
PidFile $state/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
AllowUsers $login_user
Subsystem sftp internal-sftp
LogLevel VERBOSE" && config_changed=true
  return 0
}

write_inventory() {
  # IdentitiesOnly: a developer's ssh-agent keys would otherwise be offered first and can exhaust
  # MaxAuthTries before ours.
  write_if_changed "$state/inventory.ini" "\
# Written by tests/env/sshd.sh
localtarget ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"
sshtarget ansible_host=127.0.0.1 ansible_port=$port ansible_user=$login_user ansible_ssh_private_key_file=$state/id_ed25519 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes' ansible_python_interpreter=/usr/bin/python3 ansible_become=true ansible_become_method=sudo ansible_become_user=$become_user" || true
}

# Pid of our sshd listener: from the pidfile, else found by its command line (`make clean` deletes
# the state dir, pidfile included, under a running sshd). Matching the command line also rules out a
# recycled pid and sshd's per-connection children.
sshd_pid() {
  local pid
  for pid in $(cat "$state/sshd.pid" 2>/dev/null) $(pgrep -f sshd_config); do
    case $(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") in
      *" -f $state/sshd_config "*"[listener]"*) echo "$pid"; return 0 ;;
    esac
  done
  return 1
}

running() { sshd_pid >/dev/null; }

port_open() { (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

ssh_cmd() {
  ssh -i "$state/id_ed25519" -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    "$login_user@127.0.0.1" "$@"
}

# What Ansible does when it becomes an unprivileged user: the login user makes a private file in
# /var/tmp, grants the become user read access with setfacl, then reads it via sudo.
verify() {
  local out
  out=$(ssh_cmd bash -s 2>"$state/verify.err" <<EOF
set -e
f=\$(mktemp /var/tmp/sshd-check.XXXXXX)
trap 'rm -f "\$f"' EXIT
setfacl -m u:$become_user:r "\$f"
sudo -n -u $become_user sh -c "cat '\$f' && id -un"
EOF
) || true
  [ "$out" = "$become_user" ] && return
  echo "sshd.sh: ssh $login_user@127.0.0.1:$port + sudo -u $become_user failed (got '$out'):" >&2
  cat "$state/verify.err" >&2
  echo "--- $state/sshd.log (tail)" >&2
  tail -20 "$state/sshd.log" >&2 || true
  exit 1
}

start() {
  [ "$(id -u)" = 0 ] || die "start needs root (it adds users, a sudoers rule and maybe packages)"
  need_packages
  make_users
  make_keys
  write_config
  write_inventory
  # Restart when the config changed (e.g. another SSHD_PORT) or our sshd stopped answering.
  if running && { $config_changed || ! port_open; }; then stop; fi
  if ! running; then
    port_open && die "127.0.0.1:$port is already taken by another process; set SSHD_PORT"
    install -d -m 0755 /run/sshd  # privilege separation dir; tmpfs, so gone after a reboot
    /usr/sbin/sshd -t -f "$state/sshd_config"
    : > "$state/sshd.log"
    /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log" || { cat "$state/sshd.log" >&2; die "sshd did not start"; }
    for _ in $(seq 50); do port_open && break; sleep 0.2; done
    port_open || { tail -20 "$state/sshd.log" >&2; die "sshd not listening on 127.0.0.1:$port after 10s"; }
  fi
  verify
  echo "sshd on 127.0.0.1:$port: $login_user logs in, becomes $become_user; inventory $state/inventory.ini"
}

stop() {
  local pid
  while pid=$(sshd_pid); do
    kill "$pid"
    # Wait (sshd takes 1-2 s to exit here), so that an immediate `start` finds the port free.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$pid" 2>/dev/null || die "sshd $pid did not exit after SIGTERM"
  done
  rm -f "$state/sshd.pid"
}

# What every sshd of the tests needs, for tests/env/fleet.sh, which runs its own sshds.
prepare() {
  [ "$(id -u)" = 0 ] || die "prepare needs root (it adds users, a sudoers rule and maybe packages)"
  need_packages
  make_users
  make_keys
}

case "${1:-}" in
  start) start ;;
  prepare) prepare ;;
  stop) stop ;;
  env)
    printf 'export SSHD_INVENTORY=%q\n' "$state/inventory.ini"
    printf 'export SSHD_KEY=%q\n' "$state/id_ed25519"
    printf 'export SSHD_PORT=%q\n' "$port"
    ;;
  *) echo "usage: $0 start|stop|env|prepare" >&2; exit 2 ;;
esac
