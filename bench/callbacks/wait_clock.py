# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Notes when the controller got the result of a task named 'Wait ...' (bench/wait_latency.py):
the moment the wait returned, without the next task's start-up in it."""

from __future__ import annotations

import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: wait_clock
type: aggregate
short_description: Writes the time a wait task's result arrived to $WAIT_CLOCK_FILE
description: Used by bench/wait_latency.py only.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'wait_clock'
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_ok(self, result):
        now = time.time()
        if result._task.get_name().startswith('Wait') and os.environ.get('WAIT_CLOCK_FILE'):
            with open(os.environ['WAIT_CLOCK_FILE'], 'w', encoding='utf-8') as f:
                f.write(repr(now))
