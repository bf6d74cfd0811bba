# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""plugins/plugin_utils/binary_module.py from the source tree, loaded once for every test here.

It is loaded by path, not through `ansible_collections.rstyczynski.ansible`, so the tests run on
the code in this checkout without installing the collection. Test modules take it from
`sys.modules['rstyczynski_binary_module']`.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

NAME = 'rstyczynski_binary_module'
SOURCE = pathlib.Path(__file__).resolve().parents[4] / 'plugins' / 'plugin_utils' / 'binary_module.py'


def _load():
    spec = importlib.util.spec_from_file_location(NAME, SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if NAME not in sys.modules:
    sys.modules[NAME] = _load()
