# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_alias: turns `job` (a registered result, or its variable name) into a jid and the
directory the job file is in, then runs the binary on the target."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction

ARGUMENT_SPEC = dict(
    alias=dict(type='str', required=True),
    jid=dict(type='str'),
    job=dict(type='raw'),
    force=dict(type='bool', default=False),
)
ONE_OF = [['jid', 'job']]


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self.validate_argument_spec(ARGUMENT_SPEC, mutually_exclusive=ONE_OF, required_one_of=ONE_OF)[1]
        job = args.pop('job')
        if job is None:
            args['_async_dir'] = self.async_dir()
        else:
            args.update(self.job_args(job, task_vars))
        result.update(self.run_binary('async_alias', args, task_vars))
        return result
