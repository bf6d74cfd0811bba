# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_prune: removes the ended jobs of the async dir on the target."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import AsyncDirAction


class ActionModule(AsyncDirAction):
    MODULE = 'async_prune'
