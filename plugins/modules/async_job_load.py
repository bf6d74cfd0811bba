#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_job_load and run on the controller by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_job_load
short_description: Find an async job record by name
version_added: "1.1.0"
description:
  - Loads a record saved by M(rstyczynski.ansible.async_job_save).
  - B(Runs on the controller), whatever host the task is for, as the user running
    ansible-playbook and in its working directory.
  - Only a record that does not exist gives RV(found=false). A damaged record, or a backend that
    cannot be reached, fails the task with a message naming the record, so a playbook never starts
    a duplicate job because of it.
  - Reads records written by the original roles too.
options:
  job_name:
    description: Name of the job.
    type: str
    required: true
  playbook_name:
    description: Playbook identifier used when saving. Defaults to the play's name.
    type: str
  host:
    description: Host whose job to load. Defaults to the task's C(inventory_hostname).
    type: str
attributes:
  check_mode:
    support: full
    details: Reads only; runs as usual in check mode.
  diff_mode:
    support: none
    details: Reads only; there is nothing to show.
  platform:
    details: Runs on the controller (Linux x86_64 or aarch64).
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
  - rstyczynski.ansible.records
seealso:
  - module: rstyczynski.ansible.async_job_save
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Start a long job
  ansible.builtin.command: /opt/db/migrate.sh
  async: 43200
  poll: 0
  register: started

- name: Record it by name (an earlier run, or another controller, did this)
  rstyczynski.ansible.async_job_save:
    job_name: db_migration_v3
    ansible_job_id: "{{ started.ansible_job_id }}"

- name: Find the migration by name
  rstyczynski.ansible.async_job_load:
    job_name: db_migration_v3
  register: migration

- name: Check on it, if it was found
  rstyczynski.ansible.async_status_id:
    jid: "{{ migration.ansible_job_id }}"
  register: status
  when: migration.found and not migration.pending
"""

RETURN = r"""
job_name:
  description: The job name looked for, O(job_name).
  returned: always
  type: str
  sample: db_migration_v3
playbook_name:
  description: The playbook identifier looked under, O(playbook_name) or the play's name.
  returned: always
  type: str
  sample: site
found:
  description: Whether a record exists.
  returned: always
  type: bool
ansible_job_id:
  description: The job id; empty when not found, or for a claim not yet recorded.
  returned: always
  type: str
host:
  description: The host the job runs on; when not found, the host looked for.
  returned: always
  type: str
metadata:
  description: The record's metadata; empty when not found.
  returned: always
  type: dict
save_time:
  description: When the record was saved, UTC C(YYYY-MM-DDTHH:MM:SSZ); empty when not found.
  returned: always
  type: str
state_file:
  description: Where the record is (or would be).
  returned: always
  type: str
pending:
  description: The record is a claim whose job id has not been recorded yet.
  returned: always
  type: bool
"""
