#!/usr/bin/python
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Test module: raises, so the job file holds ansible-core's own error for an uncaught exception
(2.19+: an ErrorSummary; 2.15: the traceback on stderr)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    AnsibleModule(argument_spec={})
    raise RuntimeError('failing via exception')


if __name__ == '__main__':
    main()
