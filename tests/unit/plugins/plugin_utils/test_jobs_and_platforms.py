# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Unit tests of plugins/plugin_utils/binary_module.py: the binaries/ platform names, job_from (what
`job:` may be), and the async dir a job's results_file gives."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail

from binary_module_source import bm


# platform_name: `uname -sm`, gathered facts and os.uname() all name the same binaries/ directory.

@pytest.mark.parametrize('system, machine, expected', [
    ('Linux', 'x86_64', 'linux-x86_64'),
    ('Linux', 'amd64', 'linux-x86_64'),
    ('Linux', 'x64', 'linux-x86_64'),
    ('Linux', 'aarch64', 'linux-aarch64'),
    ('Linux', 'arm64', 'linux-aarch64'),
    ('Linux', 'armv8', 'linux-aarch64'),
    (' Linux\n', ' AMD64 ', 'linux-x86_64'),
    ('Darwin', 'arm64', 'darwin-aarch64'),
    ('FreeBSD', 'riscv64', 'freebsd-riscv64'),
])
def test_platform_names(system, machine, expected):
    assert bm.platform_name(system, machine) == expected


# job_from

class Templar:
    """Stands in for ansible's Templar: marks what it templated."""

    def template(self, value):
        return dict(value, templated=True)


JOB = {'ansible_job_id': 'j1.2', 'results_file': '/home/u/.ansible_async/j1.2', 'started': 1, 'finished': 0}


def job_from(job, task_vars=None):
    return bm.job_from(Templar(), job, task_vars or {})


def test_a_registered_result_gives_its_jid_and_results_file():
    assert job_from(JOB) == ('j1.2', '/home/u/.ansible_async/j1.2')


def test_a_variable_name_is_looked_up_and_templated():
    assert job_from('my_job', {'my_job': {'ansible_job_id': 'j9'}}) == ('j9', None)


def test_the_jid_is_a_string():
    assert job_from({'ansible_job_id': 123}) == ('123', None)


@pytest.mark.parametrize('job, task_vars, message', [
    ('nope', {}, "job 'nope' is not a registered variable"),
    (['j1'], {}, 'got list'),
    (42, {}, 'got int'),
    ('my_job', {'my_job': 'j1.2'}, 'got str'),  # a variable that holds a jid, not a result
    ({'skipped': True, 'changed': False}, {}, 'skipped task'),
    ({'results': [JOB], 'changed': True}, {}, 'result of a loop'),
    ({'changed': True, 'rc': 0}, {}, 'was its task run with async and poll: 0'),
    ({'ansible_job_id': ''}, {}, 'has no ansible_job_id'),
])
def test_what_cannot_name_a_job_says_why(job, task_vars, message):
    class PlainTemplar:
        def template(self, value):
            return value

    with pytest.raises(AnsibleActionFail, match=message.replace('(', r'\(')):
        bm.job_from(PlainTemplar(), job, task_vars)


# The async dir: one rule for every action.

class Action(bm.BinaryModuleAction):
    def run(self, tmp=None, task_vars=None):
        return {}

    def get_shell_option(self, option, default=None):
        return self.shell_options.get(option, default)


def action(**shell_options):
    a = Action.__new__(Action)
    a.shell_options = shell_options
    a._templar = Templar()
    return a


def test_the_async_dir_is_the_shell_option_left_unexpanded():
    assert action().async_dir() == '~/.ansible_async'
    assert action(async_dir='~/elsewhere').async_dir() == '~/elsewhere'


def test_where_the_wrapper_wrote_beats_the_shell_option():
    assert action(async_dir='/x').async_dir('/srv/async/j1.2') == '/srv/async'
    assert action(async_dir='/x').async_dir(None) == '/x'


def test_job_args_name_the_jid_and_the_directory_of_its_file():
    a = action(async_dir='/x')
    assert a.job_args(JOB, {}) == {'jid': 'j1.2', '_async_dir': '/home/u/.ansible_async'}
    assert a.job_args({'ansible_job_id': 'j3'}, {}) == {'jid': 'j3', '_async_dir': '/x'}
