# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_job_load: runs on the controller, like async_job_save."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import RecordAction


class ActionModule(RecordAction):
    MODULE = 'async_job_load'
