#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_prune and run by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_prune
short_description: Remove the ended async jobs of a host, with their names and leftovers
version_added: "2.0.0"
description:
  - Removes from the async dir (C(~/.ansible_async) of the task's user, as
    M(rstyczynski.ansible.async_job_info) reads it) every job that has ended and whose job file
    was last written at least O(older_than) ago, with the names that point at it, the claim files
    of those names (C(.jid_<name>.claim)), and the wrapper's and async_kill's leftovers
    (C(<jid>.tmp), C(<jid>.kill)).
  - Also removes the names whose job file is gone (dangling names), and leftovers with no job
    file once they are at least a minute old and no async wrapper runs for their jid.
  - Ended means V(finished), V(failed), V(timed_out), V(killed) or V(dead) (see
    M(rstyczynski.ansible.async_job_info)). A V(corrupt) job file is removed only when O(state)
    names V(corrupt), and only while no async wrapper runs for its jid. A running job is never
    touched, whatever O(state) says.
  - The job list is read under the async dir's lock, the one M(rstyczynski.ansible.async_task),
    M(rstyczynski.ansible.async_alias) and cleanups take, so no name moves and no start claims a
    name while the prune decides and removes.
  - Nothing outside the async dir is touched. Every removal unlinks a name in the dir; a symlink
    is removed, never followed. A name whose link leads out of the dir is left alone.
  - Runs on the managed host as a static binary. Use the same O(ignore:become) settings as the
    tasks that started the jobs.
options:
  older_than:
    description:
      - Remove only the jobs whose job file was last written at least this long ago, that is which
        ended at least this long ago. Also the minimum age of a dangling name (its link's time) and
        of a claim file.
      - Seconds (V(0) for every ended job), or a number with a unit, C(s), C(m), C(h), C(d) or
        C(w) (V(30m), V(2h), V(7d)), or a sum of them (V(1h30m)).
    type: str
    required: true
  name:
    description:
      - Remove only the jobs with a name that matches this glob, and the dangling names that match
        it. As O(rstyczynski.ansible.async_job_info#module:name) - V(*) is every job, the empty
        string only the jobs with no name.
    type: str
  state:
    description:
      - Remove only the jobs in these states. V(running) selects nothing; V(corrupt) must be named
        to be removed.
      - When given, dangling names stay (a name has no state).
    type: list
    elements: str
    choices: [running, finished, failed, timed_out, killed, dead, corrupt]
notes:
  - A claim file goes with its name when it is a released claim of a job this prune removes (or
    of a job already gone), or when it has stood for 10 minutes or O(older_than), whichever is
    longer. A fresh claim is a run of M(rstyczynski.ansible.async_task) starting a job under that
    name right now, and stays.
  - The paths are removed in an order that leaves, if the prune is interrupted, at worst a job
    without a name, never a name without its job; the next prune finishes the work.
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: Lists in RV(removed) and RV(jobs) exactly what would go, and removes nothing.
  diff_mode:
    support: full
    details: The paths removed (or, in check mode, that would be).
  platform:
    details: Linux x86_64 and aarch64 targets (it reads /proc).
seealso:
  - module: rstyczynski.ansible.async_job_info
  - module: rstyczynski.ansible.async_status_id
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Remove every job that ended more than a week ago
  rstyczynski.ansible.async_prune:
    older_than: 7d

- name: See what a prune of the failed and dead nightly jobs would remove
  rstyczynski.ansible.async_prune:
    older_than: 1h
    name: "nightly-*"
    state: [failed, dead]
  check_mode: true
  register: would_go

- name: Show it
  ansible.builtin.debug:
    var: would_go.removed
"""

RETURN = r"""
async_dir:
  description: The async dir, C(~) expanded.
  returned: always
  type: str
  sample: /home/deploy/.ansible_async
jobs:
  description: The jobs removed (in check mode, that would be), as RV(rstyczynski.ansible.async_job_info#module:jobs) lists them.
  returned: always
  type: list
  elements: dict
dangling:
  description: The dangling names removed (in check mode, that would be).
  returned: always
  type: list
  elements: str
removed:
  description: Every path removed (in check mode, that would be), in the order of removal.
  returned: always
  type: list
  elements: str
  sample: ["/home/deploy/.ansible_async/jid_nightly", "/home/deploy/.ansible_async/j301638285310.8307"]
failed_paths:
  description:
    - The paths that could not be removed; RV(msg) says why for each. The prune carries on past
      such a path, so RV(removed) still lists what went, and the task fails only when this list is
      not empty. RV(jobs) and RV(dangling) then list only the jobs and names whose file did go.
    - A leftover (C(<jid>.tmp), C(<jid>.kill)) that is not a regular file or a symlink, such as a
      directory, is never planned; it is not the wrapper's, and is left alone.
  returned: always
  type: list
  elements: str
  sample: []
msg:
  description: What was done.
  returned: always
  type: str
  sample: "removed 12 job(s), 1 dangling name(s): 27 path(s)"
"""
