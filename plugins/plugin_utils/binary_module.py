# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Runs this collection's Rust module binaries on a target.

The binaries live in <collection>/binaries/<system>-<arch>/, where neither ansible-doc nor
ansible-test reads them as code: not in plugins/modules (module files), not in bin/ (ansible-test's
compile, pep8 and pylint take every file under bin/ for a Python script; docs/design.md says more).
This action base picks the binary for the target's platform, runs it and parses the single JSON
object it prints. Every binary reads its arguments as JSON on stdin (`<binary> -`); no args file is
written. It runs:

- on the controller, in place, with subprocess and the JSON piped in: the job-record modules
  always, and any module under connection local without become (_run_on_controller);
- everywhere else from a per-user cache on the target, in one remote command that carries the
  JSON in a here-document; become applies. On a miss the binary is uploaded once through
  Ansible's tmpdir machinery and the same command installs it into the cache (_run_remote).
"""

from __future__ import annotations

import json
import os
import hashlib
import platform
import posixpath
import shlex
import subprocess
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

COLLECTION = 'rstyczynski.ansible'
DEFAULT_ASYNC_DIR = '~/.ansible_async'
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.path.join(COLLECTION_ROOT, 'binaries')

# Facts survive from task to task within a run; worker processes do not, so a module-level cache
# would be lost after every task. One `uname` per target per run is the cost.
PLATFORM_FACT = 'rstyczynski_ansible_platforms'

# Binaries are cached on targets in the home of the user they run as, one directory per build,
# so a new collection version never runs an old binary.
CACHE_DIR = 'rstyczynski_ansible'  # in ~/.ansible
PASSWD = '/etc/passwd'
CACHE_MISS = 'RSTYCZYNSKI_ANSIBLE_CACHE_MISS'
ARGS_END = 'RSTYCZYNSKI_ANSIBLE_ARGS_END'
_DIGESTS = {}

_ARCH_NAMES = {'amd64': 'x86_64', 'x64': 'x86_64', 'arm64': 'aarch64', 'armv8': 'aarch64'}


def platform_name(system, machine):
    """'Linux', 'amd64' -> 'linux-x86_64': the binaries/ directory naming."""
    machine = machine.strip().lower()
    return '%s-%s' % (system.strip().lower(), _ARCH_NAMES.get(machine, machine))


def binary_digest(path, full=False):
    """The binary's sha256; its first 16 hex digits name its cache directory on targets."""
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        with open(path, 'rb') as f:
            _DIGESTS[key] = hashlib.sha256(f.read()).hexdigest()
    return _DIGESTS[key] if full else _DIGESTS[key][:16]


def _cache_paths(digest, name, size):
    # Sets $u, $h (the home), $c, $d and $f, the function ok, and "$@": / and the home's ancestors.
    # A home reached through a symlink (/home -> var/home on Fedora Atomic) is resolved first, as
    # sshd's StrictModes does: the checks then run on the real directories, and every later step
    # uses the real path, so the link is never crossed again after the check. Only the home is
    # resolved; a link below it (the cache dirs, the binary) still fails the check. The subshell
    # (a fork) runs only when some component of the home is a link.
    # The effective uid and the home are read by the shell itself from /proc and the passwd file
    # (a fork costs more than the whole check); id and getent (for NSS users) otherwise.
    return ('u=; h=; { while read -r k r e x; do [ "$k" = Uid: ] && u=$e && break; done </proc/self/status; } '
            '2>/dev/null; [ -n "$u" ] || u=$(id -u) || u=; [ -n "$u" ] && { while IFS=: read -r x x i x x e x; do '
            '[ "$i" = "$u" ] && h=$e && break; done <%s; } 2>/dev/null; [ -n "$h" ] || { [ -n "$u" ] && '
            'e=$(getent passwd "$u") && h=${e%%:*} && h=${h##*:}; }; '
            'case $h in /*) p=$h ;; *) p= ;; esac; while [ -n "$p" ]; do if [ -h "$p" ]; then h=$(cd -P -- "$h" 2>/dev/null && pwd -P) || h=; break; fi; '
            'p=${p%%/*}; done; '
            'case $h in /*) ;; *) false ;; esac && c=$h/.ansible/%s && d=$c/%s && f=$d/%s && '
            'ok() { [ -z "$(cd / && find "$@" -prune ! \\( \\( -type d -o -type f -size %dc \\) '
            '\\( -user 0 -o -user "$u" \\) ! -perm -20 ! -perm -2 \\) -print 2>&1 || echo no)" ]; } && '
            'set -- / && p=$h && while [ -n "$p" ]; do set -- "$@" "$p"; p=${p%%/*}; done') % (
                shlex.quote(PASSWD), CACHE_DIR, digest, name, size)


def cache_locator(digest, name, size):
    """POSIX sh that sets $f to this binary's cache entry and succeeds only when it may be run.

    The cache is in the home the password database gives the running user, never $HOME: a
    become that keeps $HOME would otherwise use the login user's home. Every directory from /
    down, and the file, must be no symlink, owned by root or this user, and writable by neither
    group nor others (sshd's StrictModes rule): then nobody else can swap any of them between
    this check and the exec. The size catches an empty or truncated file.
    """
    return _cache_paths(digest, name, size) + ' && ok "$@" "$h/.ansible" "$c" "$d" "$f"'


def cache_installer(digest, name, size, upload):
    """POSIX sh that copies the uploaded binary into the cache, or fails and leaves no trace.

    Each directory is created (mkdir never follows a symlink it finds) and then checked as
    cache_locator checks it; the copy goes to a fresh mktemp name in the last one, is compared
    with our digest, synced, and only then renamed into place.
    """
    return ('%s && ok "$@" && for p in "$h/.ansible" "$c" "$d"; do mkdir -m 700 "$p"; ok "$p" || exit 1; done && '
            't=$(mktemp "$d/.%s.XXXXXX") && { cat %s > "$t" && case $(sha256sum < "$t") in "%s "*) ;; '
            '*) false ;; esac && chmod 700 "$t" && { sync "$t" || sync; } && if [ -h "$f" ]; then rm -f "$f"; fi && '
            '[ ! -d "$f" ] && mv -f "$t" "$f" || { rm -f "$t"; exit 1; }; } && sync "$d"'
            % (_cache_paths(digest[:16], name, size), name, upload, digest))


# The two commands _run_remote sends. The module arguments follow the binary's `-` as a
# here-document (not on the connection's stdin: see _run_remote). %-style names, because the shell
# text is full of the `$` and braces that string.Template and str.format would take for their own.
ARGS_HEREDOC = " - <<'%(end)s'\n%(args)s\n%(end)s\n"
# ansible-core appends `&& sleep 0` to a command (an SSH race fix), which cannot follow a
# here-document's end line: so each command goes on with `rc=$?` and does its own `sleep 0`.
# 126: the cache cannot run (a noexec home); fall back as on a miss.
RUN_CACHED = ('%(locate)s && [ -f "$f" ] && { %(env)s"$f"%(heredoc)src=$?; [ $rc -eq 126 ] || { sleep 0; exit $rc; }; }; '
              'echo %(miss)s')
RUN_UPLOAD = '( %(install)s ) >/dev/null 2>&1; %(env)s%(binary)s%(heredoc)src=$?; sleep 0; exit $rc'


def args_heredoc(args_json):
    """` - <<'END'` and the arguments: what follows the binary's path in both commands."""
    return ARGS_HEREDOC % {'end': ARGS_END, 'args': args_json}


def cached_run_command(locate, env, args_json):
    """Runs the binary cache_locator finds, or prints CACHE_MISS; env is '' or 'K=V ... '."""
    return RUN_CACHED % {'locate': locate, 'env': env, 'heredoc': args_heredoc(args_json), 'miss': CACHE_MISS}


def upload_run_command(install, env, binary, args_json):
    """Installs the upload into the cache (quietly, whatever the outcome), then runs the upload."""
    return RUN_UPLOAD % {'install': install, 'env': env, 'binary': binary, 'heredoc': args_heredoc(args_json)}


def platforms_with(name):
    """The platforms this installed copy has module `name`'s binary for."""
    try:
        dirs = os.listdir(BIN_DIR)
    except OSError:
        return []
    return sorted(d for d in dirs if os.path.isfile(os.path.join(BIN_DIR, d, name)))


INSTALL_ADVICE = ('Install the collection from its Galaxy tarball, which carries the binaries '
                  '(`ansible-galaxy collection install %s`), or from a source checkout with `make install` '
                  '(or `make collection`, which builds the tarball). A git install '
                  '(`ansible-galaxy collection install git+...`) has no binaries.' % COLLECTION)


def missing_binary_message(name, plat):
    have = platforms_with(name)
    if have:
        where = 'this installed copy has it for: %s.' % ', '.join(have)
    else:
        where = 'this installed copy has no binary for it at all.'
    return 'module %s.%s has no binary for the target platform %s; %s %s' % (
        COLLECTION, name, plat, where, INSTALL_ADVICE)


def parse_result(res):
    """The result dict from a binary's run: its one JSON object, or a MODULE FAILURE.

    Written here, not taken from ActionBase._parse_returned_data, because that private method
    changed its signature in 2.19 and its return type in 2.21. Our binaries print exactly one JSON
    object; a login shell may print lines around it (a motd, a become banner), which are skipped
    as ansible-core skips them.
    """
    stdout = res.get('stdout') or ''
    lines = stdout.splitlines()
    first = next((i for i, line in enumerate(lines) if line.lstrip().startswith('{')), None)
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].rstrip().endswith('}')), None)
    data = None
    if first is not None and last is not None and last >= first:
        try:
            data = json.loads('\n'.join(lines[first:last + 1]))
        except ValueError:
            data = None
    if not isinstance(data, dict):
        return {
            'failed': True,
            'msg': 'MODULE FAILURE: the module binary did not print a JSON object. See stdout/stderr for the exact error',
            'module_stdout': stdout,
            'module_stderr': res.get('stderr') or '',
            'rc': res.get('rc'),
        }
    # Keys only ansible-core may set (no_log, verbosity overrides...) are never taken from a target.
    for key in [k for k in data if k.startswith('_ansible_')]:
        del data[key]
    for key in ('stdout', 'stderr'):
        if key in data and key + '_lines' not in data:
            data[key + '_lines'] = (data.get(key) or '').splitlines()
    return data


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
        if self._is_local():
            uname = os.uname()
            return platform_name(uname.sysname, uname.machine or platform.machine()), {}
        facts = task_vars.get('ansible_facts') or {}
        if not self._task.delegate_to and facts.get('system') and facts.get('architecture'):
            return platform_name(facts['system'], facts['architecture']), {}
        known = dict(facts.get(PLATFORM_FACT) or task_vars.get(PLATFORM_FACT) or {})
        key = self._target_key()
        if key in known:
            return known[key], {}
        probed = getattr(self, '_probed', None)
        if probed:  # an earlier call of this same task: task_vars do not see its facts yet
            return probed
        res = self._low_level_execute_command('uname -sm', sudoable=False)
        words = (res.get('stdout') or '').split()
        if res.get('rc') != 0 or len(words) != 2:
            raise AnsibleActionFail('could not tell the target platform: `uname -sm` gave rc=%s, stdout=%r, stderr=%r'
                                    % (res.get('rc'), res.get('stdout'), res.get('stderr')))
        known[key] = platform_name(*words)
        self._probed = (known[key], {PLATFORM_FACT: known})
        return self._probed

    def binary_for(self, name, plat):
        path = os.path.join(BIN_DIR, plat, name)
        if not os.path.isfile(path):
            raise AnsibleActionFail(missing_binary_message(name, plat))
        return path

    def run_binary(self, name, module_args, task_vars, local=False):
        """Runs binaries/<platform>/<name> with module_args; returns the parsed result dict.

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
            if self._is_local() and not self._play_context.become:
                result = self._run_here(binary, module_args)
            else:
                result = self._run_remote(binary, name, module_args)
        if facts:
            result.setdefault('ansible_facts', {}).update(facts)
        return result

    def async_dir(self, results_file=None):
        """The async dir to pass as _async_dir: the one a job's wrapper wrote its results_file in,
        else the builtin async_status's source, the shell's async_dir option (ANSIBLE_ASYNC_DIR,
        [defaults] async_dir, ansible_async_dir).

        `~` stays unexpanded: the binary expands it on the target as the (become) user the wrapper
        ran as, which lands where the wrapper wrote and saves a remote round trip per poll.
        """
        if results_file:
            # Where the wrapper actually wrote beats any recomputation.
            return posixpath.dirname(str(results_file))
        return self.get_shell_option('async_dir', default=DEFAULT_ASYNC_DIR)

    def job_args(self, job, task_vars):
        """jid and _async_dir of the job `job` names: a registered async result, or its variable's name."""
        jid, results_file = job_from(self._templar, job, task_vars)
        return {'jid': jid, '_async_dir': self.async_dir(results_file)}

    def _is_local(self):
        return getattr(self._connection, 'transport', None) == 'local'

    def _run_here(self, binary, module_args):
        """Connection local without become: the controller's user on the controller, so the binary
        runs in place, with the task's environment, and no shell or copies in between."""
        env = {}
        self._compute_environment_string(env)
        # Where the local connection runs commands, so relative paths agree with the wrapper's.
        return self._run_on_controller(binary, module_args, env, cwd=self._loader.get_basedir())

    def _run_on_controller(self, binary, module_args, env=None, cwd=None):
        """On the controller as the controller's user, in ansible-playbook's working directory
        unless told otherwise, whatever the task's connection and become settings. Arguments go
        on stdin."""
        environ = dict(os.environ, **{str(k): str(v) for k, v in (env or {}).items()})
        proc = subprocess.run([binary, '-'], input=json.dumps(module_args, default=_json_default).encode(),
                              capture_output=True, env=environ, cwd=cwd, check=False)
        return self._parse({'rc': proc.returncode, 'stdout': proc.stdout.decode('utf-8', 'replace'),
                            'stderr': proc.stderr.decode('utf-8', 'replace')})

    def _run_remote(self, binary, name, module_args):
        """Runs the binary from the target's cache in one round trip.

        On a miss (first use of this build on the target, as this user, or a cache we cannot
        trust), the binary goes through Ansible's tmpdir machinery, as any module file does, and
        the same command installs it into the cache when the cache is safe, then runs the upload.
        Transfers per poll drop from the whole binary to its arguments.

        The arguments travel in the command as a here-document, not on stdin: stdin may be a
        pty (sudo with requiretty, a become password prompt), which would swallow them. Our
        modules take no secrets, and task environments travel the same way in ansible-core.
        """
        args = json.dumps(module_args, default=_json_default)
        env = self._compute_environment_string()
        env = env + ' ' if env else ''
        size = os.stat(binary).st_size
        res = self._low_level_execute_command(
            cached_run_command(cache_locator(binary_digest(binary), name, size), env, args), sudoable=True)
        lines = (res.get('stdout') or '').strip().splitlines()
        if not lines or lines[-1].strip() != CACHE_MISS:
            return self._parse(res)

        shell = self._connection._shell
        created_tmp = shell.tmpdir is None
        tmpdir = shell.tmpdir or self._make_tmp_path()
        try:
            remote_bin = shell.join_path(tmpdir, name)
            self._transfer_file(binary, remote_bin)
            self._fixup_perms2([tmpdir, remote_bin], self._get_remote_user())
            upload = shlex.quote(remote_bin)
            install = cache_installer(binary_digest(binary, full=True), name, size, upload)
            res = self._low_level_execute_command(upload_run_command(install, env, upload, args), sudoable=True)
        finally:
            if created_tmp:
                self._remove_tmp_path(tmpdir)
        return self._parse(res)

    def _parse(self, res):
        return parse_result(res)


class AsyncDirAction(BinaryModuleAction):
    """Runs MODULE on the target, by jid or alias, in the async dir the async wrapper used."""

    MODULE = ''

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        args['_async_dir'] = self.async_dir()
        result.update(self.run_binary(self.MODULE, args, task_vars or {}))
        return result


class RecordAction(BinaryModuleAction):
    """Runs MODULE, a job-record module, on the controller whatever the task's host: records belong
    to the controller (or the cloud). host and playbook_name default to the task's."""

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
