#!/usr/bin/python
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Test module: prints a line before its JSON answer, another after it (option where), and
succeeds with changed=true. The async wrapper keeps the JSON and warns about what followed it."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={'where': {'type': 'str', 'choices': ['before', 'after'], 'required': True}})
    if module.params['where'] == 'before':
        print('noise printed before the answer')
        module.exit_json(changed=True)
    try:
        module.exit_json(changed=True)
    finally:
        print('noise printed after the answer')


if __name__ == '__main__':
    main()
