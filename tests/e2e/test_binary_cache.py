# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Over SSH with become, a binary is uploaded once and then runs from the become user's cache:
one round trip per poll, arguments in a here-document. A cache that is broken, or that anyone
but root and the running user could change, costs speed, never correctness: tests below play a
second local user (the attacker) against it and check that no attacker program ever runs."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pathlib
import pwd
import shutil
import stat
import subprocess
import uuid

import pytest

from conftest import BIN, INVENTORY, PLAYBOOKS, REPO, ansible_env

BINARY = REPO / '.collections' / 'ansible_collections' / 'rstyczynski' / 'ansible' / 'binaries' / 'linux-x86_64'
# A become user of these tests only: other tests (and other clones' runs) share ansible_become's cache.
BECOME = 'rsa_cache_bec'
CACHE = pathlib.Path('/home') / BECOME / '.ansible' / 'rstyczynski_ansible'


@pytest.fixture(scope='module', autouse=True)
def become_user():
    if subprocess.run(['id', '-u', BECOME], capture_output=True, check=False).returncode:
        subprocess.run(['useradd', '--home-dir', str(CACHE.parent.parent), '--create-home', '--shell', '/bin/sh',
                        BECOME], check=True)


def poll(tmp_path, name):
    out = tmp_path / f'out-{uuid.uuid4().hex[:8]}.json'
    cmd = [str(BIN / 'ansible-playbook'), '-vvv', '-i', str(INVENTORY), str(PLAYBOOKS / 'status.yml'),
           '-e', json.dumps({'target': 'sshtarget', 'alias': name, 'out_file': str(out), 'ansible_become_user': BECOME})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    status = json.loads(out.read_text())['status']
    ask = proc.stdout.split('TASK [Ask]')[1].split('TASK [Hand results')[0]
    return status, ask


def digest():
    return hashlib.sha256((BINARY / 'async_status_id').read_bytes()).hexdigest()[:16]


def cached_binary(home=None):
    cache = CACHE if home is None else pathlib.Path(home) / '.ansible' / 'rstyczynski_ansible'
    return cache / digest() / 'async_status_id'


def test_second_poll_is_one_round_trip_from_the_cache(tmp_path):
    name = f'cache_{uuid.uuid4().hex[:8]}'
    first, _log = poll(tmp_path, name)
    assert first['started'] is False and not first.get('failed'), first
    path = cached_binary()
    st = path.stat()
    assert pwd.getpwuid(st.st_uid).pw_name == BECOME
    assert stat.S_IMODE(st.st_mode) == 0o700 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    second, log = poll(tmp_path, name)
    assert second == first
    assert 'PUT ' not in log, log
    # The platform probe (`uname`, once per playbook run) and the poll itself.
    execs = [line for line in log.splitlines() if 'SSH: EXEC ssh ' in line]
    assert len(execs) == 2 and 'uname -sm' in execs[0], log


def test_an_unusable_cache_entry_falls_back_to_uploading(tmp_path):
    name = f'cache_{uuid.uuid4().hex[:8]}'
    poll(tmp_path, name)
    path = cached_binary()
    os.chmod(path, 0o600)  # not executable: a miss
    try:
        status, log = poll(tmp_path, name)
        assert status['started'] is False and not status.get('failed'), status
        assert 'PUT ' in log
        assert os.access(path, os.X_OK), 'the miss should have refilled the cache'
    finally:
        os.chmod(path, 0o700)


@pytest.mark.parametrize('target, extra, user', [
    ('sshtarget', {'become': False}, 'ansible_ssh'),
    ('localtarget', {'become': True, 'ansible_become_method': 'sudo'}, BECOME),
])
def test_without_become_and_on_connection_local_with_become(tmp_path, target, extra, user):
    """The other two ways a binary runs through the cache: the login user's own, and a local become."""
    path = cached_binary(pwd.getpwnam(user).pw_dir)
    shutil.rmtree(path.parent, ignore_errors=True)
    _results, log = polls(tmp_path, 2, target=target, **extra)
    assert path.lstat().st_uid == pwd.getpwnam(user).pw_uid
    assert path.read_bytes() == (BINARY / 'async_status_id').read_bytes()
    _results, log = polls(tmp_path, 2, target=target, **extra)
    assert 'PUT ' not in log.split('TASK [Ask]')[1].split('TASK [Hand results')[0]


def test_a_cache_entry_another_user_owns_is_never_run(tmp_path, marker):
    """Only root and the running user may own the entry and every directory above it."""
    name = f'cache_{uuid.uuid4().hex[:8]}'
    path = cached_binary()
    poll(tmp_path, name)
    plant(path, marker, owner='ansible_ssh', dirs=False)
    try:
        status, log = poll(tmp_path, name)
        assert status['started'] is False and not status.get('failed') and 'evil' not in status, status
        assert 'PUT ' in log
        assert_never_ran(marker)
        assert path.read_bytes() == (BINARY / 'async_status_id').read_bytes(), 'the miss should replace it'
    finally:
        shutil.rmtree(path.parent)


@pytest.mark.parametrize('content', [b'', b'\x7fELF garbage', b'#!/bin/sh\n' + b'x' * 64])
def test_a_damaged_cache_entry_falls_back_and_is_replaced(tmp_path, content):
    """What a crash between copy and rename used to leave: every later poll failed."""
    name = f'cache_{uuid.uuid4().hex[:8]}'
    poll(tmp_path, name)
    path = cached_binary()
    path.write_bytes(content)
    status, log = poll(tmp_path, name)
    assert status['started'] is False and not status.get('failed'), status
    assert 'PUT ' in log
    assert path.read_bytes() == (BINARY / 'async_status_id').read_bytes()
    assert not [p.name for p in path.parent.iterdir() if p.name != path.name], 'no temp files left behind'
    _status, log = poll(tmp_path, name)
    assert 'PUT ' not in log


# The attacker's side. Files are planted by root and handed to the attacker (what the attacker could
# make itself); races run as the attacker, with only the attacker's rights.

ATTACKER = 'rsa_cache_atk'
SERVICE = 'rsa_cache_svc'
TEAM = 'rsa_cache_team'
SERVICE_HOME = pathlib.Path('/home') / SERVICE
ROOT_VARS = {'ansible_become_user': 'root', 'ansible_become_flags': '-E -S -n'}  # sudo -E keeps $HOME
LOGIN_HOME = pathlib.Path(pwd.getpwnam('ansible_ssh').pw_dir)
ROOT_HOME = pathlib.Path(pwd.getpwnam('root').pw_dir)

SWAP = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
print('swapping', flush=True)
while True:
    libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE: both names always exist
"""


@pytest.fixture
def marker():
    """A directory anyone can write, where an attacker program would leave its mark."""
    path = pathlib.Path('/var/tmp') / f'rsa-cache-marker-{uuid.uuid4().hex[:8]}'
    path.mkdir()
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path)


def assert_never_ran(marker):
    ran = marker / 'ran'
    assert not ran.exists(), 'an attacker program ran as: %s' % ran.read_text().split()


def plant(path, marker, owner, dirs=True):
    """An attacker program at path, as owner would make it: it leaves a mark and fakes a result.
    With dirs, its directory is the owner's too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_text('#!/bin/sh\nid -un >> %s/ran\necho \'{"started": false, "finished": false, "evil": true}\'\n'
                    % marker)
    path.chmod(0o755)
    give(path.parent if dirs else path, owner)


def give(path, owner, stop=None):
    """chown -R owner, from path up to (not including) stop."""
    ids = pwd.getpwnam(owner)
    for root, dirs, files in os.walk(path):
        for entry in dirs + files:
            os.lchown(os.path.join(root, entry), ids.pw_uid, ids.pw_gid)
    while path != stop and path != path.parent:
        os.lchown(path, ids.pw_uid, ids.pw_gid)
        if stop is None:
            break
        path = path.parent


def polls(tmp_path, count, target='sshtarget', become=None, **extra):
    """count async_status_id calls in one playbook run; their results and the -vvv log.
    become, when given, is the polls' ansible_become (a task var: extra vars would reach the last task)."""
    out = tmp_path / f'out-{uuid.uuid4().hex[:8]}.json'
    book = tmp_path / 'polls.yml'
    book.write_text("""
- name: Polls
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Ask
      rstyczynski.ansible.async_status_id:
        alias: "{{ alias }}"
      register: status
      loop: "{{ range(count | int) | list }}"
      vars: %s
    - name: Hand results to the test
      ansible.builtin.copy:
        content: "{{ status.results | to_json }}"
        dest: "{{ out_file }}"
        mode: "0600"
      delegate_to: localhost
      become: false
""" % json.dumps({} if become is None else {'ansible_become': become}))
    extra = dict({'ansible_become_user': BECOME}, **extra)
    extra.update(alias=f'cache_{uuid.uuid4().hex[:8]}', count=count, out_file=str(out), target=target)
    cmd = [str(BIN / 'ansible-playbook'), '-vvv', '-i', str(INVENTORY), str(book), '-e', json.dumps(extra)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    results = json.loads(out.read_text())
    assert len(results) == count
    for res in results:
        assert res['started'] is False and res['finished'] is False and not res.get('failed'), res
        assert 'evil' not in res, res
    return results, proc.stdout


def uploads(log):
    """Files sent to the target by the polls (the last task, on localhost, sends its own)."""
    ask = log.split('TASK [Ask]')[1].split('TASK [Hand results')[0]
    return sum(1 for line in ask.splitlines() if 'PUT ' in line)


def attacker(user, *args):
    """The attacker's race, with its rights only; a process of ours, killed by pid."""
    ids = pwd.getpwnam(user)
    proc = subprocess.Popen(['/usr/bin/python3', '-c', SWAP, *map(str, args)], user=ids.pw_uid, group=ids.pw_gid,
                            extra_groups=os.getgrouplist(user, ids.pw_gid), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == 'swapping\n'
    return proc


def stop(proc):
    proc.kill()
    proc.wait()


def files_owned_by(top, uid):
    return [str(p) for p in top.rglob('*') if p.lstat().st_uid == uid] if top.exists() else []


def ssh_home_under_sudo_e():
    key = INVENTORY.parent / 'id_ed25519'
    port = os.environ.get('SSHD_PORT', '2222')
    out = subprocess.run(['ssh', '-i', str(key), '-p', port, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
                          '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
                          'ansible_ssh@127.0.0.1', 'sudo -E -n -u root sh -c \'echo "$(id -un) $HOME"\''],
                         capture_output=True, text=True, check=False, timeout=60)
    return out.stdout.strip()


@pytest.fixture
def login_cache():
    """The login user's cache, as a HOME-keeping become to root would have used it."""
    assert ssh_home_under_sudo_e() == f'root {LOGIN_HOME}', 'precondition: sudo -E keeps the login home'
    cache = LOGIN_HOME / '.ansible' / 'rstyczynski_ansible'
    # Shared with other tests, whose ansible tmp dirs live here: always the login user's.
    cache.parent.mkdir(mode=0o700, exist_ok=True)
    give(cache.parent, 'ansible_ssh')
    shutil.rmtree(cache, ignore_errors=True)
    yield cache
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(LOGIN_HOME / '.ansible' / 'rsa-evil', ignore_errors=True)


def test_a_home_keeping_become_to_root_uses_roots_own_cache(tmp_path, marker, login_cache):
    """Root never runs, installs into, or chmods anything in the login user's home, and its
    polls are one round trip from its own cache."""
    plant(login_cache / digest() / 'async_status_id', marker, owner='ansible_ssh')
    give(login_cache, 'ansible_ssh')
    polls(tmp_path, 1, **ROOT_VARS)
    _results, log = polls(tmp_path, 3, **ROOT_VARS)
    assert uploads(log) == 0, log
    assert_never_ran(marker)
    assert files_owned_by(login_cache, 0) == []
    ours = cached_binary(ROOT_HOME)
    assert ours.lstat().st_uid == 0 and ours.read_bytes() == (BINARY / 'async_status_id').read_bytes()


@pytest.mark.parametrize('link', ['build_dir', 'cache_dir'])
def test_symlinks_the_login_user_plants_are_never_followed(tmp_path, marker, login_cache, link):
    """The install used to chmod 700 and write through these links, as root."""
    victim = pathlib.Path('/var/tmp') / f'rsa-cache-victim-{uuid.uuid4().hex[:8]}'
    (victim / 'inner').mkdir(parents=True)
    victim.chmod(0o755)
    (victim / 'inner').chmod(0o755)
    (victim / 'inner' / 'precious').write_text('keep')
    try:
        if link == 'build_dir':
            login_cache.mkdir(parents=True)
            (login_cache / digest()).symlink_to(victim / 'inner')
        else:
            login_cache.parent.mkdir(parents=True, exist_ok=True)
            login_cache.symlink_to(victim / 'inner')
        give(login_cache, 'ansible_ssh')
        shutil.rmtree(ROOT_HOME / '.ansible' / 'rstyczynski_ansible' / digest(), ignore_errors=True)
        polls(tmp_path, 2, **ROOT_VARS)
        assert_never_ran(marker)
        assert sorted(p.name for p in (victim / 'inner').iterdir()) == ['precious']
        assert stat.S_IMODE(victim.stat().st_mode) == 0o755
        assert stat.S_IMODE((victim / 'inner').stat().st_mode) == 0o755
    finally:
        if login_cache.is_symlink():
            login_cache.unlink()
        shutil.rmtree(victim)


def test_a_swap_race_by_the_login_user_never_runs_its_program_as_root(tmp_path, marker, login_cache):
    """The login user, without its sudo rights, swaps its cache dir with its own tree while root polls."""
    polls(tmp_path, 1, **ROOT_VARS)
    # What the old code left after root's first poll: root's cache dir in the login home (renaming
    # it within ~/.ansible needs no rights on the dir itself).
    login_cache.mkdir(exist_ok=True)
    evil = LOGIN_HOME / '.ansible' / 'rsa-evil'
    plant(evil / digest() / 'async_status_id', marker, owner='ansible_ssh')
    give(evil, 'ansible_ssh')
    race = attacker('ansible_ssh', login_cache, evil)
    try:
        _results, log = polls(tmp_path, 20, **ROOT_VARS)
    finally:
        stop(race)
    assert_never_ran(marker)
    assert uploads(log) == 0, log


@pytest.fixture(scope='module')
def service_account():
    """A become-only service account whose home its team may write (a /var/www-style layout),
    and a member of that team: the attacker."""
    if subprocess.run(['getent', 'group', TEAM], capture_output=True, check=False).returncode:
        subprocess.run(['groupadd', TEAM], check=True)
    for user in (SERVICE, ATTACKER):
        if subprocess.run(['id', '-u', user], capture_output=True, check=False).returncode:
            subprocess.run(['useradd', '--home-dir', str(SERVICE_HOME if user == SERVICE else f'/home/{user}'),
                            '--create-home', '--shell', '/bin/sh', '--gid', TEAM, user], check=True)
    team = grp.getgrnam(TEAM).gr_gid
    os.chown(SERVICE_HOME, pwd.getpwnam(SERVICE).pw_uid, team)
    SERVICE_HOME.chmod(0o2775)
    for entry in SERVICE_HOME.iterdir():
        if entry.name.startswith('.ansible') and not entry.name.startswith('.ansible_async'):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    return {'ansible_become_user': SERVICE}


def test_a_group_writable_home_is_never_used_for_the_cache(tmp_path, marker, service_account):
    _results, log = polls(tmp_path, 2, **service_account)
    assert uploads(log) == 2, 'every poll uploads: there is no cache to trust'
    assert not (SERVICE_HOME / '.ansible').exists()
    assert_never_ran(marker)


def test_a_team_member_racing_the_service_accounts_cache_never_runs_its_program(tmp_path, marker, service_account):
    polls(tmp_path, 1, **service_account)
    real = SERVICE_HOME / '.ansible'
    if not real.exists():
        real.mkdir()
        give(real, ATTACKER)
    evil = SERVICE_HOME / '.rsa-evil'
    plant(evil / 'rstyczynski_ansible' / digest() / 'async_status_id', marker, owner=ATTACKER)
    give(evil / 'rstyczynski_ansible' / digest(), ATTACKER, stop=SERVICE_HOME)
    race = attacker(ATTACKER, real, evil)
    try:
        polls(tmp_path, 20, **service_account)
    finally:
        stop(race)
    assert_never_ran(marker)


# A home reached through a root-owned symlink, as Fedora Atomic's /home -> var/home.
LINKED = 'rsa_cache_lnk'
HOMES_LINK = pathlib.Path('/rsa-cache-homes')
HOMES_REAL = pathlib.Path('/var/lib/rsa-cache-homes')


@pytest.fixture(scope='module')
def linked_home():
    """A become user whose home is /rsa-cache-homes/<user>, with /rsa-cache-homes -> var/lib/rsa-cache-homes
    (relative, root's, as Fedora makes it). Returns the home's real path."""
    HOMES_REAL.mkdir(mode=0o755, exist_ok=True)
    if not HOMES_LINK.is_symlink():
        HOMES_LINK.symlink_to('var/lib/rsa-cache-homes')
    if subprocess.run(['id', '-u', LINKED], capture_output=True, check=False).returncode:
        subprocess.run(['useradd', '--home-dir', str(HOMES_LINK / LINKED), '--create-home', '--shell', '/bin/sh',
                        LINKED], check=True)
    return HOMES_REAL / LINKED


def test_a_home_behind_a_root_owned_symlink_uses_the_cache(tmp_path, marker, linked_home):
    """The home is resolved as sshd's StrictModes does, then every real directory is checked: the
    first poll installs into the real home, the others run from there."""
    shutil.rmtree(linked_home / '.ansible' / 'rstyczynski_ansible', ignore_errors=True)
    _results, log = polls(tmp_path, 3, ansible_become_user=LINKED)
    assert uploads(log) == 1, 'one upload, then the cache'
    path = cached_binary(linked_home)
    assert path.lstat().st_uid == pwd.getpwnam(LINKED).pw_uid
    assert path.read_bytes() == (BINARY / 'async_status_id').read_bytes()
    assert_never_ran(marker)


def test_a_link_below_a_linked_home_is_still_never_followed(tmp_path, marker, linked_home):
    """Resolving the home does not resolve what is under it: a cache dir planted as a link to
    another user's tree is refused, and every poll uploads."""
    cache = linked_home / '.ansible' / 'rstyczynski_ansible'
    shutil.rmtree(cache, ignore_errors=True)
    cache.parent.mkdir(mode=0o700, exist_ok=True)
    give(cache.parent, LINKED)
    evil = pathlib.Path('/var/tmp') / f'rsa-cache-evil-{uuid.uuid4().hex[:8]}'
    plant(evil / digest() / 'async_status_id', marker, owner='ansible_ssh')
    cache.symlink_to(evil)
    try:
        _results, log = polls(tmp_path, 2, ansible_become_user=LINKED)
        assert uploads(log) == 2, log
        assert_never_ran(marker)
    finally:
        cache.unlink()
        shutil.rmtree(evil)
