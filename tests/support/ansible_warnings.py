# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Which warnings on an ansible CLI's stderr are this collection's doing.

A test that asserts "no warning" must fail on a warning our collection causes, and must not fail on
one that ansible-core or a library prints about itself: ansible-core 2.21.5 with cryptography 51
prints a CryptographyDeprecationWarning from ansible/_internal/_ssh/_ssh_agent.py at every start,
whatever the collection does. The rules:

- A Python warning (`path:line: SomeWarning: message`, then the indented source line) is ours when
  its path is in this collection: the checkout's plugins, roles or examples, or any
  ansible_collections/rstyczynski/ansible.
  Elsewhere (ansible-core, site-packages) it is noise.
- Every other line that says WARNING (ansible's `[WARNING]:` and `[DEPRECATION WARNING]:`, or
  anything not recognised) is ours: ansible-core says those about the content it loaded.
"""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]
COLLECTION_DIR = '/ansible_collections/rstyczynski/ansible/'
# warnings.formatwarning: "{filename}:{lineno}: {category}: {message}"; a category is a class name.
# Not a line ansible prints itself ("[WARNING]: ... x.py:12: FooWarning: ..." is ansible's).
PYTHON_WARNING = re.compile(r'^(?P<path>[^\s\[].*?):\d+: (?P<category>[A-Za-z_][\w.]*): ')


# The checkout's Python that Ansible loads (the venvs inside the checkout are not ours).
OUR_DIRS = tuple(f'{REPO}/{part}/' for part in ('plugins', 'roles', 'examples'))


def is_ours(path):
    resolved = str(pathlib.Path(path).resolve())
    return COLLECTION_DIR in resolved or resolved.startswith(OUR_DIRS)


def our_warnings(stderr):
    """The warnings of stderr that this collection caused, each with its continuation lines."""
    found = []
    current = None  # whose warning the indented lines that follow belong to: 'ours', 'theirs'
    for line in stderr.splitlines():
        match = PYTHON_WARNING.match(line)
        if match and 'warning' in match.group('category').lower():
            current = 'ours' if is_ours(match.group('path')) else 'theirs'
            if current == 'ours':
                found.append(line)
        elif line[:1].isspace() and current is not None:
            # The source line Python prints under a warning.
            if current == 'ours':
                found[-1] += '\n' + line
        elif 'WARNING' in line.upper():
            current = 'ours'
            found.append(line)
        else:
            current = None
    return found
