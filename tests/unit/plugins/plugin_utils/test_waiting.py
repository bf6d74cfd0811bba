# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""plugins/plugin_utils/waiting.py on a fake clock: the bounds of a held wait when the connection
drops, and the option checks that stand for those bounds."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest
from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure

SOURCE = pathlib.Path(__file__).resolve().parents[4] / 'plugins' / 'plugin_utils' / 'waiting.py'


def load():
    spec = importlib.util.spec_from_file_location('rstyczynski_waiting', SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Clock:
    """time.monotonic and time.sleep of the module under test: sleeping moves the clock."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Action:
    """A host whose job never ends: each call holds what it was asked to; `drops` lists the calls
    (1-based) whose connection drops after 80 % of their hold."""

    def __init__(self, clock, drops):
        self.clock, self.drops, self.calls = clock, drops, []
        self._connection = None
        self._display = type('Display', (), {'warning': lambda self, msg: None})()

    def run_binary(self, name, args, task_vars):
        assert name == 'async_status_id'
        self.calls.append((self.clock.now, args.get('wait')))
        hold = args.get('wait') or 0
        if len(self.calls) in self.drops:
            self.clock.sleep(hold * 0.8)
            raise AnsibleConnectionFailure('ssh: connection dropped')
        self.clock.sleep(hold)
        return {'started': True, 'finished': False}


@pytest.fixture
def waiting(monkeypatch):
    module = load()
    clock = Clock()
    monkeypatch.setattr(module, 'time', clock)
    return module, clock


def test_a_held_wait_retried_after_a_drop_holds_only_the_time_left(waiting):
    module, clock = waiting
    action = Action(clock, drops={1})
    start = clock.now
    status, _facts = module.wait_for(action, {'jid': 'j1.1'}, {}, retries=100, delay=5, timeout=10, hold=10)
    assert status['failed'] and 'within 10 seconds' in status['msg'], status
    # The retry (after the 1 s pause) asks for what is left of the 10 s, not another 10 s.
    assert [held for _at, held in action.calls] == [10, pytest.approx(1.0)], action.calls
    assert clock.now - start <= 10 + 1e-9


def test_no_retry_starts_after_the_deadline(waiting):
    module, clock = waiting
    action = Action(clock, drops={1, 2, 3, 4})
    with pytest.raises(AnsibleConnectionFailure):
        module.wait_for(action, {'jid': 'j1.1'}, {}, retries=100, delay=5, timeout=3, hold=3)
    assert all(at < 100 + 3 for at, _held in action.calls), action.calls


@pytest.mark.parametrize('option', ['delay', 'hold', 'timeout'])
@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_a_number_that_is_not_finite_is_refused(option, value):
    module = load()
    given = {'retries': 1, 'delay': 5.0, 'hold': 60.0, 'timeout': None, option: value}
    with pytest.raises(AnsibleActionFail, match='%s must be a finite number' % option):
        module.check_polling(**given)
