# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_task: find the job behind a name, start it only when the name has none (or the
restart policy says so), wait, clean up.

The decision and the naming run on the host in the async_task binary, under a lock on the async
dir, so concurrent runs start one job between them. The start itself goes through ansible-core's
own async wrapper, so the job is an ordinary async job for async_status_id, async_wait and
async_kill.
"""

from __future__ import annotations

import secrets
import time

from ansible.errors import AnsibleActionFail
from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction
from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.waiting import check_numbers, check_polling, clean_up, ended, wait_for

ARGUMENT_SPEC = {
    'alias': dict(type='str', required=True),
    'shell': dict(type='str'),
    'cmd': dict(type='str'),
    'argv': dict(type='list', elements='str'),
    'chdir': dict(type='str'),
    'creates': dict(type='str'),
    'removes': dict(type='str'),
    'executable': dict(type='str'),
    'stdin': dict(type='str'),
    'async': dict(type='int', default=3600),
    'poll': dict(type='float'),
    'retries': dict(type='int', default=720),
    'delay': dict(type='float', default=5),
    'timeout': dict(type='float'),
    'hold': dict(type='float', default=60),
    'cleanup': dict(type='bool', default=True),
    'restart': dict(type='str', default='never', choices=['never', 'on_failure', 'always']),
    'record': dict(type='dict'),
}
COMMAND = ['shell', 'cmd', 'argv']
PASSED_TO_COMMAND = ('chdir', 'creates', 'removes', 'executable', 'stdin')

# A run that claimed a name and then died holds it this long; starting a job takes a few round
# trips, so two minutes leaves a wide margin without blocking a re-run for long.
CLAIM_TTL = 120
CLAIM_POLL = 1.0

# async_job_save options that async_task sets itself when it saves or removes the record.
OWN_RECORD_OPTIONS = ('ansible_job_id', 'state', 'if_absent', 'stale_claim_after', '_validate_only')


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        check_numbers(self._task.args, ('async', 'poll', 'retries', 'delay', 'timeout', 'hold'))
        args = self.validate_argument_spec(ARGUMENT_SPEC, mutually_exclusive=[COMMAND, ['poll', 'delay']],
                                           required_one_of=[COMMAND])[1]
        self._check(args)
        self._facts = {}
        self._host_args = {'alias': args['alias'], 'restart': args['restart'], '_token': secrets.token_hex(8),
                           '_claim_ttl': CLAIM_TTL,
                           '_async_dir': self.async_dir()}

        if args['record'] is not None:
            self._check_record(args, task_vars)
        decision = self._claim(task_vars)
        action = decision['action']
        job = decision.get('job') or {}
        for key in ('stdout', 'stderr'):  # the binary leaves *_lines to the controller
            if key in job and key + '_lines' not in job:
                job[key + '_lines'] = (job[key] or '').splitlines()
        names = {'ansible_job_alias': args['alias'], 'action': action}

        if action == 'dead':
            result.update(job)
            result.update(names, failed=True, changed=False,
                          msg="job %s named '%s' lost its async wrapper before it finished (pid_missing); "
                              "nothing was started. Set restart: on_failure to start it again, or inspect it and "
                              "remove it with async_status_id mode=full_cleanup" % (job.get('ansible_job_id'), args['alias']))
            return self._done(result)

        if action == 'keep':
            status = dict(job, changed=False, msg=job.get('msg') or "job %s named '%s' had already finished; "
                          "restart: %s keeps its result" % (job.get('ansible_job_id'), args['alias'], args['restart']))
            return self._finish(result, args, status, names, task_vars, started_now=False)

        if action in ('start', 'restart'):
            if self._task.check_mode:
                result.update(names, changed=True, started=False, finished=False,
                              msg="would start a job named '%s'" % args['alias'])
                return self._done(result)
            started = self._start(args, task_vars)
            jid = started['ansible_job_id']
            started_now = True
            if 'previous_job_id' in started:
                names['previous_job_id'] = started['previous_job_id']
        else:  # attach; no job when the run this one waited for started it and it is gone already
            jid = decision['ansible_job_id']
            started_now = False

        if args['record'] is not None and not self._task.check_mode:
            self._save_record(args, jid, task_vars, result)

        if args['poll'] == 0:
            if action != 'attach':
                status = started
            else:
                status = dict(job) if job else self._gone(jid, {})
            result.update(status)
            result.update(names, changed=started_now)
            return self._done(result)
        if self._task.check_mode:
            # Waiting could take hours; check mode reports what it sees now.
            result.update(job)
            result.update(names, changed=False)
            return self._done(result)

        delay = args['poll'] or args['delay']
        status_args = {'jid': jid, '_async_dir': self._host_args['_async_dir']}
        status, facts = wait_for(self, status_args, task_vars, args['retries'], delay, args['timeout'], args['hold'])
        self._facts.update(facts)
        if status.get('failed') and status.get('msg') == 'could not find job':
            status = self._gone(jid, status)
        return self._finish(result, args, status, names, task_vars, started_now)

    @staticmethod
    def _check(args):
        if args['async'] <= 0:
            raise AnsibleActionFail('async must be a positive number of seconds, the time limit of the job')
        if args['poll'] is not None and args['poll'] < 0:
            raise AnsibleActionFail('poll must be 0 (do not wait) or a positive number of seconds between polls')
        check_polling(args['retries'], args['delay'], args['hold'], args['timeout'])
        if args['argv'] is not None and not args['argv']:
            raise AnsibleActionFail('argv must name a command')

    def _host(self, mode, task_vars, **extra):
        res = self.run_binary('async_task', dict(self._host_args, _mode=mode, **extra), task_vars)
        self._facts.update(res.pop('ansible_facts', {}))
        return res

    def _claim(self, task_vars):
        """Asks the host what to do; waits while another run is starting the job."""
        deadline = time.monotonic() + CLAIM_TTL + 10
        after = {}
        while True:
            decision = self._host('claim', task_vars, **after)
            if decision.get('failed'):
                raise AnsibleActionFail(decision.get('msg') or 'async_task could not look up the job',
                                        result=decision)
            if decision.get('action') != 'wait':
                return decision
            # Once the holder has started the job, that job is ours to attach to, even if it ends
            # and is cleaned up before our next look.
            after = {'_after': decision.get('claim_holder')}
            if time.monotonic() > deadline:
                msg = ("another run has been starting the job named '%s' for %.0f s; if it died, its claim expires "
                       "after %d s" % (self._host_args['alias'], decision.get('claim_age', 0), CLAIM_TTL))
                raise AnsibleActionFail(msg)
            time.sleep(CLAIM_POLL)

    def _start(self, args, task_vars):
        """Starts the command under the async wrapper, then names it, releasing the claim.

        Returns the job's first status: jid, results_file, and the job it replaced, if any."""
        if args['shell'] is not None:
            command = {'_raw_params': args['shell'], '_uses_shell': True}
        elif args['cmd'] is not None:
            command = {'cmd': args['cmd']}
        else:
            command = {'argv': args['argv']}
        command.update((k, args[k]) for k in PASSED_TO_COMMAND if args[k] is not None)

        # _execute_module reads the time limit from the task; put it back at once, or the
        # executor would poll this task as an async task of its own.
        saved = self._task.async_val
        self._task.async_val = args['async']
        try:
            started = self._execute_module(module_name='ansible.legacy.command', module_args=command,
                                           task_vars=task_vars, wrap_async=True)
        except Exception as e:
            # The wrapper may have started the job before the error: keeping the claim until it
            # expires is better than a second start.
            raise AnsibleActionFail("starting the job named '%s' failed, and whether it started is unknown; the "
                                    "name stays claimed for %d s: %s" % (args['alias'], CLAIM_TTL, e)) from e
        finally:
            self._task.async_val = saved
        self._facts.update(started.pop('ansible_facts', None) or {})
        jid = started.get('ansible_job_id')
        if started.get('failed') or not jid:
            self._host('release', task_vars)
            raise AnsibleActionFail('the async wrapper did not start the job: %s' % (started.get('msg') or started),
                                    result=started)
        released = self._host('release', task_vars, _jid=jid)
        if released.get('failed'):
            raise AnsibleActionFail(released.get('msg'), result=released)
        out = {'started': True, 'finished': False, 'ansible_job_id': jid, 'results_file': started.get('results_file')}
        out.update((k, released[k]) for k in ('previous_job_id', 'removed', 'warnings') if k in released)
        return out

    def _check_record(self, args, task_vars):
        """Checks `record:` the way async_job_save will check it, before anything is claimed or
        started: a typo must not leave a named job running behind a failed task."""
        own = sorted(k for k in args['record'] if k in OWN_RECORD_OPTIONS)
        if own:
            raise AnsibleActionFail('record: %s cannot be set here; async_task sets %s itself'
                                    % (', '.join(own), 'it' if len(own) == 1 else 'them'))
        checked = self.run_binary('async_job_save', self._record_args(args, task_vars, _validate_only=True), task_vars,
                                  local=True)
        if checked.get('failed'):
            # The message goes into the result too: ansible-core 2.21 takes `msg` from `result`.
            msg = 'record: %s' % checked.get('msg')
            raise AnsibleActionFail(msg, result=dict(checked, msg=msg))

    def _save_record(self, args, jid, task_vars, result):
        record = self._record_args(args, task_vars, ansible_job_id=jid)
        saved = self.run_binary('async_job_save', record, task_vars, local=True)
        if saved.get('failed'):
            raise AnsibleActionFail('the job %s started, but its record was not saved: %s' % (jid, saved.get('msg')),
                                    result=saved)
        result['record'] = {k: saved.get(k) for k in ('changed', 'state_file')}

    def _finish(self, result, args, status, names, task_vars, started_now):
        """Folds the job's result into the task's; cleans up a finished job when asked."""
        # This task changed something only if it started the job, and the job says it changed.
        changed = started_now and status.get('changed', True) is not False
        status = dict(status, changed=changed)
        if args['cleanup'] and ended(status) and not status.get('pid_missing') and not status.get('result_gone'):
            clean_up(self, {'jid': status['ansible_job_id'], '_async_dir': self._host_args['_async_dir']},
                     status, task_vars, mode='full_cleanup')
            if args['record'] is not None and not self._task.check_mode:
                self._drop_record(args, task_vars, status)
        result.update(status)
        result.update(names)
        return self._done(result)

    def _drop_record(self, args, task_vars, status):
        record = self._record_args(args, task_vars, state='absent')
        record.pop('metadata', None)
        dropped = self.run_binary('async_job_save', record, task_vars, local=True)
        status['cleanup'] = dict(status.get('cleanup') or {}, record_removed=bool(dropped.get('changed')))

    @staticmethod
    def _gone(jid, status):
        """The job file vanished while this run waited: another run waiting on the same job saw it
        finish first and cleaned up. The job ran once, as asked; its result is in that run's output."""
        msg = ('job %s finished and its file was removed before this run read its result, most likely '
               'by the cleanup of another run waiting on the same job; that run reports the result' % jid)
        return {'started': True, 'finished': True, 'failed': False, 'changed': False, 'result_gone': True,
                'ansible_job_id': jid, 'attempts': status.get('attempts'), 'msg': msg, 'warnings': [msg]}

    @staticmethod
    def _record_args(args, task_vars, **extra):
        """async_job_save's options: the user's record settings, named after the alias by default."""
        record = dict(args['record'], **extra)
        record.setdefault('job_name', args['alias'])
        record.setdefault('host', task_vars.get('inventory_hostname'))
        record.setdefault('playbook_name', task_vars.get('ansible_play_name'))
        return record

    def _done(self, result):
        if self._facts:
            result.setdefault('ansible_facts', {}).update(self._facts)
        return result
