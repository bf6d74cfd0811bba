# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Test helper callback: appends every result of a task of this collection, as ansible-core hands it
to callbacks, to the JSON-lines file named by RECORD_RESULTS_FILE. tests/e2e/test_return_docs.py
compares the keys with each module's RETURN."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

PREFIX = 'rstyczynski.ansible.'


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record_results'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        task = result._task
        action = getattr(task, 'resolved_action', None) or task.action
        if not action.startswith(PREFIX):
            return
        line = {'module': action[len(PREFIX):], 'status': status, 'host': result._host.get_name(),
                'task': task.get_name(), 'result': result._result}
        with open(os.environ['RECORD_RESULTS_FILE'], 'a', encoding='utf-8') as f:
            f.write(json.dumps(line, default=repr) + '\n')

    def _whole(self, result, status):
        # A loop's own result only gathers its items, which are recorded one by one.
        if not result._task.loop:
            self._record(result, status)

    def v2_runner_on_ok(self, result):
        self._whole(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._whole(result, 'failed')

    def v2_runner_item_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_item_on_failed(self, result):
        self._record(result, 'failed')
