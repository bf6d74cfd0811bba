# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""plugins/plugin_utils/binary_module.py, loaded from this source tree for the unit tests next to
this file. By path, not as ansible_collections.rstyczynski.ansible...: the tests run with plain
pytest from the repository, where no collection is installed. The file is deliberately not named
conftest.py: the ansible-core matrix runs these tests and tests/e2e in one pytest, and tests/e2e
imports its own conftest by that name."""

from __future__ import annotations

import importlib.util
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[4]
SOURCE = REPO / 'plugins' / 'plugin_utils' / 'binary_module.py'


def _load():
    spec = importlib.util.spec_from_file_location('rstyczynski_binary_module', SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bm = _load()
