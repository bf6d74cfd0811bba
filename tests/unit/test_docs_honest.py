# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The prose docs name only files that exist and `make` targets the Makefile has.

Checked: README.md, CONTRIBUTING.md (when there is one) and docs/*.md. A path counts when it is
in backticks, a link target, or a bare word, and its first component is an entry at the top of
the repository: that is what tells a repo-relative path from a path on a target host (`~/.oci/config`,
`/proc/<pid>/stat`) or a crate-relative one. Placeholders (`<jid>`), globs and brace lists, URLs and
anything under a git-ignored top-level directory (binaries/, built by `make build`) are skipped: they
name no single file that must exist in a checkout.
"""

from __future__ import annotations

import fnmatch
import os
import pathlib
import re
import shutil
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCS = [p for p in [REPO / 'README.md', REPO / 'CONTRIBUTING.md'] + sorted((REPO / 'docs').glob('*.md')) if p.is_file()]

FENCE = re.compile(r'^```.*?^```', re.M | re.S)
BACKTICKS = re.compile(r'`([^`\n]+)`')
LINK = re.compile(r'\]\(([^)\s]+)\)')
# A make call at the start of a command: `make` then its words, up to the end of the command.
COMMAND_MAKE = re.compile(r'(?:^|&&|;|\|\||\()\s*make((?:[ \t]+[^\s;&|)]+)+)')
TARGET = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
NOT_ONE_FILE = re.compile(r'[<>*?\[\]{}$~…]|\.\.\.|://|^/|^-')


def ignored_patterns():
    # Only the anchored entries of .gitignore (`/binaries/`, `/.venv-*/`): enough for what docs name.
    lines = (REPO / '.gitignore').read_text().splitlines()
    return [line.strip('/') for line in lines if line.startswith('/')]


TOP = {p.name for p in REPO.iterdir()} - {'.git'}
IGNORED = ignored_patterns()


def is_ignored(path):
    parts = path.split('/')
    prefixes = ['/'.join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes for pattern in IGNORED)


def prose(text):
    """The text outside fenced code blocks: those hold commands and output, not references."""
    return FENCE.sub('', text)


def candidates(text):
    """Words that may be repo-relative paths: in backticks, or bare in the prose."""
    body = prose(text)
    words = []
    for span in BACKTICKS.findall(body):
        words += span.split()
    words += BACKTICKS.sub(' ', LINK.sub(' ', body)).split()
    return words


def repo_path(word):
    """The path `word` names in the repository, or None when it is not a repo-relative path."""
    # A backtick left on a word whose span a line break cut is punctuation too.
    word = word.strip('.,;:!?()"\'*_`').rstrip('/')
    word = re.sub(r':\d+$', '', word)  # file.rs:42
    if '/' not in word or NOT_ONE_FILE.search(word):
        return None
    first = word.split('/')[0]
    if first not in TOP or is_ignored(word):
        return None
    return word


def named_paths(doc):
    text = doc.read_text()
    found = set()
    for word in candidates(text):
        path = repo_path(word)
        if path:
            found.add(path)
    # Link targets name files by definition, relative to the document that holds them.
    for target in LINK.findall(prose(text)):
        target = target.split('#')[0]
        if target and not NOT_ONE_FILE.search(target) and not target.startswith('mailto:'):
            resolved = os.path.normpath(os.path.join(str(doc.parent.relative_to(REPO)), target))
            if not resolved.startswith('..') and not is_ignored(resolved):
                found.add(resolved)
    return found


def make_targets():
    # Rule heads (`name: deps`, `a b: deps`) and .PHONY names; variable assignments are not rules.
    targets = set()
    for line in (REPO / 'Makefile').read_text().splitlines():
        m = re.match(r'^([A-Za-z0-9_. -]+):(?!=)', line)
        if m:
            targets.update(m.group(1).split())
    return targets


def make_calls(text):
    """What follows `make` in backtick spans, and in the command lines of fenced blocks. Prose is
    left alone: there "make" is the English verb."""
    calls = []
    for span in BACKTICKS.findall(prose(text)):
        calls += COMMAND_MAKE.findall(span)
    for block in FENCE.findall(text):
        for line in block.splitlines():
            calls += COMMAND_MAKE.findall(line.split(' #')[0].lstrip('$ '))
    return calls


def named_make_targets(doc):
    names = set()
    for words in make_calls(doc.read_text()):
        for word in words.split():
            if word.startswith('-') or '=' in word:
                continue
            if not TARGET.match(word):
                break  # a redirection, a quote: the make call is over
            names.add(word)
    return names


def test_there_are_docs_to_check():
    assert REPO / 'README.md' in DOCS and len(DOCS) > 2


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_path_a_doc_names_exists(doc):
    missing = sorted(p for p in named_paths(doc) if not (REPO / p).exists())
    assert not missing, '%s names paths that do not exist: %s' % (doc.name, ', '.join(missing))


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_make_target_a_doc_names_exists(doc):
    unknown = sorted(named_make_targets(doc) - make_targets())
    assert not unknown, '%s names make targets the Makefile lacks: %s' % (doc.name, ', '.join(unknown))


# The checker itself: it must find what it is meant to find, and only that.

@pytest.fixture
def scratch_doc():
    """A document in a git-ignored scratch dir, as deep in the repository as docs/*/ would be."""
    work = REPO / 'tests' / '.work'
    work.mkdir(parents=True, exist_ok=True)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix='docs-honest-', dir=str(work)))
    yield scratch / 'doc.md'
    shutil.rmtree(scratch)


def test_the_checker_sees_paths_in_backticks_links_and_prose_only(scratch_doc):
    scratch_doc.write_text('See `plugins/action/async_wait.py`, [the design](../../../docs/design.md#x), [up](../../../LICENSE)\n'
                           'and crates/jobs/src/lib.rs. Not [a site](https://example.com/a/b) nor [here](#top).\n'
                           '```\nls plugins/never/checked.py\n```\n')
    assert named_paths(scratch_doc) == {'plugins/action/async_wait.py', 'docs/design.md', 'LICENSE',
                                        'crates/jobs/src/lib.rs'}


def test_a_missing_path_is_found(scratch_doc):
    scratch_doc.write_text('The runner is `plugins/plugin_utils/no_such_runner.py`.\n')
    assert named_paths(scratch_doc) == {'plugins/plugin_utils/no_such_runner.py'}


@pytest.mark.parametrize('word', ['binaries/<system>-<arch>/', 'plugins/modules/*.py', '~/.oci/config', '/proc/self/stat',
                                  'https://github.com/x/y', 'crates/{a,b}.rs', 'host-modules/src/bin/', 'binaries/linux-x86_64',
                                  'tests/.work/matrix', '.venv-2.15/bin/python', 'oci://bucket/a/b.json', 'and/or'])
def test_what_names_no_single_repo_file_is_skipped(word):
    assert repo_path(word) is None


def test_make_calls_are_read_word_by_word(scratch_doc):
    scratch_doc.write_text('Run `make test-unit`, then make the tmp dir; `cmake foo`, `make install INSTALL_PATH=/x -j2`.\n'
                           '```\n$ make build collection  # comment\ncd x && make demo > log\nmake\n```\n')
    assert named_make_targets(scratch_doc) == {'test-unit', 'install', 'build', 'collection', 'demo'}
    assert {'venv', 'test-unit', 'install', 'build', 'collection'} <= make_targets()
