# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Prints, as JSON, every variable name the ansible-core of the running Python reserves, taken from
ansible-core itself: its play keywords (`get_reserved_names()`), `INTERNAL_STATIC_VARS` where it
has them (2.19 and later; its Jinja globals among them), and the names `VariableManager` sets for a
task of a role of a play (`inventory_hostname`, `hostvars`, `role_path`, ...). Run by
test_extra_vars_data.py with each venv's python: the oracle for the service's refusals."""

import json
import os
import tempfile

import ansible.constants as C
from ansible import context
from ansible.inventory.manager import InventoryManager
from ansible.module_utils.common.collections import ImmutableDict
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play import Play
from ansible.release import __version__
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager
from ansible.vars.reserved import get_reserved_names


def magic_names() -> set:
    """The variables ansible-core itself gives a task of role `r` on host localhost."""
    context.CLIARGS = ImmutableDict(tags=[], skip_tags=[], check=False, diff=False, forks=1, verbosity=0)
    with tempfile.TemporaryDirectory() as base:
        return _magic_names(base)


def _magic_names(base: str) -> set:
    os.makedirs(os.path.join(base, 'roles', 'r', 'tasks'))
    with open(os.path.join(base, 'roles', 'r', 'tasks', 'main.yml'), 'w', encoding='utf-8') as f:
        # The short name: the FQCN needs the collection loader, which ansible-playbook sets up.
        f.write('- debug: {msg: x}\n')
    loader = DataLoader()
    loader.set_basedir(base)
    inventory = InventoryManager(loader=loader, sources='localhost,')
    manager = VariableManager(loader=loader, inventory=inventory)
    # ansible-playbook's TaskQueueManager sets this; without it there is no `hostvars`.
    manager._hostvars = HostVars(inventory=inventory, variable_manager=manager, loader=loader)
    play = Play.load({'hosts': 'all', 'gather_facts': False, 'roles': ['r']}, variable_manager=manager,
                     loader=loader)
    tasks = [t for b in play.compile() for t in b.block if getattr(t, '_role', None) is not None]
    assert tasks, 'no task of the role was compiled'
    return set(manager.get_vars(play=play, host=inventory.get_host('localhost'), task=tasks[0]))


def main() -> None:
    names = set(get_reserved_names(include_private=True)) | set(getattr(C, 'INTERNAL_STATIC_VARS', ()))
    names |= magic_names()
    print(json.dumps({'version': __version__, 'names': sorted(names)}))


if __name__ == '__main__':
    main()
