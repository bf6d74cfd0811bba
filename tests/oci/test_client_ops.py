# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The client's operations the backend does not use every day (HEAD, list with paging), through
crates/oci/examples/os.rs against the fake endpoint."""

from __future__ import annotations

import json
import subprocess

from conftest import REPO


def os_cli(fake, *args):
    out = subprocess.run(['cargo', 'run', '-q', '--locked', '-p', 'oci', '--example', 'os', '--',
                          str(fake.keys.config), 'DEFAULT', fake.endpoint, 'b', *map(str, args)],
                         cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_list_follows_every_page(fake):
    assert os_cli(fake, 'fill', 'h/p/', 1005) == 1005
    names = os_cli(fake, 'list', 'h/p/')
    assert len(names) == 1005 and names[0] == 'h/p/00000' and names[-1] == 'h/p/01004'
    pages = [e for e in fake.log() if e['method'] == 'GET' and '/o?' in e['path']]
    assert len(pages) == 2 and 'start=' in pages[1]['path'], [p['path'] for p in pages]


def test_head_get_delete_and_names_that_need_encoding(fake):
    name = 'web 01/site.yml/job "x" ü.json'
    assert os_cli(fake, 'fill', name, 1) == 1
    stored = name + '00000'
    assert os_cli(fake, 'head', stored)
    assert os_cli(fake, 'get', stored) == '{}'
    assert os_cli(fake, 'delete', stored) is True
    assert os_cli(fake, 'head', stored) is None and os_cli(fake, 'get', stored) is None
    assert os_cli(fake, 'delete', stored) is False
