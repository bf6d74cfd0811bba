# Copyright (c) 2026 rstyczynski.ansible contributors
# MIT License (see LICENSE)
"""Action for async_wait: polls async_status_id on the target until the job ends, failing at
once when the job failed, was killed or lost its wrapper, then cleans up."""

from __future__ import annotations

import posixpath
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import DEFAULT_ASYNC_DIR, BinaryModuleAction, job_from

OPTIONS = ('jid', 'alias', 'job', 'retries', 'delay', 'timeout', 'cleanup')


def number(args, key, default, kind):
    value = args.get(key, default)
    try:
        return None if value is None else kind(value)
    except (TypeError, ValueError):
        raise AnsibleActionFail("argument '%s' must be a number, got %r" % (key, value)) from None


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        unknown = sorted(set(args) - set(OPTIONS))
        if unknown:
            raise AnsibleActionFail('Unsupported parameters for (rstyczynski.ansible.async_wait) module: %s. '
                                    'Supported parameters include: %s.' % (', '.join(unknown), ', '.join(sorted(OPTIONS))))
        given = [k for k in ('jid', 'alias', 'job') if args.get(k) is not None]
        if len(given) != 1:
            raise AnsibleActionFail('exactly one of the following is required: jid, alias, job' if not given
                                    else 'parameters are mutually exclusive: %s' % '|'.join(given))
        retries = number(args, 'retries', 100, int)
        delay = number(args, 'delay', 5, float)
        timeout = number(args, 'timeout', None, float)
        cleanup = boolean(args.get('cleanup', True), strict=True)
        if delay <= 0:
            raise AnsibleActionFail('delay must be greater than 0')
        if retries < 0:
            raise AnsibleActionFail('retries must not be negative')

        status_args = {'_async_dir': self.get_shell_option('async_dir', default=DEFAULT_ASYNC_DIR)}
        if args.get('job') is not None:
            jid, results_file = job_from(self._templar, args['job'], task_vars)
            status_args['jid'] = jid
            if results_file:
                status_args['_async_dir'] = posixpath.dirname(str(results_file))
        elif args.get('alias') is not None:
            status_args['alias'] = args['alias']
        else:
            status_args['jid'] = args['jid']

        started = time.monotonic()
        facts = {}
        for attempt in range(1, retries + 2):
            status = self.run_binary('async_status_id', status_args, task_vars)
            facts.update(status.pop('ansible_facts', {}))
            if 'alias' in status_args and not status.get('started') and not status.get('failed'):
                status.update(failed=True, msg="no job is named '%s'" % status_args['alias'])
            if status.get('failed') or status.get('finished'):
                break
            if timeout is not None and time.monotonic() - started + delay > timeout:
                status.update(failed=True, msg='Job did not finish within %s seconds.' % timeout)
                break
            if attempt <= retries:
                time.sleep(delay)
        else:
            status.update(failed=True, msg='Ran out of attempts.')
        status['attempts'] = attempt

        # As the original: clean up after success, and after a finished or killed job when asked.
        ended = status.get('finished') or status.get('killed')
        if cleanup and ended and status.get('started'):
            erased = self.run_binary('async_status_id', dict(status_args, mode='cleanup'), task_vars)
            status['cleanup'] = {k: erased.get(k) for k in ('changed', 'removed', 'msg')}
            status['changed'] = bool(status.get('changed')) or bool(erased.get('changed'))
        if facts:
            status['ansible_facts'] = facts
        result.update(status)
        return result
