# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# The job service's side channel: it must also load by its short name from a plain directory in
# ANSIBLE_CALLBACK_PLUGINS, so it imports nothing of this collection.

from __future__ import annotations

DOCUMENTATION = r"""
name: job_events
type: notification
short_description: Writes the play's events and per-host stats as JSON lines to a file descriptor
version_added: "1.1.0"
description:
  - Writes one JSON object per line to the file descriptor O(fd), flushed line by line, while the
    play runs. The job service (C(ansible-job-service)) enables it for the playbooks it runs and
    reads the lines from a pipe; the normal output of ansible-playbook is left as it is.
  - Every line has C(event) (the callback's name, for example C(runner_on_ok)), C(time) (UTC,
    ISO 8601 with microseconds, C(Z)) and C(counter) (1, 2, 3, ... in the order written).
  - C(playbook_on_start) has C(playbook); C(playbook_on_play_start) has C(play);
    C(playbook_on_task_start) and C(playbook_on_handler_task_start) have C(play), C(task) and
    C(action).
  - C(runner_on_ok), C(runner_on_failed), C(runner_on_skipped), C(runner_on_unreachable) and the
    loop variants C(runner_item_on_ok), C(runner_item_on_failed), C(runner_item_on_skipped) have
    C(host), C(play), C(task), C(action) and C(changed); loop variants add C(item), the loop label
    cut to 256 characters. Failures add C(msg) (cut to 4 KiB), and C(rc) and the last 4 KiB of
    C(stderr) when the result has them; C(runner_on_failed) adds C(ignore_errors).
  - C(play), C(task), C(host), C(action) and C(playbook) are cut to 1 KiB each, so that a
    templated name of any length cannot make a line too long for the reader. The host names of
    C(stats) are kept whole, as in C(PLAY RECAP).
  - Nothing of a C(no_log) result is written but its C(msg), which is then ansible's
    "the output has been hidden" message.
  - C(playbook_on_stats) has C(stats), per host
    C({"ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored"}), for every host
    the run processed.
  - The descriptor is made close-on-exec, so processes started by the play do not hold it open
    and the reader sees the end of the stream when ansible-playbook exits.
  - When O(fd) is not open for writing, was not passed to ansible-playbook by its parent, or the
    reader goes away, the plugin warns once and writes nothing more; the play goes on.
requirements:
  - Enable it in C(callbacks_enabled) (V(rstyczynski.ansible.job_events)), or as V(job_events)
    from a directory in C(ANSIBLE_CALLBACK_PLUGINS).
options:
  fd:
    description:
      - The file descriptor to write to, as inherited from the process that started
        ansible-playbook. 0, 1 and 2 are refused.
    type: int
    default: 3
    env:
      - name: JOB_EVENTS_FD
author:
  - Ryszard Styczynski (@rstyczynski)
"""

import datetime
import fcntl
import json
import os

from ansible.plugins.callback import CallbackBase

NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
MSG_MAX = 4096
STDERR_MAX = 4096
ITEM_MAX = 256
# Names are templated (a task named "{{ big_var }}"): cut, so no line outgrows its reader.
NAME_MAX = 1024
# The seed's per-host shape, in its order.
STATS_KEYS = ('ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored')


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _text(value):
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _head(text, limit):
    # Cut on a UTF-8 boundary so the line stays valid JSON text of at most `limit` bytes.
    return text.encode('utf-8', 'replace')[:limit].decode('utf-8', 'ignore')


def _tail(text, limit):
    return text.encode('utf-8', 'replace')[-limit:].decode('utf-8', 'ignore')


def _name(value):
    return None if value is None else _head(_text(value), NAME_MAX)


def _result_parts(result):
    # 2.19+ hands callbacks `result.result`/`.host`/`.task` and plans to deprecate the underscored
    # names; 2.15 has only those.
    res = getattr(result, 'result', None)
    if res is None:
        res = result._result
    host = getattr(result, 'host', None) or result._host
    task = getattr(result, 'task', None) or result._task
    return res, host, task


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'rstyczynski.ansible.job_events'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, options=None):
        super().__init__(display=display, options=options)
        self._fd = None
        self._claimed = False
        self._counter = 0
        self._play = None

    def set_options(self, task_keys=None, var_options=None, direct=None):
        try:
            super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
            fd = self.get_option('fd')
        except Exception as e:  # pylint: disable=broad-exception-caught
            # A bad JOB_EVENTS_FD must not stop the play: this plugin only reports on it.
            self._disable('its option fd is not valid (%s)' % e)
            return
        if self._claimed:
            return
        self._claimed = True
        self._fd = self._open(fd)

    def _open(self, fd):
        if not isinstance(fd, int) or fd < 3:
            self._disable('fd %r is not a descriptor it may write to (3 or higher)' % (fd,))
            return None
        try:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            # Python opens its own files close-on-exec (PEP 446): an fd that is not was inherited.
            # Started without an fd 3, ansible-playbook's own fd 3 is at times a pipe of its
            # multiprocessing queues; writing there would corrupt its results.
            inherited = os.get_inheritable(fd)
        except OSError as e:
            self._disable('fd %d is not open (%s)' % (fd, e.strerror))
            return None
        if not inherited:
            self._disable('fd %d was not passed to ansible-playbook' % fd)
            return None
        if flags & os.O_ACCMODE not in (os.O_WRONLY, os.O_RDWR):
            self._disable('fd %d is not open for writing' % fd)
            return None
        try:
            # Modules and async wrappers started by the play must not keep the reader's pipe open.
            os.set_inheritable(fd, False)
        except OSError as e:
            self._disable('fd %d cannot be made close-on-exec (%s)' % (fd, e.strerror))
            return None
        return fd

    def _disable(self, why):
        self._fd = None
        self._claimed = True
        self._display.warning('job_events: %s; no events are written.' % why)

    def _emit(self, event, **fields):
        if self._fd is None:
            return
        self._counter += 1
        line = {'event': event, 'time': _now(), 'counter': self._counter}
        line.update(fields)
        data = (json.dumps(line, default=str, ensure_ascii=False) + '\n').encode('utf-8', 'replace')
        try:
            while data:
                data = data[os.write(self._fd, data):]
        except OSError as e:
            fd, self._fd = self._fd, None
            self._display.warning('job_events: writing to fd %d failed (%s); no more events are written.'
                                  % (fd, e.strerror))

    def _host_event(self, event, result, failed=False, item=False, **extra):
        res, host, task = _result_parts(result)
        hidden = bool(res.get('_ansible_no_log')) or bool(getattr(task, 'no_log', False))
        fields = {'host': _name(host.get_name()), 'play': self._play, 'task': _name(task.get_name()),
                  'action': _name(task.action),
                  'changed': bool(res.get('changed', False))}
        if item and not hidden:
            label = res.get('_ansible_item_label', res.get('item'))
            if label is not None:
                fields['item'] = _head(_text(label), ITEM_MAX)
        if failed:
            if hidden:
                fields['msg'] = NO_LOG_MSG
            else:
                if 'msg' in res:
                    fields['msg'] = _head(_text(res['msg']), MSG_MAX)
                if isinstance(res.get('rc'), int):
                    fields['rc'] = res['rc']
                stderr = res.get('stderr') or res.get('module_stderr')
                if stderr:
                    fields['stderr'] = _tail(_text(stderr), STDERR_MAX)
        fields.update(extra)
        self._emit(event, **fields)

    def v2_playbook_on_start(self, playbook):
        self._emit('playbook_on_start', playbook=_name(getattr(playbook, '_file_name', None)))

    def v2_playbook_on_play_start(self, play):
        self._play = _name(play.get_name())
        self._emit('playbook_on_play_start', play=self._play)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit('playbook_on_task_start', play=self._play, task=_name(task.get_name()), action=_name(task.action))

    def v2_playbook_on_handler_task_start(self, task):
        self._emit('playbook_on_handler_task_start', play=self._play, task=_name(task.get_name()),
                   action=_name(task.action))

    def v2_runner_on_ok(self, result):
        self._host_event('runner_on_ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._host_event('runner_on_failed', result, failed=True, ignore_errors=bool(ignore_errors))

    def v2_runner_on_skipped(self, result):
        self._host_event('runner_on_skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._host_event('runner_on_unreachable', result, failed=True)

    def v2_runner_item_on_ok(self, result):
        self._host_event('runner_item_on_ok', result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._host_event('runner_item_on_failed', result, failed=True, item=True)

    def v2_runner_item_on_skipped(self, result):
        self._host_event('runner_item_on_skipped', result, item=True)

    def v2_playbook_on_stats(self, stats):
        per_host = {}
        for host in sorted(stats.processed):
            counts = stats.summarize(host)
            per_host[host] = {key: counts.get(key, 0) for key in STATS_KEYS}
        self._emit('playbook_on_stats', stats=per_host)
