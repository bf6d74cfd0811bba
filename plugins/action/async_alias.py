# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_alias: turns `job` (a registered result, or its variable name) into a jid and the
directory the job file is in, then runs the binary on the target."""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleActionFail
from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import DEFAULT_ASYNC_DIR, BinaryModuleAction, job_from


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        job = args.pop('job', None)
        if job is not None and args.get('jid') is not None:
            raise AnsibleActionFail('parameters are mutually exclusive: jid|job')
        if job is None and args.get('jid') is None:
            raise AnsibleActionFail('one of the following is required: jid, job')
        async_dir = self.get_shell_option('async_dir', default=DEFAULT_ASYNC_DIR)
        if job is not None:
            args['jid'], results_file = job_from(self._templar, job, task_vars)
            if results_file:
                # Where the wrapper actually wrote beats any recomputation.
                async_dir = posixpath.dirname(str(results_file))
        args['_async_dir'] = async_dir
        result.update(self.run_binary('async_alias', args, task_vars))
        return result
