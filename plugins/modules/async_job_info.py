#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_job_info and run by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_job_info
short_description: List the async jobs on a host, with their names and states
version_added: "2.0.0"
description:
  - Lists the jobs in the async dir of the user the task runs as (the O(ignore:become) user when
    the task uses become), C(~/.ansible_async) unless C(ANSIBLE_ASYNC_DIR) says otherwise. Give
    it the same O(ignore:become) settings as the tasks that started the jobs.
  - For each job, its jid, its names (the aliases of M(rstyczynski.ansible.async_alias) and
    M(rstyczynski.ansible.async_task)), its state, when it started and ended, its age, the
    wrapper's pid while it runs, its C(rc) and its command.
  - Also lists the names whose job file is gone (RV(dangling)).
  - Tells a running job from a dead one by looking for its async wrapper in C(/proc), once for
    all jobs. At 10,000 jobs it answers in tens of milliseconds on the host.
  - Reads only. Nothing is read through a symlink. A symlink in place of a job file is listed as
    V(corrupt) and not followed, and a name counts only when it leads to a job file directly in
    the async dir.
  - Runs on the managed host as a static binary; the target needs no Python for this module.
options:
  name:
    description:
      - A glob (C(*), C(?), C([abc]), as in M(ansible.builtin.find) patterns) on the job's names.
        A job is listed when one of its names matches.
      - V(*) lists every job, named or not. The empty string lists only the jobs with no name.
      - Also filters RV(dangling).
    type: str
  state:
    description:
      - List only the jobs in these states.
      - V(running) its async wrapper is alive; V(finished) ended, not failed; V(failed) its module
        failed (or did not answer JSON); V(timed_out) the wrapper stopped it at its C(async:)
        time limit; V(killed) stopped by M(rstyczynski.ansible.async_kill); V(dead) not ended and
        its wrapper is gone (C(pid_missing) in M(rstyczynski.ansible.async_status_id)), so it will
        never end; V(corrupt) the job file cannot be read as a job.
      - When given, RV(dangling) is empty (a name has no state).
    type: list
    elements: str
    choices: [running, finished, failed, timed_out, killed, dead, corrupt]
  older_than:
    description:
      - List only the jobs whose job file was last written at least this long ago (see RV(jobs[].age)).
      - Seconds (V(3600)), or a number with a unit, C(s), C(m), C(h), C(d) or C(w) (V(30m),
        V(2h), V(7d)), or a sum of them (V(1h30m)).
    type: str
notes:
  - RV(jobs[].start) and RV(jobs[].end) come from the job file's own C(start) and C(end) when the
    module wrote them (M(ansible.builtin.command) and M(ansible.builtin.shell) do, in the host's
    local time); otherwise from the job file's modification time, in UTC (C(2026-12-07T10:00:00Z)),
    the start marker's for a job not ended, the result's for an ended one, and no start for an
    ended job. RV(jobs[].times_from) says which.
  - A job file over 256 MiB is not read; it is listed as V(corrupt) with the reason.
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: It only reads; check mode changes nothing.
  diff_mode:
    support: none
    details: It changes nothing.
  platform:
    details: Linux x86_64 and aarch64 targets (it reads /proc).
seealso:
  - module: rstyczynski.ansible.async_prune
  - module: rstyczynski.ansible.async_status_id
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: List every job
  rstyczynski.ansible.async_job_info:
  register: inventory

- name: Show the dead ones
  ansible.builtin.debug:
    msg: "{{ inventory.jobs | selectattr('state', 'equalto', 'dead') | map(attribute='jid') | list }}"

- name: Jobs named nightly-*, failed or killed, ended more than a day ago
  rstyczynski.ansible.async_job_info:
    name: "nightly-*"
    state: [failed, killed]
    older_than: 1d
  register: old_failures
"""

RETURN = r"""
async_dir:
  description: The async dir read, C(~) expanded.
  returned: always
  type: str
  sample: /home/deploy/.ansible_async
count:
  description: How many jobs RV(jobs) lists.
  returned: always
  type: int
jobs:
  description: The jobs the filters select, sorted by jid.
  returned: always
  type: list
  elements: dict
  contains:
    jid:
      description: The job id.
      type: str
      sample: j301638285310.8307
    names:
      description: The aliases that name the job, sorted; empty when it has none.
      type: list
      elements: str
    state:
      description: One of the states of O(state).
      type: str
      sample: finished
    start:
      description: When the job started, when known (see the notes).
      type: str
      sample: "2026-12-07 10:00:00.123456"
    end:
      description: When the job ended; null while it has not.
      type: str
    times_from:
      description: V(job) when RV(jobs[].start) and RV(jobs[].end) come from the job file's data, V(file) when from its modification time.
      type: str
      sample: job
    age:
      description: Seconds since the job file was last written, that is since the job ended (an ended job) or started (one that has not).
      type: int
    pid:
      description: The pid of the async wrapper's runner while the job runs; for a V(timed_out) job, the module the wrapper killed; null otherwise.
      type: int
    rc:
      description: The module's return code, when it gave one.
      type: int
    command:
      description: The command, from the job file's C(cmd) or the module's arguments, when the file has it.
      type: str
      sample: "/usr/local/bin/backup --full"
    results_file:
      description: The job file.
      type: str
    reason:
      description: Why a V(corrupt) job cannot be read, or the wrapper's message for a V(timed_out) one.
      type: str
      returned: for a corrupt or timed-out job
dangling:
  description: Names whose job file is gone, sorted by name. Empty when O(state) is given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The alias.
      type: str
    jid:
      description: The job it names.
      type: str
    path:
      description: The alias's symlink.
      type: str
"""
