# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Puts the one license header on every source file git tracks (`--check`: only report).

One license, the same everywhere: the MIT License of LICENSE, stated as an SPDX identifier.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
COPYRIGHT = 'Copyright (c) 2026 rstyczynski.ansible contributors'
SPDX = 'SPDX-License-Identifier: MIT'
# Lines of earlier headers, replaced by the two above.
OLD = re.compile(r'^(#|//) ?(Copyright \(c\)|MIT License|SPDX-License-Identifier|\(see https://www\.gnu\.org)')


def sources():
    out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.split()
    for name in out:
        path = REPO / name
        if not path.is_file() or path.is_symlink():
            continue
        if name.endswith(('.py', '.sh')) or name in ('Makefile', '.ci/run'):
            yield path, '#'
        elif name.endswith('.rs'):
            yield path, '//'


def fixed(text, mark):
    lines = text.splitlines(keepends=True)
    keep = 0  # a shebang and a coding line stay first
    while keep < len(lines) and (lines[keep].startswith('#!') or 'coding:' in lines[keep]) and mark == '#':
        keep += 1
    rest = [line for line in lines[keep:keep + 6] if not OLD.match(line)] + lines[keep + 6:]
    header = ['%s %s\n' % (mark, COPYRIGHT), '%s %s\n' % (mark, SPDX)]
    return ''.join(lines[:keep] + header + rest)


def main():
    check = '--check' in sys.argv
    wrong = []
    for path, mark in sources():
        text = path.read_text(encoding='utf-8')
        new = fixed(text, mark)
        if new != text:
            wrong.append(str(path.relative_to(REPO)))
            if not check:
                path.write_text(new, encoding='utf-8')
    if check and wrong:
        print('files without the license header (run python3 scripts/license-headers.py):\n  ' + '\n  '.join(wrong))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
