# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""What `make dist` put in dist/, used as an operator would: no Rust on PATH, no target/, no
checkout but examples/service as the project. Fails (does not skip) when dist/ is missing, so
that a CI run cannot pass without having built the release."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import socket
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DIST = REPO / 'dist'
ARCHES = ('x86_64', 'aarch64')


def version() -> str:
    """The workspace's version ([workspace.package] in Cargo.toml), which the job-service crate,
    its --version and the wheel take: read from the file, since these tests run without cargo."""
    text = (REPO / 'Cargo.toml').read_text()
    return re.search(r'^\[workspace\.package\]\n(?:.*\n)*?version = "([^"]+)"', text, re.M).group(1)


VERSION = version()


def no_rust_path() -> str:
    """PATH without any directory that holds cargo or rustc: what a user without Rust has."""
    keep = [d for d in os.environ.get('PATH', '').split(os.pathsep)
            if d and not any(os.access(os.path.join(d, t), os.X_OK) for t in ('cargo', 'rustc', 'rustup'))]
    return os.pathsep.join(keep)


def artifact(pattern: str) -> pathlib.Path:
    found = sorted(DIST.glob(pattern))
    if len(found) != 1:
        pytest.fail(f'dist/{pattern}: {len(found)} files ({[p.name for p in found]}); `make dist` makes exactly one')
    return found[0]


def binary(arch: str) -> pathlib.Path:
    return artifact(f'ansible-job-service-{VERSION}-{arch}-linux')


def wheel(arch: str) -> pathlib.Path:
    return artifact(f'ansible_job_service-{VERSION}-py3-none-*{arch}*.whl')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def file_says(path: pathlib.Path) -> str:
    return subprocess.run(['file', '-b', str(path)], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope='session')
def rustless_env():
    path = no_rust_path()
    for tool in ('cargo', 'rustc', 'rustup'):
        assert shutil.which(tool, path=path) is None, f'{tool} is still on PATH: {path}'
    return {k: v for k, v in os.environ.items() if not k.startswith(('CARGO', 'RUSTUP', 'RUST_'))} | {'PATH': path}
