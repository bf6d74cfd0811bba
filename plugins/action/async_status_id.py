# Copyright (c) 2026 rstyczynski.ansible contributors
# MIT License (see LICENSE)
"""Action for async_status_id: adds the async dir the wrapper used, then runs the binary."""

from __future__ import annotations

from ansible_collections.rstyczynski.ansible.plugins.plugin_utils.binary_module import BinaryModuleAction

DEFAULT_ASYNC_DIR = '~/.ansible_async'


class ActionModule(BinaryModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        # The same source as the builtin async_status and the async wrapper: the shell's async_dir
        # option (ANSIBLE_ASYNC_DIR, [defaults] async_dir, ansible_async_dir). `~` is expanded on
        # the target by the binary, as the (become) user the wrapper ran as, which saves a round
        # trip per poll and lands where the wrapper wrote.
        args['_async_dir'] = self.get_shell_option('async_dir', default=DEFAULT_ASYNC_DIR)
        result.update(self.run_binary('async_status_id', args, task_vars or {}))
        return result
