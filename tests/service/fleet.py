# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""`ansible-job-service worker` processes, and "hosts" for them: network namespaces joined to this
machine by veth pairs, each with its own address, reaching Redis over that link only."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import STUB, service_bin


class Worker:
    def __init__(self, root: pathlib.Path, project: pathlib.Path, redis_url: str, name: str,
                 netns: str | None = None, concurrency=2, lease=None, grace='10s'):
        self.root, self.name, self.netns = root, name, netns
        self.args = [str(service_bin()), 'worker', '--redis-url', redis_url, '--project-dir', str(project),
                     '--data-dir', str(root / f'data-{name}'), '--ansible-playbook', str(STUB),
                     '--name', name, '--concurrency', str(concurrency), '--grace', grace]
        if lease:
            self.args += ['--lease', lease]
        if netns:
            self.args = ['ip', 'netns', 'exec', netns, *self.args]
        self.proc = None
        self.starts = 0
        self.log = None

    def start(self):
        self.starts += 1
        self.log = self.root / f'worker-{self.name}-{self.starts}.log'
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while 'ready' not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f'worker {self.name} did not start (rc {self.proc.poll()}):\n{self.output()}')
            time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.log.read_text(errors='replace') if self.log and self.log.exists() else ''

    def stop(self, timeout=60) -> int:
        """SIGTERM: it stops claiming, lets its runs end within --grace, and exits."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill9(self):
        self.proc.kill()
        self.proc.wait(10)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def stub_runs(project: pathlib.Path) -> list[str]:
    """The job id of every run the stub saw, from the `-e @<data>/jobs/<id>/extra_vars.yml` it got."""
    f = project / '.stub-calls'
    lines = f.read_text().splitlines() if f.exists() else []
    return [m.group(1) for m in (re.search(r'/jobs/([0-9a-f-]{36})/extra_vars\.(?:yml|json)', ln) for ln in lines) if m]


def netns_ready() -> str | None:
    """Why namespaced hosts cannot be made here, or None."""
    if os.geteuid() != 0:
        return 'network namespaces need root'
    if not shutil.which('ip'):
        return 'no `ip` (apt-get install iproute2)'
    probe = f'ajsprobe{os.getpid() % 100000}'
    made = subprocess.run(['ip', 'netns', 'add', probe], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        return f'ip netns add failed: {made.stderr.strip()}'
    subprocess.run(['ip', 'netns', 'del', probe], check=False)
    return None


def ip(*args, netns=None):
    cmd = ['ip', *(['netns', 'exec', netns, 'ip'] if netns else []), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f'{" ".join(cmd)}: {done.stderr}'


class Hosts:
    """n namespaces `ajs<tag>n<i>`, each joined by a veth pair: this side `ajs<tag>v<i>` at
    10.<a>.<b>.<4i+1>/30, the host's side at .<4i+2>. Unique per test process (xdist)."""

    def __init__(self, n: int):
        tag = os.getpid() % 10000
        self.tag = tag
        self.net = f'10.{200 + tag % 50}.{tag % 250}'
        self.hosts = [(f'ajs{tag}n{i}', f'ajs{tag}v{i}', f'{self.net}.{4 * i + 1}', f'{self.net}.{4 * i + 2}')
                      for i in range(n)]
        self.made: list[tuple[str, str]] = []

    def create(self):
        for ns, veth, here, there in self.hosts:
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True, check=False)
            subprocess.run(['ip', 'link', 'del', veth], capture_output=True, check=False)
            ip('netns', 'add', ns)
            self.made.append((ns, veth))
            ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
            ip('addr', 'add', f'{here}/30', 'dev', veth)
            ip('link', 'set', veth, 'up')
            ip('addr', 'add', f'{there}/30', 'dev', 'eth0', netns=ns)
            ip('link', 'set', 'eth0', 'up', netns=ns)
            ip('link', 'set', 'lo', 'up', netns=ns)
        return self

    def addresses(self) -> list[str]:
        """This machine's side of every link: where Redis listens for the hosts."""
        return [h[2] for h in self.hosts]

    def link(self, i: int, up: bool):
        ip('link', 'set', self.hosts[i][1], 'up' if up else 'down')

    def destroy(self):
        for ns, veth in self.made:
            subprocess.run(['ip', 'link', 'del', veth], capture_output=True, check=False)
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True, check=False)
        self.made.clear()
