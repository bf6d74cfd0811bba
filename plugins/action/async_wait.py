# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_wait: holds async_status_id on the target until the job ends (one round trip
per `hold` seconds), failing at once when the job failed, was killed or lost its wrapper, then
cleans up."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction
from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.waiting import check_numbers, check_polling, clean_up, ended, wait_for

ARGUMENT_SPEC = dict(
    jid=dict(type='str'),
    alias=dict(type='str'),
    job=dict(type='raw'),
    retries=dict(type='int', default=100),
    delay=dict(type='float', default=5),
    timeout=dict(type='float'),
    hold=dict(type='float', default=60),
    cleanup=dict(type='bool', default=True),
)
ONE_OF = [['jid', 'alias', 'job']]


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        check_numbers(self._task.args, ('retries', 'delay', 'timeout', 'hold'))
        args = self.validate_argument_spec(ARGUMENT_SPEC, mutually_exclusive=ONE_OF, required_one_of=ONE_OF)[1]
        retries, delay, timeout, cleanup = args['retries'], args['delay'], args['timeout'], args['cleanup']
        check_polling(retries, delay, args['hold'], timeout)

        if args.get('job') is not None:
            status_args = self.job_args(args['job'], task_vars)
        elif args.get('alias') is not None:
            status_args = {'alias': args['alias'], '_async_dir': self.async_dir()}
        else:
            status_args = {'jid': args['jid'], '_async_dir': self.async_dir()}

        status, facts = wait_for(self, status_args, task_vars, retries, delay, timeout, args['hold'])
        # As the original: clean up after success, and after a finished or killed job when asked.
        if cleanup and ended(status):
            clean_up(self, status_args, status, task_vars)
        if facts:
            status['ansible_facts'] = facts
        result.update(status)
        return result
