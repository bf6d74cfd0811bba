#!/usr/bin/python
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Test module: writes one line to stderr and succeeds."""

from __future__ import annotations

import sys

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={})
    sys.stderr.write('written to stderr\n')
    module.exit_json(changed=True)


if __name__ == '__main__':
    main()
