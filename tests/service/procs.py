# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""What /proc says about the service's playbook runs: who is running, in which process group,
with which command line and environment, and whether anything is left after a cancel."""

from __future__ import annotations

import os
import pathlib
import signal
import time


class Proc:
    def __init__(self, pid: int):
        self.pid = pid
        stat = pathlib.Path(f'/proc/{pid}/stat').read_text()
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        fields = stat[stat.rindex(')') + 2:].split()
        self.state, self.ppid, self.pgid, self.sid = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
        self.starttime = int(fields[19])

    @property
    def key(self):
        return (self.pid, self.starttime)

    def cmdline(self) -> list[str]:
        raw = pathlib.Path(f'/proc/{self.pid}/cmdline').read_bytes()
        return [a.decode('utf-8', 'replace') for a in raw.split(b'\0') if a]

    def environ(self) -> dict[str, str]:
        raw = pathlib.Path(f'/proc/{self.pid}/environ').read_bytes()
        env = {}
        for item in raw.split(b'\0'):
            if b'=' in item:
                k, v = item.split(b'=', 1)
                env[k.decode('utf-8', 'replace')] = v.decode('utf-8', 'replace')
        return env

    def cwd(self) -> str | None:
        try:
            return os.readlink(f'/proc/{self.pid}/cwd')
        except OSError:
            return None

    def __repr__(self):
        try:
            cmd = ' '.join(self.cmdline())[:200]
        except OSError:
            cmd = '?'
        return f'<pid {self.pid} pgid {self.pgid} sid {self.sid} {self.state} {cmd}>'


def all_procs() -> list[Proc]:
    out = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                out.append(Proc(int(entry)))
            except (OSError, ValueError, IndexError):
                pass
    return out


def alive(p: Proc) -> bool:
    """The same process (pid and start time) still exists and is not a zombie."""
    try:
        q = Proc(p.pid)
    except (OSError, ValueError, IndexError):
        return False
    return q.starttime == p.starttime and q.state != 'Z'


def descendants(pid: int) -> list[Proc]:
    procs = all_procs()
    children: dict[int, list[Proc]] = {}
    for p in procs:
        children.setdefault(p.ppid, []).append(p)
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c.pid)
    return out


def is_playbook(p: Proc) -> bool:
    try:
        return any(pathlib.Path(a).name == 'ansible-playbook' for a in p.cmdline()[:2])
    except OSError:
        return False


def playbook_leaders(service_pid: int) -> list[Proc]:
    """The ansible-playbook processes the service started (not ansible's forks of them)."""
    desc = descendants(service_pid)
    books = {p.pid for p in desc if is_playbook(p)}
    out = []
    for p in desc:
        if p.pid in books and p.ppid not in books:
            # The stat above may predate the child's setpgid (between fork and exec it still has
            # the service's group); its cmdline, read after, already shows the exec. Read the stat
            # again, now that the exec is known to be done.
            try:
                out.append(Proc(p.pid))
            except (OSError, ValueError, IndexError):
                pass
    return out


def wait_leader(service_pid: int, timeout=60.0, pred=lambda p: True) -> Proc:
    deadline = time.monotonic() + timeout
    while True:
        found = [p for p in playbook_leaders(service_pid) if pred(p)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f'no ansible-playbook child of the service {service_pid} within {timeout} s'
        time.sleep(0.05)


def group(pgid: int) -> list[Proc]:
    return [p for p in all_procs() if (p.pgid == pgid or p.sid == pgid) and p.state != 'Z']


def wait_gone(procs: list[Proc], timeout=5.0) -> list[Proc]:
    """The processes of `procs` still alive after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in procs if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_leftovers(project: pathlib.Path) -> None:
    """Teardown: kill the process groups of anything still running in a test's project dir."""
    root = str(project)
    groups = {p.pgid for p in all_procs() if (p.cwd() or '').startswith(root) and p.pgid > 1}
    for pgid in groups - {os.getpgid(0)}:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def runs_sleep(p: Proc) -> bool:
    try:
        return p.state != 'Z' and pathlib.Path(p.cmdline()[0]).name == 'sleep'
    except (OSError, IndexError):
        return False


def deep_tree(leader: Proc, timeout=120.0) -> list[Proc]:
    """The run's processes once the play reached its `sleep` (ansible-playbook, the module, sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        tree = {p.key: p for p in group(leader.pgid) + descendants(leader.pid)}
        if any(runs_sleep(p) for p in tree.values()):
            return list(tree.values())
        assert time.monotonic() < deadline, f'no sleep under {leader} within {timeout} s: {list(tree.values())}'
        time.sleep(0.1)


def in_dir(project: pathlib.Path) -> list[Proc]:
    """Live processes whose cwd is in the project dir (the service runs every playbook there)."""
    root = str(project.resolve())
    return [p for p in all_procs() if p.state != 'Z' and (p.cwd() or '').startswith(root)]
