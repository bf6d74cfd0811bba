# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Unit tests of plugins/plugin_utils/binary_module.py: result parsing, the missing-binary
message, and the target-side cache scripts, run by the local POSIX sh (dash on Debian)."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import tempfile

import pytest

from binary_module_source import REPO, bm


# parse_result

def test_junk_lines_around_the_object_are_skipped():
    out = 'Welcome to host\nlast login: never\n{"changed": false,\n "msg": "ok"}\nbye\n'
    assert bm.parse_result({'rc': 0, 'stdout': out, 'stderr': ''}) == {'changed': False, 'msg': 'ok'}


@pytest.mark.parametrize('stdout', ['', 'not json at all', '{"broken": ', '{ nope }'])
def test_non_json_is_a_module_failure_that_keeps_the_output(stdout):
    res = bm.parse_result({'rc': 3, 'stdout': stdout, 'stderr': 'boom'})
    assert res['failed'] is True and res['msg'].startswith('MODULE FAILURE')
    assert res['module_stdout'] == stdout and res['module_stderr'] == 'boom' and res['rc'] == 3


@pytest.mark.parametrize('stdout', ['[1, 2]', '"{}"', '[{"a": 1}]', '42'])
def test_json_that_is_not_an_object_is_a_module_failure(stdout):
    res = bm.parse_result({'rc': 0, 'stdout': stdout, 'stderr': ''})
    assert res['failed'] is True and res['module_stdout'] == stdout


def test_missing_stdout_and_stderr_are_a_module_failure():
    res = bm.parse_result({'rc': None})
    assert res['failed'] is True and res['module_stdout'] == '' and res['module_stderr'] == ''


def test_ansible_internal_keys_from_the_target_are_dropped():
    data = {'changed': True, '_ansible_no_log': False, '_ansible_verbose_always': True, 'ansible_facts': {'a': 1},
            'x_ansible_y': 1}
    res = bm.parse_result({'rc': 0, 'stdout': json.dumps(data), 'stderr': ''})
    assert res == {'changed': True, 'ansible_facts': {'a': 1}, 'x_ansible_y': 1}


def test_stdout_and_stderr_lines_are_built_here():
    data = {'stdout': 'a\nb\r\nc', 'stderr': '', 'rc': 0}
    res = bm.parse_result({'rc': 0, 'stdout': json.dumps(data), 'stderr': ''})
    assert res['stdout_lines'] == ['a', 'b', 'c'] and res['stderr_lines'] == []


def test_lines_the_binary_sent_are_kept_and_absent_streams_get_none():
    data = {'stdout': 'a\nb', 'stdout_lines': ['given'], 'stderr': None}
    res = bm.parse_result({'rc': 0, 'stdout': json.dumps(data), 'stderr': ''})
    assert res['stdout_lines'] == ['given'] and res['stderr_lines'] == []
    res = bm.parse_result({'rc': 0, 'stdout': '{"changed": false}', 'stderr': ''})
    assert 'stdout_lines' not in res and 'stderr_lines' not in res


# The missing-binary message (issue 10, section 6)

@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(bm, 'BIN_DIR', str(tmp_path))
    return tmp_path


def put(bin_dir, plat, *names):
    (bin_dir / plat).mkdir(parents=True, exist_ok=True)
    for name in names:
        (bin_dir / plat / name).write_bytes(b'\x7fELF')


def test_the_message_names_only_platforms_that_have_this_modules_binary(bin_dir):
    put(bin_dir, 'linux-x86_64', 'async_job_save', 'async_status_id')
    put(bin_dir, 'linux-aarch64', 'async_status_id')  # the on-host modules only, as an aarch64-less build
    msg = bm.missing_binary_message('async_job_save', 'linux-aarch64')
    assert 'no binary for the target platform linux-aarch64' in msg
    assert 'has it for: linux-x86_64.' in msg, msg
    assert msg.count('linux-aarch64') == 1, msg
    assert 'make build' not in msg
    assert 'ansible-galaxy collection install rstyczynski.ansible' in msg and 'make install' in msg
    assert 'make collection' in msg


def test_an_install_without_binaries_says_how_to_install(bin_dir):
    msg = bm.missing_binary_message('async_status_id', 'linux-x86_64')
    assert 'has no binary for it at all' in msg and 'Galaxy tarball' in msg and 'git install' in msg


def test_binary_for_raises_the_message_and_finds_a_present_binary(bin_dir):
    from ansible.errors import AnsibleActionFail  # pylint: disable=import-outside-toplevel
    put(bin_dir, 'linux-x86_64', 'async_kill')

    class Action(bm.BinaryModuleAction):
        def run(self, tmp=None, task_vars=None):
            return {}

    action = Action.__new__(Action)
    assert action.binary_for('async_kill', 'linux-x86_64') == str(bin_dir / 'linux-x86_64' / 'async_kill')
    with pytest.raises(AnsibleActionFail, match='has it for: linux-x86_64[.]'):
        action.binary_for('async_kill', 'linux-aarch64')


# The cache scripts, run by the local sh as root, against a fake home from a fake passwd entry.

SH = shutil.which('dash') or '/bin/sh'
PAYLOAD = b'#!/bin/sh\necho \'{"msg": "ours"}\'\n'
NAME = 'async_probe'
pytestmark_root = pytest.mark.skipif(os.geteuid() != 0, reason='needs root: it makes files of another owner')


def run_sh(script, home, fake=None, via='passwd'):
    """Runs script as root, whose passwd entry (the file, or getent: NSS) says its home is home."""
    fake = fake or home.parent / 'fakebin'
    fake.mkdir(exist_ok=True)
    entry = 'root:x:%d:0::%s:/bin/sh' % (os.geteuid(), home)
    (fake / 'passwd').write_text('nobody:x:65534:65534::/nonexistent:/bin/false\n'
                                 + (entry + '\n' if via == 'passwd' else ''))
    (fake / 'getent').write_text('#!/bin/sh\n[ "$2" = %d ] && echo "%s"\n' % (os.geteuid(), entry))
    (fake / 'getent').chmod(0o755)
    env = dict(os.environ, PATH='%s:%s' % (fake, os.environ['PATH']), HOME='/nonexistent')
    return subprocess.run([SH, '-c', script.replace(shlex.quote(bm.PASSWD), shlex.quote(str(fake / 'passwd')))],
                          capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def home():
    # Never below a world-writable dir (a checkout in /tmp, say): such an ancestor rightly means no
    # cache at all. As root, /var/lib is root's own; otherwise these tests are skipped anyway.
    work = pathlib.Path('/var/lib/rstyczynski-ansible-unit') if os.geteuid() == 0 else REPO / 'tests' / '.work'
    work.mkdir(mode=0o755, parents=True, exist_ok=True)
    base = pathlib.Path(tempfile.mkdtemp(prefix='unit-cache-', dir=str(work)))
    base.chmod(0o755)
    for parent in base.parents:
        if parent.lstat().st_mode & 0o022 or parent.is_symlink():
            pytest.fail('%s is group/other-writable or a symlink: no cache could be trusted below it' % parent)
    h = base / 'home'
    h.mkdir(mode=0o755)
    yield h
    shutil.rmtree(base)


def hit_script(payload=PAYLOAD):
    digest = hashlib.sha256(payload).hexdigest()
    return bm.cache_locator(digest[:16], NAME, len(payload)) + ' && [ -f "$f" ] && { "$f"; exit $?; }; echo MISS'


def install(home, payload=PAYLOAD):
    upload = home.parent / 'upload'
    upload.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    return run_sh('( %s ); echo $?' % bm.cache_installer(digest, NAME, len(payload), shlex.quote(str(upload))), home)


def entry(home, payload=PAYLOAD):
    return home / '.ansible' / 'rstyczynski_ansible' / hashlib.sha256(payload).hexdigest()[:16] / NAME


@pytestmark_root
@pytest.mark.parametrize('via', ['passwd', 'getent'])
def test_the_home_comes_from_the_password_database(home, via):
    hit = hit_script()
    assert install(home).stdout == '0\n'
    assert run_sh(hit, home, via=via).stdout == '{"msg": "ours"}\n'
    assert run_sh('%s; echo "$u $h"' % bm.cache_locator('0' * 16, NAME, 1), home, via=via).stdout == \
        '%d %s\n' % (os.geteuid(), home)


@pytestmark_root
def test_install_then_hit(home):
    hit = hit_script()
    assert run_sh(hit, home).stdout == 'MISS\n'
    assert install(home).stdout == '0\n'
    path = entry(home)
    assert path.read_bytes() == PAYLOAD and (path.stat().st_mode & 0o777) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name != NAME], 'no temp file left behind'
    assert run_sh(hit, home).stdout == '{"msg": "ours"}\n'


@pytestmark_root
@pytest.mark.parametrize('content', [b'', b'garbage', PAYLOAD[:-1] + b'X\n'[:1]])
def test_a_damaged_entry_is_a_miss_and_is_replaced(home, content):
    hit = hit_script()
    install(home)
    entry(home).write_bytes(content)
    out = run_sh(hit, home).stdout
    if len(content) != len(PAYLOAD):
        assert out == 'MISS\n'
    assert install(home).stdout == '0\n'
    assert entry(home).read_bytes() == PAYLOAD


@pytestmark_root
def test_a_wrong_upload_is_not_installed(home):
    upload = home.parent / 'upload'
    upload.write_bytes(b'#!/bin/sh\necho evil\n')
    script = bm.cache_installer(hashlib.sha256(PAYLOAD).hexdigest(), NAME, len(PAYLOAD), shlex.quote(str(upload)))
    res = run_sh('( %s ); echo $?' % script, home)
    assert res.stdout == '1\n'
    assert not entry(home).exists() and not list(entry(home).parent.iterdir())


# A home that is a link is resolved first (test_a_home_behind_a_link_is_resolved); any other link is
# never followed.
UNTRUSTED = [(where, bad) for where in ('home', 'dot_ansible', 'cache', 'build')
             for bad in ('group_writable', 'other_writable', 'foreign_owner', 'symlink')
             if (where, bad) != ('home', 'symlink')]


@pytestmark_root
@pytest.mark.parametrize('where, bad', UNTRUSTED)
def test_an_untrusted_directory_anywhere_means_no_cache(home, where, bad):
    hit = hit_script()
    install(home)
    path = {'home': home, 'dot_ansible': home / '.ansible', 'cache': home / '.ansible' / 'rstyczynski_ansible',
            'build': entry(home).parent}[where]
    if bad == 'group_writable':
        path.chmod(0o770)
    elif bad == 'other_writable':
        path.chmod(0o1777)
    elif bad == 'foreign_owner':
        os.chown(path, 65534, 65534)
    else:
        moved = path.with_name(path.name + '.real')
        path.rename(moved)
        path.symlink_to(moved)
    assert run_sh(hit, home).stdout == 'MISS\n'
    before = sorted(str(p) for p in home.parent.rglob('*'))
    assert install(home).stdout == '1\n'
    assert sorted(str(p) for p in home.parent.rglob('*')) == before, 'an untrusted cache is never written'


@pytestmark_root
@pytest.mark.parametrize('real', ['trusted', 'other_writable', 'foreign_owner'])
def test_a_home_behind_a_link_is_resolved(home, real):
    """As sshd's StrictModes: a home reached through a root-owned link (/home -> var/home on Fedora
    Atomic) is resolved, then its real directories are checked; the cache lives in the real home."""
    hit = hit_script()
    moved = home.with_name(home.name + '.real')
    home.rename(moved)
    home.symlink_to(moved.name)
    install(home)
    assert entry(moved).exists(), 'installed through the real path'
    if real == 'other_writable':
        moved.chmod(0o1777)
    elif real == 'foreign_owner':
        os.chown(moved, 65534, 65534)
    expected = '{"msg": "ours"}\n' if real == 'trusted' else 'MISS\n'
    assert run_sh(hit, home).stdout == expected


@pytestmark_root
@pytest.mark.parametrize('bad', ['symlink', 'foreign_owner', 'group_writable', 'directory'])
def test_an_untrusted_entry_is_never_run(home, bad):
    hit = hit_script()
    install(home)
    path = entry(home)
    evil = home.parent / 'evil'
    evil.write_bytes(PAYLOAD.replace(b'ours', b'evil'))
    evil.chmod(0o755)
    path.unlink()
    if bad == 'symlink':
        path.symlink_to(evil)
    elif bad == 'directory':
        path.mkdir()
    else:
        shutil.copy(evil, path)
        if bad == 'foreign_owner':
            os.chown(path, 65534, 65534)
        else:
            path.chmod(0o775)
    assert run_sh(hit, home).stdout == 'MISS\n'


@pytestmark_root
def test_a_home_that_is_not_absolute_or_missing_means_no_cache(home):
    hit = hit_script()
    install(home)
    assert run_sh(hit, pathlib.Path('relative/home'), fake=home.parent / 'fakebin').stdout == 'MISS\n'
    missing = home.parent / 'missing'
    assert run_sh(hit, missing).stdout == 'MISS\n'
    assert install(missing).stdout == '1\n' and not missing.exists()
