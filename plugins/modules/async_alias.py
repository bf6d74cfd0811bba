#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_alias and run by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_alias
short_description: Give an async job a name that survives the playbook run
version_added: "1.1.0"
description:
  - Creates C(<async dir>/jid_<alias>), a symlink to the job file, so that
    M(rstyczynski.ansible.async_status_id) can find the job by O(alias) in a later run.
  - The link is replaced atomically (a new link, then rename), so readers never see no alias.
  - Refuses to move an alias away from another job that is still running, unless O(force=true).
  - Runs on the managed host as a static binary.
options:
  alias:
    description:
      - The job's name. It becomes a file name, so it cannot be empty, be C(.), contain C(/),
        C(..) or control characters, or be longer than 200 bytes.
    type: str
    required: true
  jid:
    description:
      - Job id to name. Exactly one of O(jid) and O(job) is required.
    type: str
  job:
    description:
      - "The result an async task registered, or the B(name) of that variable, as in
        C(async_alias: job=async_task_obj alias=blah)."
      - The job id and the directory of its C(results_file) are taken from it, so the alias lands
        next to the job file wherever the wrapper wrote it.
    type: raw
  force:
    description:
      - Move the alias even when it names another job that is still running.
    type: bool
    default: false
notes:
  - With O(jid), the async dir is the C(async_dir) shell option (default C(~/.ansible_async)),
    expanded on the target by the user the module runs as. Use the same O(ignore:become) settings as
    the task that started the job.
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: Reports whether the alias would change and changes nothing.
  diff_mode:
    support: full
    details: Shows the job the alias named before and after.
seealso:
  - module: rstyczynski.ansible.async_status_id
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Start a job
  ansible.builtin.shell: |
    echo Hello &&
    sleep 60
  async: 1000
  poll: 0
  register: async_task_obj

# The original module's free-form style still works; ansible-lint prefers the YAML form below.
- name: Name it, by the registered variable's name
  rstyczynski.ansible.async_alias: job=async_task_obj alias=blah  # noqa: no-free-form

- name: Name it, from the result itself
  rstyczynski.ansible.async_alias:
    job: "{{ async_task_obj }}"
    alias: blah

- name: Name a job by id, moving the alias even if it named another running job
  rstyczynski.ansible.async_alias:
    jid: "{{ async_task_obj.ansible_job_id }}"
    alias: blah
    force: true
"""

RETURN = r"""
ansible_job_id:
  description: The job the alias now names.
  returned: always
  type: str
  sample: j301638285310.8307
ansible_job_alias:
  description: The alias.
  returned: always
  type: str
  sample: blah
alias_path:
  description: Path of the alias symlink.
  returned: always
  type: str
  sample: /home/deploy/.ansible_async/jid_blah
results_file:
  description: Path of the job file the alias points to.
  returned: always
  type: str
previous_job_id:
  description: The job the alias named before, when it named another one.
  returned: when the alias existed and named another job
  type: str
"""
