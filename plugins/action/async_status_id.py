# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_status_id: async_status by jid or alias, with dead-wrapper detection and cleanup."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import AsyncDirAction


class ActionModule(AsyncDirAction):
    MODULE = 'async_status_id'
