# Copyright (c) 2026 rstyczynski.ansible contributors
# MIT License (see LICENSE)
"""Action for async_kill: adds the async dir the wrapper used, then runs the binary on the target."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction

DEFAULT_ASYNC_DIR = '~/.ansible_async'


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        # Where the wrapper wrote, expanded on the target as the (become) user: see async_status_id.
        args['_async_dir'] = self.get_shell_option('async_dir', default=DEFAULT_ASYNC_DIR)
        result.update(self.run_binary('async_kill', args, task_vars or {}))
        return result
