#!/usr/bin/env bash
# A real SSH target on 127.0.0.1 for the tests: log in as the unprivileged user ansible_ssh, become
# (sudo) the unprivileged user ansible_become. Idempotent; needs root (it adds users and sudoers).
#   tests/env/sshd.sh start|stop|env
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${WORK:-$repo/tests/.work}/sshd
port=${SSHD_PORT:-2222}
login_user=ansible_ssh
become_user=ansible_become

need_packages() {
  local missing=()
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v sudo >/dev/null || missing+=(sudo)
  # Ansible gives the become user access to its remote tmp files with setfacl.
  command -v setfacl >/dev/null || missing+=(acl)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

make_users() {
  for u in "$login_user" "$become_user"; do
    id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
    # A locked password ('!') makes sshd refuse even key logins; '*' is "no password, not locked".
    usermod -p '*' "$u"
  done
  local rule=/etc/sudoers.d/rstyczynski-ansible-tests
  echo "$login_user ALL=(ALL) NOPASSWD: ALL" > "$rule.tmp"
  chmod 0440 "$rule.tmp"
  visudo -cqf "$rule.tmp"
  mv "$rule.tmp" "$rule"
}

make_keys() {
  mkdir -p "$state"
  [ -f "$state/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/host_ed25519"
  [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/id_ed25519"
  local home ssh_dir
  home=$(getent passwd "$login_user" | cut -d: -f6)
  ssh_dir=$home/.ssh
  install -d -m 0700 -o "$login_user" -g "$login_user" "$ssh_dir"
  install -m 0600 -o "$login_user" -g "$login_user" "$state/id_ed25519.pub" "$ssh_dir/authorized_keys"
}

write_config() {
  local sftp=/usr/lib/openssh/sftp-server
  cat > "$state/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $state/host_ed25519
PidFile $state/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowUsers $login_user
Subsystem sftp $sftp
LogLevel VERBOSE
CFG
}

running() {
  [ -f "$state/sshd.pid" ] && kill -0 "$(cat "$state/sshd.pid")" 2>/dev/null
}

write_inventory() {
  cat > "$state/inventory.ini" <<INV
# Written by tests/env/sshd.sh
localtarget ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"
sshtarget ansible_host=127.0.0.1 ansible_port=$port ansible_user=$login_user ansible_ssh_private_key_file=$state/id_ed25519 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' ansible_python_interpreter=/usr/bin/python3 ansible_become=true ansible_become_method=sudo ansible_become_user=$become_user
INV
}

ssh_cmd() {
  ssh -q -i "$state/id_ed25519" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 "$login_user@127.0.0.1" "$@"
}

start() {
  need_packages
  make_users
  make_keys
  write_config
  write_inventory
  if ! running; then
    mkdir -p /run/sshd  # privilege separation directory
    /usr/sbin/sshd -t -f "$state/sshd_config"
    /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log"
  fi
  for _ in $(seq 50); do
    if [ "$(ssh_cmd "sudo -n -u $become_user id -un" 2>/dev/null)" = "$become_user" ]; then
      echo "sshd on 127.0.0.1:$port: $login_user logs in, becomes $become_user; inventory $state/inventory.ini"
      return 0
    fi
    sleep 0.2
  done
  echo "sshd did not accept $login_user with become to $become_user; its log:" >&2
  tail -20 "$state/sshd.log" >&2 || true
  return 1
}

stop() {
  if running; then kill "$(cat "$state/sshd.pid")"; fi
  rm -f "$state/sshd.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "export SSHD_INVENTORY=$state/inventory.ini SSHD_KEY=$state/id_ed25519 SSHD_PORT=$port" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
