# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Action for async_job_save: job records belong to the controller (or the cloud), so the binary
runs on the controller whatever the task's host; host and playbook_name default to the task's."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import RecordAction


class ActionModule(RecordAction):
    MODULE = 'async_job_save'
