#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_kill and run by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_kill
short_description: Kill an async job and everything it started
version_added: "1.1.0"
description:
  - Stops a job started with C(async), found by O(jid) or by O(alias). That is the async wrapper's
    supervisor and runner, the module, and every process the module started, including children
    that left its process group. Ansible itself has no way to do this (ansible#12619).
  - Sends O(signal), waits up to O(grace) seconds, then sends SIGKILL to whatever is left.
  - Then marks the job file C(killed), atomically, so M(rstyczynski.ansible.async_status_id)
    reports C(killed=true) and C(finished=true).
  - Killing a job that has finished or was killed already changes nothing.
  - Runs on the managed host as a static binary. Use the same O(ignore:become) settings as the
    task that started the job.
options:
  jid:
    description: Job id. Exactly one of O(jid) and O(alias) is required.
    type: str
  alias:
    description: Job name given with M(rstyczynski.ansible.async_alias).
    type: str
  signal:
    description: The first signal, by name (V(TERM), V(SIGINT)) or number (V(15)).
    type: str
    default: TERM
  grace:
    description: Seconds to wait after O(signal) before SIGKILL.
    type: float
    default: 5
notes:
  - A job whose wrapper is already gone (RV(rstyczynski.ansible.async_status_id#module:pid_missing))
    is only marked killed; its module may have been orphaned and is not known to belong to the job.
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: Reports the processes it would signal and signals nothing.
  diff_mode:
    support: none
    details: There is nothing to compare.
  platform:
    details: Linux x86_64 and aarch64 targets (it reads /proc).
seealso:
  - module: rstyczynski.ansible.async_status_id
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Start the nightly backup
  ansible.builtin.command: /opt/backup.sh
  async: 3600
  poll: 0
  register: backup

- name: Name it
  rstyczynski.ansible.async_alias:
    job: backup
    alias: nightly_backup

- name: Stop the nightly backup
  rstyczynski.ansible.async_kill:
    alias: nightly_backup

- name: Start it again
  ansible.builtin.command: /opt/backup.sh
  async: 3600
  poll: 0
  register: backup

- name: Interrupt a job, give it 30 seconds to clean up
  rstyczynski.ansible.async_kill:
    jid: "{{ backup.ansible_job_id }}"
    signal: INT
    grace: 30
"""

RETURN = r"""
ansible_job_id:
  description: The job.
  returned: always
  type: str
signalled:
  description: Each signal sent (or, in check mode, that would be sent).
  returned: always
  type: list
  elements: dict
  sample: [{"pid": 4242, "signal": "SIGTERM"}, {"pid": 4243, "signal": "SIGTERM"}]
killed:
  description: Whether the job is now marked killed.
  returned: always
  type: bool
finished:
  description: Whether the job is over (finished on its own, or killed now or before).
  returned: when the job was found
  type: bool
ansible_job_alias:
  description: The alias the job was found by.
  returned: when O(alias) is given
  type: str
results_file:
  description: Path of the job file.
  returned: when the job was found
  type: str
  sample: /home/deploy/.ansible_async/j301638285310.8307
"""
