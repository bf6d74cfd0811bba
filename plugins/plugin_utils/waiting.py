# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Waiting for a job and cleaning up after it: shared by async_wait and async_task."""

from __future__ import annotations

import math
import time

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure

# async_status_id refuses a longer `wait` (jobs::MAX_WAIT): one round trip holds at most this.
MAX_HOLD = 3600
# A connection that drops during a held wait is tried again this many times, after these pauses
# (seconds); a host that stays unreachable ends the task unreachable, as Ansible does.
RECONNECT_PAUSES = (1, 2, 4)


def check_polling(retries, delay, hold=0, timeout=None):
    """The option checks every waiting module makes, with the same messages."""
    # A NaN compares false with everything, so it would pass the range checks below and lift the
    # bound it stands for; inf would do the same for timeout.
    for name, value in (('delay', delay), ('hold', hold), ('timeout', timeout)):
        if value is not None and not math.isfinite(value):
            raise AnsibleActionFail('%s must be a finite number of seconds, got %s' % (name, value))
    if delay <= 0:
        raise AnsibleActionFail('delay must be greater than 0')
    if retries < 0:
        raise AnsibleActionFail('retries must not be negative')
    if not 0 <= hold <= MAX_HOLD:
        raise AnsibleActionFail('hold must be between 0 and %d seconds (0 polls every delay seconds), got %s'
                                % (MAX_HOLD, hold))
    if timeout is not None and timeout <= 0:
        raise AnsibleActionFail('timeout must be greater than 0, got %s' % timeout)


def check_numbers(task_args, names):
    """Refuses a number option given as text that is not a number, before validate_argument_spec
    would: its message names the value's class, which on ansible-core 2.19+ is the private
    _AnsibleTaggedStr."""
    for name in names:
        value = task_args.get(name)
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                raise AnsibleActionFail('%s must be a number of seconds or a count, got %r' % (name, str(value))) from None


def status_of(action, make_args, task_vars, deadline=None):
    """One async_status_id call; a dropped connection is tried again (the call only reads).

    make_args() gives the call's arguments anew for each attempt, so a held wait retried after a
    drop holds only the time still left; no attempt starts after `deadline` (time.monotonic()).
    """
    for pause in RECONNECT_PAUSES + (None,):
        try:
            return action.run_binary('async_status_id', make_args(), task_vars)
        except AnsibleConnectionFailure as e:
            if pause is None or (deadline is not None and time.monotonic() + pause >= deadline):
                raise
            action._display.warning('lost the connection while waiting for the job (%s); trying again in %d s'
                                    % (str(e).splitlines()[0] if str(e) else type(e).__name__, pause))
            time.sleep(pause)
            reset = getattr(action._connection, 'reset', None)
            if reset is not None:
                try:
                    reset()
                except Exception:  # pylint: disable=broad-exception-caught
                    pass  # the next attempt reconnects anyway; a failed reset says nothing new
    raise AssertionError('unreachable')  # pragma: no cover


def wait_for(action, status_args, task_vars, retries, delay, timeout=None, hold=0):
    """Waits for the job until it ends, fails, or time or attempts run out.

    hold > 0: each round trip is one held wait on the host (async_status_id `wait`) of up to
    `hold` seconds, cut to the time left; the whole wait lasts at most `timeout`, or
    retries x delay seconds when no timeout is set (the bound polling had).
    hold == 0: polls every `delay` seconds, at most retries + 1 times, within `timeout`.

    Returns (status, facts). A failed status ends the wait at once: a failed, killed or
    dead-wrapper job cannot finish later, so waiting out the retries would only hide it.
    """
    started = time.monotonic()
    budget = timeout if timeout is not None else retries * delay
    facts = {}
    attempt = 0

    def args():
        if hold <= 0:
            return status_args
        left = budget - (time.monotonic() - started)
        return dict(status_args, wait=round(max(0.0, min(hold, left)), 3))

    deadline = started + budget if timeout is not None or hold > 0 else None
    while True:
        attempt += 1
        status = status_of(action, args, task_vars, deadline=deadline)
        facts.update(status.pop('ansible_facts', {}))
        if 'alias' in status_args and not status.get('started') and not status.get('failed'):
            status.update(failed=True, msg="no job is named '%s'" % status_args['alias'])
        if status.get('failed') or status.get('finished'):
            break
        elapsed = time.monotonic() - started
        if hold > 0:
            if elapsed >= budget:
                status.update(failed=True, msg=('Job did not finish within %s seconds.' % timeout if timeout is not None
                                                else 'Ran out of attempts: the job did not finish within retries x '
                                                     'delay = %s seconds; set timeout to wait longer.' % budget))
                break
            continue
        if timeout is not None and elapsed + delay > timeout:
            status.update(failed=True, msg='Job did not finish within %s seconds.' % timeout)
            break
        if attempt > retries:
            status.update(failed=True, msg='Ran out of attempts.')
            break
        time.sleep(delay)
    status['attempts'] = attempt
    return status, facts


def ended(status):
    return bool(status.get('started') and (status.get('finished') or status.get('killed')))


def clean_up(action, status_args, status, task_vars, mode='cleanup'):
    """Removes a finished or killed job's files (the original's rule) and records what it did in
    status['cleanup']. The task's `changed` stays the job's own, as the builtin's polled async
    task reports it: removing the job's bookkeeping is not a change of the host."""
    erased = action.run_binary('async_status_id', dict(status_args, mode=mode), task_vars)
    erased.pop('ansible_facts', None)
    status['cleanup'] = {k: erased.get(k) for k in ('removed', 'msg')}
    # By jid, mode=cleanup says changed: false as the builtin does, even when it removed the job
    # file; what was removed is what the cleanup changed.
    status['cleanup']['changed'] = bool(erased.get('removed'))
    return status
