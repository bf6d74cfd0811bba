# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Per-poll cost of async_status_id vs ansible.builtin.async_status vs a no-op binary module.

Per-poll cost = (T(35 polls) - T(5 polls)) / 30, from whole ansible-playbook runs, so playbook
start-up cancels out. Runs are interleaved (ours, builtin, noop, ...) so machine noise hits all
three alike; each figure is the median of --reps runs.

Bytes per poll over SSH are counted the same way, (B(35) - B(5)) / 30, by a TCP proxy in front
of the test sshd: what the controller sent, SSH framing and encryption included.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import BIN, INVENTORY, REPO, Row, table  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOKS = REPO / 'bench' / 'playbooks'
MODULES = ['ours', 'builtin', 'noop']
SMALL, LARGE = 5, 35


def build_noop(library):
    subprocess.run(['cargo', 'build', '--quiet', '--release', '--locked', '--target', 'x86_64-unknown-linux-musl',
                    '-p', 'bench-noop'], cwd=REPO, check=True)
    shutil.copy(REPO / 'target' / 'x86_64-unknown-linux-musl' / 'release' / 'noop_binary', library / 'noop_binary')


def env(library):
    e = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.collections'), ANSIBLE_LIBRARY=str(library),
             ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_DEPRECATION_WARNINGS='False')
    e['PATH'] = f"{BIN}:{e.get('PATH', '')}"
    return e


class CountingProxy:
    """Forwards 127.0.0.1:<port> to the sshd and counts the bytes the controller sends."""

    def __init__(self, upstream_port):
        self.upstream = ('127.0.0.1', upstream_port)
        self.sent = 0
        self._lock = threading.Lock()
        self.server = socket.create_server(('127.0.0.1', 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _addr = self.server.accept()
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src, dst, count):
        try:
            while data := src.recv(65536):
                if count:
                    with self._lock:
                        self.sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def proxied_inventory(tmp, port):
    text = INVENTORY.read_text()
    path = tmp / 'inventory-proxied.ini'
    path.write_text(re.sub(r'ansible_port=\d+', f'ansible_port={port}', text))
    return path


def playbook(book, e, inventory=INVENTORY, **extra):
    cmd = [str(BIN / 'ansible-playbook'), '-i', str(inventory), str(PLAYBOOKS / book), '-e', json.dumps(extra)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=e, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f'{book} {extra} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}')
    return elapsed


def kill_job(jid):
    prefix = jid.split('.')[0].encode()
    for p in pathlib.Path('/proc').iterdir():
        if not p.name.isdigit():
            continue
        try:
            argv = (p / 'cmdline').read_bytes().split(b'\0')
        except OSError:
            continue
        if any(a.endswith(b'async_wrapper.py') and b == prefix for a, b in zip(argv, argv[1:])):
            try:
                os.killpg(int(p.name), signal.SIGKILL)
            except OSError:
                pass


def measure_target(target, reps, e, tmp):
    out = tmp / f'jid-{target}'
    playbook('start.yml', e, target=target, out_file=str(out))
    jid = out.read_text().strip()
    times = {(m, n): [] for m in MODULES for n in (SMALL, LARGE)}
    try:
        playbook('polls.yml', e, target=target, jid=jid, module='ours', n=1)  # warm caches
        for _rep in range(reps):
            for m in MODULES:
                for n in (SMALL, LARGE):
                    times[(m, n)].append(playbook('polls.yml', e, target=target, jid=jid, module=m, n=n))
    finally:
        kill_job(jid)
    return {m: (statistics.median(times[(m, LARGE)]) - statistics.median(times[(m, SMALL)])) / (LARGE - SMALL)
            for m in MODULES}


def bytes_per_poll(e, tmp):
    """(B(35) - B(5)) / 30 through the proxy, one run of each; bytes do not jitter like time."""
    port = int(re.search(r'ansible_port=(\d+)', INVENTORY.read_text()).group(1))
    proxy = CountingProxy(port)
    inventory = proxied_inventory(tmp, proxy.port)
    # Ansible's default SSH settings (ControlPersist, compression): the master connection may
    # outlive a run, which the difference of two runs cancels out.
    out = tmp / 'jid-bytes'
    playbook('start.yml', e, inventory=inventory, target='sshtarget', out_file=str(out))
    jid = out.read_text().strip()
    sent = {}
    try:
        playbook('polls.yml', e, inventory=inventory, target='sshtarget', jid=jid, module='ours', n=1)  # fill cache
        for m in MODULES:
            for n in (SMALL, LARGE):
                before = proxy.sent
                playbook('polls.yml', e, inventory=inventory, target='sshtarget', jid=jid, module=m, n=n)
                sent[(m, n)] = proxy.sent - before
    finally:
        kill_job(jid)
    return {m: (sent[(m, LARGE)] - sent[(m, SMALL)]) / (LARGE - SMALL) for m in MODULES}


def measure(reps=3, targets=('localtarget', 'sshtarget')):
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        library = tmp / 'library'
        library.mkdir()
        build_noop(library)
        e = env(library)
        for target in targets:
            cost = measure_target(target, reps, e, tmp)
            where = 'local' if target == 'localtarget' else 'SSH + become'
            goal = '<= 0.1' if target == 'localtarget' else '<= 0.3'
            rows.append(Row('status poll in a playbook', f'per poll, {where}', cost['ours'], cost['builtin'],
                            'builtin async_status', goal=goal))
            rows.append(Row('status poll in a playbook', f'per poll, {where}, vs the floor', cost['ours'],
                            cost['noop'], 'no-op binary module', goal='<= 1.2'))
        if 'sshtarget' in targets:
            sent = bytes_per_poll(e, tmp)
            rows.append(Row('status poll in a playbook', 'bytes sent per poll, SSH + become', sent['ours'],
                            sent['builtin'], 'builtin async_status', unit='B'))
            rows.append(Row('status poll in a playbook', 'bytes sent per poll, SSH + become, vs the floor',
                            sent['ours'], sent['noop'], 'no-op binary module', unit='B'))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--targets', default='localtarget,sshtarget')
    args = ap.parse_args()
    print(table(measure(args.reps, tuple(args.targets.split(',')))))


if __name__ == '__main__':
    main()
