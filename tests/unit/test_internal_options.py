# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The options that start with `_` pass from the action plugins to the binaries; users never set
them. This is their one table: who owns each value, and which binaries take it. The test keeps the
table, the Rust specs and the plugins in step, so a default is never stated on both sides."""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]

# option: (its owner on the controller side, the binaries that take it)
INTERNAL = {
    '_async_dir': ("the shell's async_dir option (plugin_utils' DEFAULT_ASYNC_DIR when unset), "
                   'or the directory of a given results_file',
                   {'async_status_id', 'async_alias', 'async_kill', 'async_task', 'async_job_info',
                    'async_prune'}),
    '_claim_ttl': ("CLAIM_TTL in plugins/action/async_task.py", {'async_task'}),
    '_token': ('a random token per async_task run', {'async_task'}),
    '_mode': ("async_task's step: claim, then release", {'async_task'}),
    '_jid': ('the jid the async wrapper answered, named at release', {'async_task'}),
    '_after': ('the claim holder a waiting run attaches after', {'async_task'}),
    '_validate_only': ("async_task's check of its record options before it starts anything",
                       {'async_job_save'}),
}

# Keys of ansible-core's own, not ours.
CORE = re.compile(r'^_(ansible_\w*|raw_params|uses_shell)$')


def rust_specs() -> dict[str, set[str]]:
    """The `_` options of each module's spec, read from the specs.rs files."""
    found: dict[str, set[str]] = {}
    for specs in REPO.glob('crates/*/src/specs.rs'):
        text = specs.read_text(encoding='utf-8')
        for m in re.finditer(r'pub fn (\w+)\(\) -> ArgSpec \{(.*?)\n\}', text, re.S):
            found[m.group(1)] = set(re.findall(r'Opt::\w+\("(_\w+)"\)', m.group(2)))
    return found


def test_the_rust_specs_take_exactly_the_table():
    specs = rust_specs()
    assert {'async_status_id', 'async_task', 'async_job_save'} <= set(specs), specs
    for module, options in specs.items():
        want = {name for name, (_owner, takers) in INTERNAL.items() if module in takers}
        assert options == want, f'{module}: the spec takes {sorted(options)}, the table says {sorted(want)}'


def test_the_rust_specs_state_no_default_for_an_internal_option():
    # The controller side owns every internal value: the binary requires it.
    for specs in REPO.glob('crates/*/src/specs.rs'):
        for name in re.findall(r'Opt::\w+\("(_\w+)"\)\s*\.default\(', specs.read_text(encoding='utf-8')):
            assert name == '_validate_only', f'{specs.relative_to(REPO)}: {name} has a default in Rust'


def test_the_plugins_send_each_option_and_no_other():
    sent: set[str] = set()
    for source in [*(REPO / 'plugins' / 'action').glob('*.py'), *(REPO / 'plugins' / 'plugin_utils').glob('*.py')]:
        # Attribute names looked up with getattr are not options.
        text = re.sub(r"getattr\([^)]*\)", '', source.read_text(encoding='utf-8'))
        sent |= set(re.findall(r"""['"](_[a-z]\w*)['"]""", text))
        sent |= set(re.findall(r'[(,]\s*(_[a-z]\w*)=', text))
    sent = {name for name in sent if not CORE.match(name) and name != '_lines'}
    assert sent == set(INTERNAL), (
        f'sent by the plugins but not in the table: {sorted(sent - set(INTERNAL))}; '
        f'in the table but never sent: {sorted(set(INTERNAL) - sent)}')
