# Copyright (c) 2026 rstyczynski.ansible contributors
# MIT License (see LICENSE)
"""Runs this collection's Rust module binaries on a target.

The binaries live outside plugins/modules (in <collection>/bin/<system>-<arch>/) so that
ansible-doc and ansible-test never read an ELF file as a module. This action base picks the binary
for the target's platform, ships it with its args file, runs it (become applies) and parses the
single JSON object it prints.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    from ansible.vars.clean import remove_internal_keys
except ImportError:  # pragma: no cover
    def remove_internal_keys(data):
        for key in [k for k in data if k.startswith('_ansible_')]:
            del data[key]

COLLECTION = 'rstyczynski.ansible'
DEFAULT_ASYNC_DIR = '~/.ansible_async'
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.path.join(COLLECTION_ROOT, 'bin')

# Facts survive from task to task within a run; worker processes do not, so a module-level cache
# would be lost after every task. One `uname` per target per run is the cost.
PLATFORM_FACT = 'rstyczynski_ansible_platforms'

_ARCH_NAMES = {'amd64': 'x86_64', 'x64': 'x86_64', 'arm64': 'aarch64', 'armv8': 'aarch64'}


def platform_name(system, machine):
    """'Linux', 'amd64' -> 'linux-x86_64': the bin/ directory naming."""
    machine = machine.strip().lower()
    return '%s-%s' % (system.strip().lower(), _ARCH_NAMES.get(machine, machine))


def available_platforms():
    try:
        return sorted(d for d in os.listdir(BIN_DIR) if os.path.isdir(os.path.join(BIN_DIR, d)))
    except OSError:
        return []


def _json_default(value):
    # Tagged or custom scalars from templating: send what Python would print.
    return str(value)


class BinaryModuleAction(ActionBase):
    """Base for actions backed by one of our binaries."""

    _supports_check_mode = True
    # Status polls and aliases are instant; running them under `async:` would only hide errors.
    _supports_async = False

    def _target_key(self):
        pc = self._play_context
        return '%s@%s:%s' % (getattr(pc, 'remote_user', '') or '', getattr(pc, 'remote_addr', '') or '',
                             getattr(pc, 'port', '') or '')

    def target_platform(self, task_vars):
        """Returns (platform, facts_to_return). Probes the target at most once per run."""
        if getattr(self._connection, '_remote_is_local', False):
            uname = os.uname()
            return platform_name(uname.sysname, uname.machine or platform.machine()), {}
        facts = task_vars.get('ansible_facts') or {}
        if not self._task.delegate_to and facts.get('system') and facts.get('architecture'):
            return platform_name(facts['system'], facts['architecture']), {}
        known = dict(facts.get(PLATFORM_FACT) or task_vars.get(PLATFORM_FACT) or {})
        key = self._target_key()
        if key in known:
            return known[key], {}
        res = self._low_level_execute_command('uname -sm', sudoable=False)
        words = (res.get('stdout') or '').split()
        if res.get('rc') != 0 or len(words) != 2:
            raise AnsibleActionFail('could not tell the target platform: `uname -sm` gave rc=%s, stdout=%r, stderr=%r'
                                    % (res.get('rc'), res.get('stdout'), res.get('stderr')))
        known[key] = platform_name(*words)
        return known[key], {PLATFORM_FACT: known}

    def binary_for(self, name, plat):
        path = os.path.join(BIN_DIR, plat, name)
        if not os.path.isfile(path):
            have = available_platforms()
            raise AnsibleActionFail(
                'module %s.%s has no binary for the target platform %s; this collection has binaries for: %s. '
                'Build them with `make build` in the collection source.'
                % (COLLECTION, name, plat, ', '.join(have) if have else 'none (bin/ is empty)'))
        return path

    def run_binary(self, name, module_args, task_vars, local=False):
        """Runs bin/<platform>/<name> with module_args; returns the parsed result dict.

        local=True runs it on the controller whatever the task's host (job records live there).
        """
        module_args = dict(module_args)
        fqcn = '%s.%s' % (COLLECTION, name)
        self._update_module_args(fqcn, module_args, task_vars)
        if local:
            uname = os.uname()
            result = self._run_on_controller(self.binary_for(name, platform_name(uname.sysname, uname.machine)),
                                             module_args)
            facts = {}
        else:
            plat, facts = self.target_platform(task_vars)
            binary = self.binary_for(name, plat)
            if getattr(self._connection, '_remote_is_local', False) and not self._play_context.become:
                result = self._run_here(binary, module_args)
            else:
                result = self._run_remote(binary, name, module_args)
        if facts:
            result.setdefault('ansible_facts', {}).update(facts)
        return result

    def _run_here(self, binary, module_args):
        """Same machine, same user: no copies, just the binary and an args file."""
        fd, args_path = tempfile.mkstemp(prefix='rstyczynski-ansible-args-')
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump(module_args, f, default=_json_default)
            cmd = self._connection._shell.build_module_command(
                self._compute_environment_string(), '', binary, arg_path=args_path)
            res = self._low_level_execute_command(cmd, sudoable=False)
        finally:
            os.unlink(args_path)
        return self._parse(res)

    def _run_on_controller(self, binary, module_args):
        """On the controller as the controller's user, in ansible-playbook's working directory,
        whatever the task's connection and become settings."""
        fd, args_path = tempfile.mkstemp(prefix='rstyczynski-ansible-args-')
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump(module_args, f, default=_json_default)
            proc = subprocess.run([binary, args_path], capture_output=True, check=False)
        finally:
            os.unlink(args_path)
        return self._parse({'rc': proc.returncode, 'stdout': proc.stdout.decode('utf-8', 'replace'),
                            'stderr': proc.stderr.decode('utf-8', 'replace')})

    def _run_remote(self, binary, name, module_args):
        shell = self._connection._shell
        created_tmp = shell.tmpdir is None
        tmpdir = shell.tmpdir or self._make_tmp_path()
        try:
            remote_bin = shell.join_path(tmpdir, name)
            remote_args = shell.join_path(tmpdir, 'args')
            self._transfer_file(binary, remote_bin)
            self._transfer_data(remote_args, json.dumps(module_args, default=_json_default))
            self._fixup_perms2([tmpdir, remote_bin, remote_args], self._get_remote_user())
            cmd = shell.build_module_command(self._compute_environment_string(), '', remote_bin, arg_path=remote_args)
            res = self._low_level_execute_command(cmd, sudoable=True)
        finally:
            if created_tmp:
                self._remove_tmp_path(tmpdir)
        return self._parse(res)

    def _parse(self, res):
        try:
            data = self._parse_returned_data(res, 'legacy')
        except TypeError:  # ansible-core < 2.19 takes no profile
            data = self._parse_returned_data(res)
        remove_internal_keys(data)
        for key in ('stdout', 'stderr'):
            if key in data and key + '_lines' not in data:
                data[key + '_lines'] = (data.get(key) or '').splitlines()
        return data


class AsyncDirAction(BinaryModuleAction):
    """Runs MODULE on the target with the async dir the async wrapper used.

    The source is the builtin async_status's: the shell's async_dir option (ANSIBLE_ASYNC_DIR,
    [defaults] async_dir, ansible_async_dir). `~` is expanded on the target by the binary, as the
    (become) user the wrapper ran as: that lands where the wrapper wrote and saves a remote
    round trip per poll.
    """

    MODULE = ''

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        args['_async_dir'] = self.get_shell_option('async_dir', default=DEFAULT_ASYNC_DIR)
        result.update(self.run_binary(self.MODULE, args, task_vars or {}))
        return result


def job_from(templar, job, task_vars):
    """The jid and results_file of `job`: a registered async result, or the name of one."""
    if isinstance(job, str):
        if job not in task_vars:
            raise AnsibleActionFail("job '%s' is not a registered variable; pass the name of the variable an async "
                                    "task registered, or the result itself (job: \"{{ my_job }}\")" % job)
        job = templar.template(task_vars[job])
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
