# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_kill: stops a job on the target and marks it killed."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import AsyncDirAction


class ActionModule(AsyncDirAction):
    MODULE = 'async_kill'
