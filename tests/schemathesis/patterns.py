# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The patterns of the job service's OpenAPI document that hooks.py relies on (plain Python, so the
primary venv's test can compare them with the served document)."""

import re

PLAYBOOK = re.compile(r'^[^/\x00-][^\x00]*\.ya?ml$')
# An inventory without a comma is a file name.
INVENTORY_FILE = re.compile(r'^[^,\x00]{1,4096}$')
NAME = re.compile(r'^[A-Za-z0-9._:@-]{1,255}$')
KEY = re.compile(r'^(?:[A-Za-z0-9._:@-]{1,255}|"[A-Za-z0-9._:@-]{1,255}")$')
