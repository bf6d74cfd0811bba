# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Unit tests of the two remote commands _run_remote sends (cached_run_command and
upload_run_command in plugins/plugin_utils/binary_module.py), run by the local POSIX sh (dash on
Debian), with a stand-in for the cache locator and a shell script for the binary."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess

import pytest

from binary_module_source import bm

SH = shutil.which('dash') or '/bin/sh'
# Shell metacharacters, a quote, a percent sign and braces: the here-document must carry them as is.
ARGS = json.dumps({'alias': "it's $HOME `id` %s 100% {x}", 'n': 1, 'multi': 'a\nb'})
# A stand-in binary: shows its argv, one variable of its environment and its stdin.
FAKE = '#!/bin/sh\necho "argv=$*"\necho "env=${RSTYCZYNSKI_UNIT:-unset}"\ncat\nexit %d\n'


def sh(command):
    # ansible-core may append `&& sleep 0` to a command; both commands must survive that.
    return subprocess.run([SH, '-c', command + ' && sleep 0'], capture_output=True, text=True, check=False)


@pytest.fixture
def binary(tmp_path):
    def make(rc=0, mode=0o755):
        path = tmp_path / 'async_probe'
        path.write_text(FAKE % rc)
        path.chmod(mode)
        return path
    return make


def locate(path):
    # What cache_locator leaves behind on success: $f, the cache entry.
    return 'f=%s' % shlex.quote(str(path))


# The exact text: the commands used to be built from positional %s; the named templates must give
# the same bytes.

def test_cached_run_command_text():
    assert bm.cached_run_command('LOCATE', 'A=1 ', '{"x": 1}') == (
        'LOCATE && [ -f "$f" ] && { A=1 "$f" - <<\'RSTYCZYNSKI_ANSIBLE_ARGS_END\'\n{"x": 1}\n'
        'RSTYCZYNSKI_ANSIBLE_ARGS_END\nrc=$?; [ $rc -eq 126 ] || { sleep 0; exit $rc; }; }; '
        'echo RSTYCZYNSKI_ANSIBLE_CACHE_MISS')


def test_upload_run_command_text():
    assert bm.upload_run_command('INSTALL', '', "'/tmp/x y/bin'", '{}') == (
        "( INSTALL ) >/dev/null 2>&1; '/tmp/x y/bin' - <<'RSTYCZYNSKI_ANSIBLE_ARGS_END'\n{}\n"
        'RSTYCZYNSKI_ANSIBLE_ARGS_END\nrc=$?; sleep 0; exit $rc')


def test_the_arguments_are_one_line_between_the_markers():
    heredoc = bm.args_heredoc(ARGS)
    assert heredoc.splitlines() == [" - <<'%s'" % bm.ARGS_END, ARGS, bm.ARGS_END]


# What the commands do

@pytest.mark.parametrize('env', ['', 'RSTYCZYNSKI_UNIT=set '])
def test_a_cache_hit_runs_the_binary_with_the_arguments_on_stdin(binary, env):
    res = sh(bm.cached_run_command(locate(binary()), env, ARGS))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ['argv=-', 'env=' + (env.strip().split('=')[1] if env else 'unset'), ARGS]


def test_a_hit_passes_the_binary_exit_code_and_never_says_miss(binary):
    res = sh(bm.cached_run_command(locate(binary(rc=3)), '', ARGS))
    assert res.returncode == 3 and bm.CACHE_MISS not in res.stdout


@pytest.mark.parametrize('case', ['locator_fails', 'no_file', 'not_executable'])
def test_a_cache_that_cannot_run_is_a_miss(binary, tmp_path, case):
    if case == 'locator_fails':
        where = 'false'
    elif case == 'no_file':
        where = locate(tmp_path / 'absent')
    else:  # exit code 126, as from a noexec home
        where = locate(binary(mode=0o644))
    res = sh(bm.cached_run_command(where, '', ARGS))
    assert res.returncode == 0 and res.stdout.splitlines()[-1] == bm.CACHE_MISS


@pytest.mark.parametrize('install', ['true', 'echo noise; echo more >&2; false'])
def test_the_upload_runs_whatever_the_install_did_and_the_install_is_silent(binary, install):
    res = sh(bm.upload_run_command(install, 'RSTYCZYNSKI_UNIT=up ', shlex.quote(str(binary(rc=4))), ARGS))
    assert res.returncode == 4
    assert res.stdout.splitlines() == ['argv=-', 'env=up', ARGS] and res.stderr == ''
