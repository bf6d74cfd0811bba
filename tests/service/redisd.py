# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""A real redis-server (Debian's package) for one test: its own free port, its own dir, the
append-only file on (so a restart keeps everything), stopped at the end. No mock anywhere.
Options make the Redis the issue's findings need: a memory limit and an eviction policy, no
persistence at all, a password (requirepass), an ACL user without CONFIG."""

from __future__ import annotations

import pathlib
import shutil
import signal
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def redis_server_bin() -> str:
    found = shutil.which('redis-server')
    if not found:
        pytest.fail('redis-server is not installed: apt-get install redis-server (.ci/run does it)')
    return found


class RedisServer:
    def __init__(self, root: pathlib.Path, bind=('127.0.0.1',), port=None, maxmemory=None, policy=None,
                 persist=True, password=None):
        self.dir = root
        self.dir.mkdir(parents=True, exist_ok=True)
        self.bind = list(bind)
        self.port = port or free_port()
        self.proc = None
        self.starts = 0
        self.password = password
        self.options = ['--appendonly', 'yes' if persist else 'no']
        if maxmemory is not None:
            self.options += ['--maxmemory', str(maxmemory)]
        if policy is not None:
            self.options += ['--maxmemory-policy', policy]
        if password is not None:
            self.options += ['--requirepass', password]

    def url(self, host='127.0.0.1', user=None, password=None) -> str:
        password = password or self.password
        auth = f'{user or ""}:{password}@' if password else ''
        return f'redis://{auth}{host}:{self.port}'

    def start(self):
        self.starts += 1
        log = open(self.dir / f'redis-{self.starts}.log', 'wb')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(
            [redis_server_bin(), '--port', str(self.port), '--bind', *self.bind, '--dir', str(self.dir),
             '--save', '', '--appendfsync', 'everysec', '--protected-mode', 'no', *self.options],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 15
        while not self.ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f'redis-server on port {self.port} did not start:\n' + self.log())
            time.sleep(0.02)
        return self

    def ping(self) -> bool:
        try:
            return self.command('PING', timeout=1).startswith(b'+PONG')
        except OSError:
            return False

    @staticmethod
    def _wire(args) -> bytes:
        return f'*{len(args)}\r\n'.encode() + b''.join(
            f'${len(str(a).encode())}\r\n'.encode() + str(a).encode() + b'\r\n' for a in args)

    def command(self, *args, timeout=5) -> bytes:
        """One command, its raw RESP answer (enough for tests: LLEN, ZCARD, DBSIZE...); as the
        default user, with the password when there is one."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=timeout) as s:
            if self.password is not None:
                s.sendall(self._wire(('AUTH', self.password)))
                if not s.recv(64).startswith(b'+OK'):
                    raise OSError('AUTH refused')
            s.sendall(self._wire(args))
            return s.recv(65536)

    def acl_user(self, name: str, password: str, without=('@dangerous', '+info')) -> str:
        """An ACL user with every key and command but `without` (by default what a managed
        Redis leaves out: CONFIG and the other @dangerous commands, INFO kept); its URL."""
        rules = []
        for w in without:
            rules.append(w if w.startswith('+') else f'-{w}')
        answer = self.command('ACL', 'SETUSER', name, 'on', f'>{password}', '~*', '&*', '+@all', *rules)
        assert answer.startswith(b'+OK'), answer
        return self.url(user=name, password=password)

    def log(self) -> str:
        logs = sorted(self.dir.glob('redis-*.log'))
        return logs[-1].read_text(errors='replace')[-3000:] if logs else ''

    def stop(self, sig=signal.SIGTERM):
        """SIGTERM: Redis flushes its append-only file and exits, as a service manager stops it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def restart(self):
        self.stop()
        return self.start()
