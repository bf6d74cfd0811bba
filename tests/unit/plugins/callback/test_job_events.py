# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""plugins/callback/job_events.py under the real ansible-playbook of the running venv: the job
service's example playbooks (examples/service) and a few made here, with a pipe as the child's fd 3,
read while the play runs, as the service's worker does."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from ansible_warnings import our_warnings

REPO = pathlib.Path(__file__).resolve().parents[4]
PLUGIN_DIR = REPO / 'plugins' / 'callback'
SERVICE = REPO / 'examples' / 'service'
INSTALLED = REPO / '.collections'
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'
STATS_KEYS = ['ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored']
TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
O_CLOEXEC = 0o2000000  # as /proc/<pid>/fdinfo shows it


def stats(**counts):
    return {key: counts.get(key, 0) for key in STATS_KEYS}


def ansible_env(enable='job_events', collections=None, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_') and k != 'JOB_EVENTS_FD'}
    env.update(ANSIBLE_CALLBACKS_ENABLED=enable, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_DEPRECATION_WARNINGS='False')
    if collections is None:
        env['ANSIBLE_CALLBACK_PLUGINS'] = str(PLUGIN_DIR)
    else:
        env['ANSIBLE_COLLECTIONS_PATH'] = str(collections)
    env.update(extra)
    return env


class Play:
    """One ansible-playbook process. fd3: 'pipe' (the child's fd 3 is a pipe's write end, read
    here in a thread), 'none' (no fd 3 at all), 'readonly' (fd 3 open for reading only) or
    'no-reader' (a pipe whose read end is closed before the start)."""

    def __init__(self, book, *args, cwd=SERVICE, fd3='pipe', env=None):
        self.lines = []
        self.eof_at = None
        self.pipe_inode = None
        self.reader = None
        child_fd = None
        if fd3 in ('pipe', 'no-reader'):
            r, w = os.pipe()
            self.pipe_inode = os.fstat(r).st_ino
            child_fd = w
            if fd3 == 'no-reader':
                os.close(r)
            else:
                self.reader = threading.Thread(target=self._read, args=(r,), daemon=True)
        elif fd3 == 'readonly':
            child_fd = os.open(os.devnull, os.O_RDONLY)

        def child():
            # Runs in the forked child before exec: fd 3 becomes the given end, inheritable.
            if child_fd is not None:
                os.dup2(child_fd, 3)
                os.set_inheritable(3, True)

        self.proc = subprocess.Popen(  # pylint: disable=subprocess-popen-preexec-fn
            [str(ANSIBLE_PLAYBOOK), *args, str(book)], cwd=str(cwd), env=env or ansible_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            close_fds=child_fd is None, preexec_fn=child)
        if child_fd is not None:
            os.close(child_fd)
        if self.reader:
            self.reader.start()

    def _read(self, r):
        buf = b''
        with os.fdopen(r, 'rb', buffering=0) as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                buf += chunk
                *done, buf = buf.split(b'\n')
                self.lines.extend(done)
        self.eof_at = time.monotonic()
        if buf:
            self.lines.append(buf)

    def wait(self, timeout=180):
        self.stdout, self.stderr = self.proc.communicate(timeout=timeout)
        self.exited_at = time.monotonic()
        if self.reader:
            self.reader.join(timeout=15)
        self.rc = self.proc.returncode
        return self

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.communicate()

    @property
    def events(self):
        return [json.loads(line) for line in self.lines]

    def __repr__(self):
        return f'<Play rc={self.proc.returncode}>\n{getattr(self, "stdout", "")[-4000:]}\n{getattr(self, "stderr", "")[-4000:]}'


def run(book, *args, **kw):
    return Play(book, *args, **kw).wait()


def write_book(tmp_path, text):
    book = tmp_path / f'book-{uuid.uuid4().hex[:8]}.yml'
    book.write_text(textwrap.dedent(text), encoding='utf-8')
    return book


def recap(stdout):
    """PLAY RECAP of the default stdout callback: here only to check the stats event against."""
    found = {}
    for host, counts in re.findall(r'^(\S+)\s+: (ok=.*)$', stdout, re.M):
        nums = dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', counts))
        nums['failures'] = nums.pop('failed')
        found[host] = stats(**nums)
    return found


def check_lines(play):
    """Every line a JSON object with event, time and counter 1, 2, 3, ... in order; the stats
    event last, with the numbers of PLAY RECAP."""
    assert play.lines, play
    events = play.events
    assert all(isinstance(e, dict) for e in events)
    assert [e['counter'] for e in events] == list(range(1, len(events) + 1))
    times = [e['time'] for e in events]
    assert all(TIME.match(t) for t in times), times
    assert times == sorted(times)
    assert [e['event'] for e in events].count('playbook_on_stats') == 1
    assert events[-1]['event'] == 'playbook_on_stats' and events[-1]['stats'] == recap(play.stdout)
    return events


def by_event(events, name):
    return [e for e in events if e['event'] == name]


def test_hello_events_stats_and_the_normal_output():
    # As the service runs it: the project dir as cwd, the playbook's relative name.
    play = run('hello.yml', '-i', 'localhost,', '-e', 'greeting=hi')
    assert play.rc == 0, play
    events = check_lines(play)
    assert [e['event'] for e in events] == [
        'playbook_on_start', 'playbook_on_play_start',
        'playbook_on_task_start', 'runner_on_ok', 'playbook_on_task_start', 'runner_on_ok',
        'playbook_on_stats']
    assert events[0]['playbook'] == 'hello.yml'
    assert events[1]['play'] == 'Say hello'
    assert events[2] | {'time': None, 'counter': None} == {
        'event': 'playbook_on_task_start', 'time': None, 'counter': None, 'play': 'Say hello',
        'task': 'Print the greeting', 'action': 'ansible.builtin.debug'}
    assert events[3] | {'time': None, 'counter': None} == {
        'event': 'runner_on_ok', 'time': None, 'counter': None, 'host': 'localhost', 'play': 'Say hello',
        'task': 'Print the greeting', 'action': 'ansible.builtin.debug', 'changed': False}
    # The seed's per-host shape, exactly these keys in this order; not ansible-runner's stat-major one.
    assert list(events[-1]['stats']['localhost']) == STATS_KEYS
    assert events[-1]['stats'] == {'localhost': stats(ok=2)}
    # Not a stdout callback: ansible-playbook's own output is the default one, with no event in it.
    assert 'PLAY [Say hello]' in play.stdout and 'TASK [Print the greeting]' in play.stdout
    assert '"msg": "hi from localhost"' in play.stdout
    assert re.search(r'localhost\s+: ok=2\s+changed=0\s+unreachable=0\s+failed=0', play.stdout), play
    assert '"event"' not in play.stdout + play.stderr
    assert 'job_events' not in play.stdout + play.stderr


def test_fail_gives_runner_on_failed_with_msg_and_failures_1():
    play = run(SERVICE / 'fail.yml', '-i', 'localhost,')
    assert play.rc == 2, play
    events = check_lines(play)
    assert [e['event'] for e in events] == [
        'playbook_on_start', 'playbook_on_play_start', 'playbook_on_task_start', 'runner_on_failed',
        'playbook_on_stats']
    failed = events[3]
    assert failed['msg'] == 'fail.yml failed on purpose on localhost'
    assert failed['ignore_errors'] is False and failed['action'] == 'ansible.builtin.fail'
    assert failed['host'] == 'localhost' and failed['changed'] is False
    assert events[-1]['stats'] == {'localhost': stats(failures=1)}


def test_two_hosts_each_get_their_stats(tmp_path):
    inventory = tmp_path / 'two.ini'
    inventory.write_text('one\ntwo\n', encoding='utf-8')
    play = run(SERVICE / 'hello.yml', '-i', str(inventory), '--limit', 'one,two')
    assert play.rc == 0, play
    events = check_lines(play)
    assert len(by_event(events, 'runner_on_ok')) == 4
    assert events[-1]['stats'] == {'one': stats(ok=2), 'two': stats(ok=2)}


def test_templated_names_and_hosts_are_cut_to_1_kib(tmp_path):
    """A task name is templated: rendered to 2 MB it must not make its lines too long (issue 19)."""
    book = tmp_path / 'long.yml'
    book.write_text(textwrap.dedent("""\
        - name: "{{ 'p' * 5000 }}"
          hosts: all
          connection: local
          gather_facts: false
          tasks:
            - name: "{{ 'x' * 2000000 }}"
              ansible.builtin.fail:
                msg: "{{ 'm' * 10000 }}"
        """), encoding='utf-8')
    host = 'h' * 1500
    play = run(book, '-i', host + ',', '-e', 'ansible_python_interpreter={{ ansible_playbook_python }}')
    assert play.rc == 2, play
    events = check_lines(play)
    assert by_event(events, 'playbook_on_play_start')[0]['play'] == 'p' * 1024
    assert by_event(events, 'playbook_on_task_start')[0]['task'] == 'x' * 1024
    failed = by_event(events, 'runner_on_failed')[0]
    assert (failed['task'], failed['host'], failed['play']) == ('x' * 1024, host[:1024], 'p' * 1024)
    assert failed['msg'] == 'm' * 4096
    assert list(events[-1]['stats']) == [host]  # as in PLAY RECAP: the reader's limit bounds it
    assert max(len(line) for line in play.lines) < 8 * 1024, [len(line) for line in play.lines]


LOOPS_AND_ERRORS = """\
    - name: Loops, skips, errors
      hosts: all
      connection: local
      gather_facts: false
      vars:
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
      tasks:
        - name: Changed
          ansible.builtin.command: "true"
        - name: Skipped
          ansible.builtin.debug:
            msg: never
          when: false
        - name: Loop
          ansible.builtin.command: sh -c 'echo oops-{{ item }} >&2; exit {{ item }}'
          loop: [0, 3]
          ignore_errors: true
        - name: Long stderr
          ansible.builtin.command: sh -c 'yes x | head -c 10000 >&2; echo END >&2; exit 4'
          ignore_errors: true
"""


def test_loop_items_skips_rc_and_a_stderr_tail(tmp_path):
    play = run(write_book(tmp_path, LOOPS_AND_ERRORS), '-i', 'localhost,', cwd=tmp_path)
    assert play.rc == 0, play
    events = check_lines(play)
    changed = [e for e in by_event(events, 'runner_on_ok') if e['task'] == 'Changed']
    assert changed and changed[0]['changed'] is True and changed[0]['action'] == 'ansible.builtin.command'
    assert by_event(events, 'runner_on_skipped')[0]['task'] == 'Skipped'
    item_ok, = by_event(events, 'runner_item_on_ok')
    item_failed, = by_event(events, 'runner_item_on_failed')
    assert item_ok['item'] == '0' and item_ok['changed'] is True
    assert item_failed['item'] == '3' and item_failed['rc'] == 3 and item_failed['stderr'] == 'oops-3'
    loop_failed, long_failed = by_event(events, 'runner_on_failed')
    assert loop_failed['task'] == 'Loop' and loop_failed['ignore_errors'] is True
    # Only the tail of a long stderr, at most 4 KiB, and never the whole result.
    assert long_failed['rc'] == 4 and long_failed['stderr'].endswith('x\nx\nEND')
    assert len(long_failed['stderr'].encode()) <= 4096
    # The whole stderr (10 KiB, 15 KiB escaped) is not in any line: at most its tail, escaped.
    assert max(len(line) for line in play.lines) < 2 * 4096 + 1024
    assert 'stdout' not in long_failed and 'cmd' not in long_failed
    assert events[-1]['stats'] == {'localhost': stats(ok=3, changed=3, skipped=1, ignored=2)}


NO_LOG = """\
    - name: Secrets
      hosts: all
      connection: local
      gather_facts: false
      tasks:
        - name: Fail with a secret
          ansible.builtin.fail:
            msg: "the secret is {{ 'hunter' ~ '2' }}"
          no_log: true
          ignore_errors: true
        - name: Loop over secrets
          ansible.builtin.fail:
            msg: "secret {{ item }}"
          loop: [hunter2]
          no_log: true
          ignore_errors: true
        - name: Print a secret
          ansible.builtin.debug:
            msg: hunter2
          no_log: true
"""


def test_no_log_results_show_only_the_hidden_message(tmp_path):
    play = run(write_book(tmp_path, NO_LOG), '-i', 'localhost,', cwd=tmp_path)
    assert play.rc == 0, play
    events = check_lines(play)
    assert not [line for line in play.lines if b'hunter' in line], play.lines
    failed = by_event(events, 'runner_on_failed')
    assert [e['task'] for e in failed] == ['Fail with a secret', 'Loop over secrets']
    assert all(e['msg'] == NO_LOG_MSG and e['ignore_errors'] is True for e in failed)
    item, = by_event(events, 'runner_item_on_failed')
    assert item['msg'] == NO_LOG_MSG and 'item' not in item
    assert by_event(events, 'runner_on_ok')[0]['task'] == 'Print a secret'
    # An ignored failure counts as ok too, as in PLAY RECAP.
    assert events[-1]['stats'] == {'localhost': stats(ok=3, ignored=2)}


def test_unreachable_host(tmp_path):
    inventory = tmp_path / 'gone.ini'
    inventory.write_text('gone ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh\n', encoding='utf-8')
    book = write_book(tmp_path, """\
        - name: Reach a host that is not there
          hosts: all
          gather_facts: false
          tasks:
            - name: Ping
              ansible.builtin.ping:
        """)
    play = run(book, '-i', str(inventory), cwd=tmp_path,
               env=ansible_env(ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_TIMEOUT='5'))
    assert play.rc == 4, play
    events = check_lines(play)
    gone, = by_event(events, 'runner_on_unreachable')
    assert gone['host'] == 'gone' and gone['task'] == 'Ping' and gone['msg']
    assert events[-1]['stats'] == {'gone': stats(unreachable=1)}


@pytest.mark.parametrize('fd3,env,warning', [
    # Without one from its parent, ansible-playbook's fd 3 is closed or, at times, a pipe of its own
    # multiprocessing queues: writing events there would corrupt ansible's results.
    ('none', {}, r'job_events: fd 3 (was not passed to ansible-playbook|is not open \(Bad file descriptor\))'),
    ('readonly', {}, r'job_events: fd 3 is not open for writing'),
    ('no-reader', {}, r'job_events: writing to fd 3 failed \(Broken pipe\)'),
    ('pipe', {'JOB_EVENTS_FD': 'three'}, r'job_events: its option fd is not valid'),
    ('pipe', {'JOB_EVENTS_FD': '1'}, r'job_events: fd 1 is not a descriptor it may write to'),
    ('pipe', {'JOB_EVENTS_FD': '250'}, r'job_events: fd 250 is not open'),
], ids=['no-fd-3', 'read-only', 'no-reader', 'bad-number', 'stdout', 'closed-fd'])
def test_no_usable_fd_is_one_warning_and_the_play_runs(fd3, env, warning):
    play = run(SERVICE / 'hello.yml', '-i', 'localhost,', fd3=fd3, env=ansible_env(**env))
    out = play.stdout + play.stderr
    assert play.rc == 0, play
    # Display wraps long warnings on older ansible-core: match with the whitespace folded.
    assert len(re.findall(r'\[WARNING\]: ' + warning, ' '.join(out.split()))) == 1, out
    assert out.count('job_events:') == 1, out
    assert 'Traceback' not in out and 'ERROR' not in out, out
    assert re.search(r'localhost\s+: ok=2\s+changed=0', play.stdout), play
    assert '"event"' not in out
    if fd3 == 'pipe':
        assert play.lines == []


def child_pids(pid):
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in pathlib.Path(f'/proc/{p}/task').glob('*'):
            try:
                kids = (task / 'children').read_text().split()
            except OSError:
                continue
            found.extend(int(k) for k in kids)
            todo.extend(int(k) for k in kids)
    return found


def holds_pipe(pid, inode):
    for fd in pathlib.Path(f'/proc/{pid}/fd').glob('*'):
        try:
            if os.readlink(fd) == f'pipe:[{inode}]':
                return True
        except OSError:
            pass
    return False


def test_fd_is_close_on_exec_and_a_task_process_does_not_hold_it():
    token = '%d.%06d' % (40, uuid.uuid4().int % 1000000)
    play = Play(SERVICE / 'long.yml', '-i', 'localhost,', '-e', f'seconds={token}')
    try:
        deadline = time.monotonic() + 60
        sleeper = None
        while sleeper is None and time.monotonic() < deadline:
            for pid in child_pids(play.proc.pid):
                try:
                    if pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')[:2] == [b'sleep', token.encode()]:
                        sleeper = pid
                except OSError:
                    pass
            time.sleep(0.2)
        assert sleeper, 'the sleep of long.yml did not start'
        assert by_event(play.events, 'playbook_on_task_start')
        flags = int(re.search(r'^flags:\s+(\d+)', pathlib.Path(f'/proc/{play.proc.pid}/fdinfo/3').read_text(),
                              re.M).group(1), 8)
        assert flags & O_CLOEXEC, f'fd 3 of ansible-playbook is inheritable (flags {flags:o})'
        assert not holds_pipe(sleeper, play.pipe_inode)
    finally:
        play.kill()


def test_a_background_job_does_not_keep_the_pipe_open(tmp_path):
    token = '%d.%06d' % (30, uuid.uuid4().int % 1000000)
    book = write_book(tmp_path, """\
        - name: Leave a job running
          hosts: all
          connection: local
          gather_facts: false
          vars:
            ansible_python_interpreter: "{{ ansible_playbook_python }}"
          tasks:
            - name: Sleep in the background
              ansible.builtin.command: sleep %s
              async: 60
              poll: 0
              changed_when: false
        """ % token)
    play = Play(book, '-i', 'localhost,', cwd=tmp_path)
    try:
        play.wait()
        assert play.rc == 0, play
        # The reader saw the end of the stream when ansible-playbook exited, not when the job ends.
        assert play.eof_at is not None and play.eof_at - play.exited_at < 10
        assert play.events[-1]['event'] == 'playbook_on_stats'
    finally:
        for cmdline in pathlib.Path('/proc').glob('[0-9]*/cmdline'):
            try:
                if cmdline.read_bytes().split(b'\0')[:2] == [b'sleep', token.encode()]:
                    os.kill(int(cmdline.parent.name), signal.SIGKILL)
            except OSError:
                pass


def checkout_as_collection(tmp_path):
    root = tmp_path / 'collections'
    (root / 'ansible_collections' / 'rstyczynski').mkdir(parents=True)
    (root / 'ansible_collections' / 'rstyczynski' / 'ansible').symlink_to(REPO)
    return root


@pytest.mark.parametrize('where', ['checkout', 'installed'])
def test_enabled_by_fqcn_from_the_collection(where, tmp_path):
    if where == 'installed':
        if not (INSTALLED / 'ansible_collections/rstyczynski/ansible/plugins/callback/job_events.py').is_file():
            pytest.skip('the collection is not installed in .collections (make collection)')
        root = INSTALLED
    else:
        root = checkout_as_collection(tmp_path)
    env = ansible_env(enable='rstyczynski.ansible.job_events', collections=root)
    play = run(SERVICE / 'hello.yml', '-i', 'localhost,', env=env)
    assert play.rc == 0, play
    events = check_lines(play)
    assert events[-1]['stats'] == {'localhost': stats(ok=2)}
    assert 'job_events' not in play.stdout + play.stderr


@pytest.mark.skipif(shutil.which('ansible-doc', path=str(ANSIBLE_PLAYBOOK.parent)) is None, reason='no ansible-doc')
def test_ansible_doc_documents_it(tmp_path):
    proc = subprocess.run([str(ANSIBLE_PLAYBOOK.parent / 'ansible-doc'), '--json', '-t', 'callback',
                           'rstyczynski.ansible.job_events'],
                          env=ansible_env(collections=checkout_as_collection(tmp_path)),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and our_warnings(proc.stderr) == [], proc.stderr
    doc = json.loads(proc.stdout)['rstyczynski.ansible.job_events']['doc']
    assert doc['type'] == 'notification'
    assert doc['options']['fd']['default'] == 3 and doc['options']['fd']['env'] == [{'name': 'JOB_EVENTS_FD'}]
