# Copyright (c) 2026 rstyczynski.ansible contributors
# MIT License (see LICENSE)
"""Action for async_alias: turns `job` (a registered result, or its variable name) into a jid and the
directory the job file is in, then runs the binary on the target."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction

DEFAULT_ASYNC_DIR = '~/.ansible_async'


class ActionModule(BinaryModuleAction):

    def _job_from(self, job, task_vars):
        if isinstance(job, str):
            if job not in task_vars:
                raise AnsibleActionFail("job '%s' is not a registered variable; pass the name of the variable an async "
                                        "task registered, or the result itself (job: \"{{ my_job }}\")" % job)
            job = self._templar.template(task_vars[job])
        if not isinstance(job, Mapping):
            raise AnsibleActionFail('job must be the result an async task registered (a dict), or the name of that '
                                    'variable; got %s' % type(job).__name__)
        if job.get('skipped'):
            raise AnsibleActionFail('job is the result of a skipped task: there is no job to name')
        if 'results' in job and 'ansible_job_id' not in job:
            raise AnsibleActionFail('job is the result of a loop; name one item, e.g. job: "{{ my_job.results[0] }}"')
        jid = job.get('ansible_job_id')
        if not jid:
            raise AnsibleActionFail('job has no ansible_job_id: was its task run with async and poll: 0?')
        return str(jid), job.get('results_file')

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
            args['jid'], results_file = self._job_from(job, task_vars)
            if results_file:
                # Where the wrapper actually wrote beats any recomputation.
                async_dir = posixpath.dirname(str(results_file))
        args['_async_dir'] = async_dir
        result.update(self.run_binary('async_alias', args, task_vars))
        return result
