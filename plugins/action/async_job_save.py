# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_job_save: job records belong to the controller (or the cloud), so the binary
runs on the controller whatever the task's host; host and playbook_name default to the task's."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction


class RecordAction(BinaryModuleAction):
    MODULE = ''

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        if args.get('host') is None:
            args['host'] = task_vars.get('inventory_hostname')
        if args.get('playbook_name') is None:
            args['playbook_name'] = task_vars.get('ansible_play_name')
        result.update(self.run_binary(self.MODULE, args, task_vars, local=True))
        return result


class ActionModule(RecordAction):
    MODULE = 'async_job_save'
