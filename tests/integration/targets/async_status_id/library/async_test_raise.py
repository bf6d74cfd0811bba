#!/usr/bin/python
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""A test module that raises, optionally with a cause: what ansible-core's own async target runs."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={'chained': {'type': 'bool', 'default': False}})
    if module.params['chained']:
        try:
            raise KeyError('the cause')
        except KeyError as cause:
            raise ValueError('failing via exception') from cause
    raise ValueError('failing via exception')


if __name__ == '__main__':
    main()
