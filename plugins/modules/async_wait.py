#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module: its action plugin polls the async_status_id binary.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_wait
short_description: Wait for an async job by jid or name, failing fast when it cannot finish
version_added: "1.1.0"
description:
  - Polls the job as M(rstyczynski.ansible.async_status_id) does until it finishes, and returns
    its result.
  - Fails at once, without waiting out O(retries), when the job failed, was killed, or its async
    wrapper is gone (C(pid_missing)). An unknown O(alias) fails at once too.
  - With O(cleanup=true), removes the job's name (O(alias)) or file (O(jid), O(job)) once it has
    finished or was killed.
options:
  jid:
    description: Job id. Exactly one of O(jid), O(alias) and O(job) is required.
    type: str
  alias:
    description: Job name given with M(rstyczynski.ansible.async_alias).
    type: str
  job:
    description: The result an async task registered, or the name of that variable.
    type: raw
  retries:
    description:
      - With O(hold=0), polls after the first one.
      - With O(hold) above 0 and no O(timeout), O(retries) times O(delay) is how long to wait at
        most (500 seconds by default, the bound polling had).
    type: int
    default: 100
  delay:
    description:
      - With O(hold=0), seconds between polls.
      - With O(hold) above 0, only a factor of the wait's bound (see O(retries)); the end of the job
        is seen at once, not at the next poll.
      - Must be greater than 0.
    type: float
    default: 5
  timeout:
    description:
      - Give up after this many seconds, whatever O(retries) says. Must be greater than 0.
      - A hold never goes past it; the last round trip holds only the time left.
    type: float
  hold:
    version_added: "2.0.0"
    description:
      - Seconds one round trip waits on the host (the O(rstyczynski.ansible.async_status_id#module:wait)
        option). The task returns within milliseconds of the job's end, and a long wait costs one
        round trip per O(hold) seconds and one task result, not a line per poll.
      - V(0) polls every O(delay) seconds, as earlier versions did.
      - Between V(0) and V(3600). A connection that drops during a hold is tried again three
        times (after 1, 2 and 4 seconds); a host that stays unreachable ends the task unreachable.
    type: float
    default: 60
  cleanup:
    description: Clean up once the job has finished or was killed.
    type: bool
    default: true
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: Waits as usual; cleanup in check mode only reports what it would remove.
  diff_mode:
    support: none
    details: There is nothing to compare.
seealso:
  - module: rstyczynski.ansible.async_status_id
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Start a job
  ansible.builtin.command: /opt/backup.sh
  async: 3600
  poll: 0
  register: backup

- name: Wait for it, at most an hour, one round trip a minute
  rstyczynski.ansible.async_wait:
    job: backup
    timeout: 3600
  register: result

- name: Start another one
  ansible.builtin.command: /opt/backup.sh
  async: 3600
  poll: 0
  register: second_backup

- name: Poll it every 10 seconds instead, as earlier versions did
  rstyczynski.ansible.async_wait:
    jid: "{{ second_backup.ansible_job_id }}"
    hold: 0
    delay: 10
    timeout: 3600
"""

RETURN = r"""
ansible_job_id:
  description: The job id; with O(alias), the job the alias points to.
  returned: when known
  type: str
  sample: j301638285310.8307
ansible_job_alias:
  description: The alias waited for.
  returned: when O(alias) is given
  type: str
alias_path:
  description: Path of the alias symlink.
  returned: when O(alias) is given
  type: str
started:
  description: Whether the job exists.
  returned: always
  type: bool
finished:
  description: Whether the job finished.
  returned: always
  type: bool
attempts:
  description: Round trips made (held waits, or polls with O(hold=0)).
  returned: always
  type: int
job_failed:
  description: The job failed, was killed or lost its async wrapper; the task then fails.
  returned: when the job was looked up
  type: bool
cleanup:
  description:
    - What the cleanup did (C(changed), C(removed), C(msg)).
    - The task's own C(changed) is the job's, as the builtin's polled C(async) task reports it;
      removing the job's files shows here only.
  returned: when it ran
  type: dict
rc:
  description:
    - The job's return code, when its module returned one.
    - Every key of the finished job's result is returned, as M(rstyczynski.ansible.async_status_id)
      returns it. The keys of a shell or command job are documented here.
  returned: when the job finished and its module returned it
  type: int
results_file:
  description: Path of the job file on the target.
  returned: when the job exists
  type: str
  sample: /home/deploy/.ansible_async/j301638285310.8307
killed:
  description: Whether the job was killed with M(rstyczynski.ansible.async_kill).
  returned: when the job exists
  type: bool
pid_missing:
  description: The job is not finished and its async wrapper is gone; the task then fails.
  returned: when the job exists
  type: bool
stdout:
  description: The job's stdout, when its module returned one.
  returned: when the job finished and its module returned it
  type: str
stderr:
  description: The job's stderr, when its module returned one.
  returned: when the job finished and its module returned it
  type: str
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when RV(stdout) is returned
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: when RV(stderr) is returned
  type: list
  elements: str
cmd:
  description: The job's command, when its module returned one (a shell or command job).
  returned: when the job finished and its module returned it
  type: raw
  sample: /opt/backup.sh
start:
  description: When the job's command started, when its module returned it.
  returned: when the job finished and its module returned it
  type: str
  sample: "2026-11-23 10:30:45.123456"
end:
  description: When the job's command ended, when its module returned it.
  returned: when the job finished and its module returned it
  type: str
  sample: "2026-11-23 10:31:02.654321"
delta:
  description: How long the job's command ran, when its module returned it.
  returned: when the job finished and its module returned it
  type: str
  sample: "0:00:17.530865"
"""
