#!/usr/bin/python
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Test module: ends with fail_json, as a module that reports its own failure does."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    AnsibleModule(argument_spec={}).fail_json(msg='failed gracefully')


if __name__ == '__main__':
    main()
