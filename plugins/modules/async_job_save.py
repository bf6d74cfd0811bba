#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_job_save and run on the controller by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_job_save
short_description: Save, claim or delete an async job record by name
version_added: "1.1.0"
description:
  - Saves a record "job O(job_name) of playbook O(playbook_name) on host O(host) is Ansible job
    O(ansible_job_id)" so that a later run, or a new controller, finds the job by name with
    M(rstyczynski.ansible.async_job_load).
  - B(Runs on the controller), whatever host the task is for, as the user running
    ansible-playbook and in its working directory. Job records belong with the controller (or in
    the cloud), not on the managed host. O(ignore:become) does not apply to it.
  - Filesystem records are C(<state_dir>/<host>/<playbook_name>/<job_name>.json), directories
    mode 0700 and files 0600, written atomically (temp file, fsync, rename), in the format of the
    original roles, properly escaped.
  - With O(if_absent=true) the record is created only if none exists, atomically, so exactly one
    of many concurrent runs claims a job name (RV(claimed)).
options:
  job_name:
    description: Name of the job. It becomes a file or object name, so it cannot contain C(/) or C(..).
    type: str
    required: true
  ansible_job_id:
    description:
      - The job id the async task registered.
      - Required with O(state=present), except for a claim (O(if_absent=true)), which may be saved
        before the job is started and recorded with its id afterwards.
    type: str
  host:
    description: The host the job runs on. Defaults to the task's C(inventory_hostname).
    type: str
  playbook_name:
    description: Playbook identifier, so job names of different playbooks do not collide. Defaults to the play's name.
    type: str
  metadata:
    description: Any data to keep with the record.
    type: dict
    default: {}
  state:
    description: V(absent) deletes the record.
    type: str
    choices: [present, absent]
    default: present
  if_absent:
    description:
      - Create the record only if no record exists (a claim), atomically. RV(claimed) tells
        whether this run got it; when it did not, the existing record is returned.
    type: bool
    default: false
  stale_claim_after:
    description:
      - A claim with no job id older than this many seconds counts as absent for O(if_absent), since
        its claimer died before starting the job; this run may take it over.
    type: int
    default: 900
notes:
  - Saving a record whose content (all but C(save_time)) is unchanged changes nothing and reports
    C(changed=false).
  - A damaged record (not a record this module can read) is never taken for a missing one. Loading
    it and claiming it (O(if_absent=true)) fail and name it. O(state=absent) removes it. A plain
    save (O(ansible_job_id), no O(if_absent)) replaces it, since it says which job the name is
    anyway, and warns that it did.
attributes:
  check_mode:
    support: full
    details: Reports what would be saved or deleted and writes nothing.
  diff_mode:
    support: full
    details: Shows the record before and after.
  platform:
    details: Runs on the controller (Linux x86_64 or aarch64).
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
  - rstyczynski.ansible.records
seealso:
  - module: rstyczynski.ansible.async_job_load
  - module: rstyczynski.ansible.async_status_id
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Start a long job
  ansible.builtin.command: /opt/db/migrate.sh
  async: 43200
  poll: 0
  register: migration

- name: Record it by name
  rstyczynski.ansible.async_job_save:
    job_name: db_migration_v3
    ansible_job_id: "{{ migration.ansible_job_id }}"
    metadata:
      ticket: OPS-1234

- name: Forget the job (its record; the job runs on)
  rstyczynski.ansible.async_job_save:
    job_name: db_migration_v3
    state: absent

# Race-free: claim the name first, start only if this run got it, then record the id.
- name: Claim the job name
  rstyczynski.ansible.async_job_save:
    job_name: db_migration_v3
    if_absent: true
  register: claim

- name: Start the job only if this run claimed it
  ansible.builtin.command: /opt/db/migrate.sh
  async: 43200
  poll: 0
  register: migration
  when: claim.claimed

- name: Record its id
  rstyczynski.ansible.async_job_save:
    job_name: db_migration_v3
    ansible_job_id: "{{ migration.ansible_job_id }}"
  when: claim.claimed
"""

RETURN = r"""
job_name:
  description: The record's job name, O(job_name).
  returned: always
  type: str
  sample: db_migration_v3
playbook_name:
  description: The playbook identifier the record is kept under, O(playbook_name) or the play's name.
  returned: always
  type: str
  sample: site
state_file:
  description: Where the record is, a path or C(oci://<bucket>/<host>/<playbook_name>/<job_name>.json).
  returned: always
  type: str
  sample: .ansible_async_state/web01/site/db_migration_v3.json
claimed:
  description: With O(if_absent), whether this run created the record.
  returned: when O(if_absent=true)
  type: bool
record:
  description: The record as stored now (for a lost claim, the winner's record).
  returned: when O(state=present)
  type: dict
  sample: {"job_name": "db_migration_v3", "host": "web01", "ansible_job_id": "j1.2", "save_time": "2026-11-23T10:30:45Z", "metadata": {}}
ansible_job_id:
  description: The record's job id; empty for a claim not yet recorded.
  returned: when O(state=present)
  type: str
host:
  description: The host of the stored record.
  returned: when O(state=present)
  type: str
  sample: web01
metadata:
  description: The metadata of the stored record.
  returned: when O(state=present)
  type: dict
  sample: {"ticket": "OPS-1234"}
save_time:
  description: When the stored record was saved, UTC.
  returned: when O(state=present)
  type: str
pending:
  description: The record is a claim with no job id yet.
  returned: when O(state=present)
  type: bool
"""
