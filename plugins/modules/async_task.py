#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. Its action plugin starts the job through ansible-core's
# async wrapper; the host-side decisions are the Rust binary binaries/<system>-<arch>/async_task.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_task
short_description: Run a named, singleton async job in one task - start it once, re-attach on re-runs
version_added: "1.1.0"
description:
  - Looks up the job named O(alias) on the target. If none is running, starts the command as an
    ordinary Ansible async job (the async wrapper of ansible-core), names it, and waits for it.
  - If the job is still running, for example because the playbook was interrupted and run again,
    it B(attaches) to that job and starts nothing.
  - If the name points to a job that has finished, O(restart) decides between returning that
    job's result and starting the command again. A job whose async wrapper died (C(pid_missing))
    is reported as a failure, not silently restarted, unless O(restart) says so.
  - Concurrent runs agree on one start; the decision is taken on the target under a lock on the
    async dir, and a run that finds another one starting the job waits for it and attaches.
  - The jobs it starts work with M(rstyczynski.ansible.async_status_id),
    M(rstyczynski.ansible.async_wait) and M(rstyczynski.ansible.async_kill) by jid or by name.
  - With O(record), the job is also saved with M(rstyczynski.ansible.async_job_save), so that a
    controller that lost everything can find it again by name with
    M(rstyczynski.ansible.async_job_load).
options:
  alias:
    description: The job's name on the target (a C(jid_<alias>) link in the async dir).
    type: str
    required: true
  shell:
    description: Command line run through the shell, as M(ansible.builtin.shell) runs it.
      Exactly one of O(shell), O(cmd) and O(argv) is required.
    type: str
  cmd:
    description: Command run without a shell, as M(ansible.builtin.command) runs O(cmd).
    type: str
  argv:
    description: Command as a list of arguments, as M(ansible.builtin.command) runs O(argv).
    type: list
    elements: str
  chdir:
    description: Directory to run the command in.
    type: str
  creates:
    description: As in M(ansible.builtin.command) - when this path exists, the job does not run
      its command and finishes at once, unchanged.
    type: str
  removes:
    description: As in M(ansible.builtin.command) - when this path does not exist, the job does
      not run its command.
    type: str
  executable:
    description: Shell to use with O(shell).
    type: str
  stdin:
    description: Data passed to the command's standard input.
    type: str
  async:
    description: The job's time limit in seconds, as the C(async) task keyword sets it.
    type: int
    default: 3600
  poll:
    description:
      - V(0) starts the job (or finds the running one) and returns at once, as the task keyword C(poll=0) does
        for an async task. Follow it with M(rstyczynski.ansible.async_wait) or
        M(rstyczynski.ansible.async_status_id).
      - A positive value waits for the job, and stands for O(delay).
    type: float
  retries:
    description:
      - With O(hold=0), polls after the first one before giving up.
      - With O(hold) above 0 and no O(timeout), O(retries) times O(delay) is how long to wait at
        most (3600 seconds by default).
    type: int
    default: 720
  delay:
    description:
      - With O(hold=0), seconds between polls. With O(hold) above 0, only a factor of the wait's
        bound (see O(retries)). Must be greater than 0.
    type: float
    default: 5
  timeout:
    description: Stop waiting after this many seconds, whatever O(retries) says. Must be greater
      than 0. The job keeps running; a re-run attaches to it.
    type: float
  hold:
    version_added: "2.0.0"
    description:
      - Seconds one round trip waits on the host for the job to end; see
        O(rstyczynski.ansible.async_wait#module:hold). V(0) polls every O(delay) seconds.
      - Between V(0) and V(3600).
    type: float
    default: 60
  cleanup:
    description:
      - Once the job has finished or was killed, remove its job file and every name pointing
        to it (and its record, with O(record)). The next run then starts the command again.
      - Set V(false) to keep the finished job under its name, so that later runs return its
        result instead of running the command again (see O(restart)).
      - A job whose wrapper died is never cleaned up, so it can be inspected.
    type: bool
    default: true
  restart:
    description:
      - What to do when the name points to a job that is not running.
      - V(never) returns that job's result, and fails on a job whose wrapper died.
      - V(on_failure) starts the command again when that job failed (non-zero rc), was killed or
        lost its wrapper, and returns the result of a successful one.
      - V(always) starts the command again whenever the job is not running.
      - A running job is always attached to, whatever this says.
    type: str
    choices: [never, on_failure, always]
    default: never
  record:
    description:
      - Also save the job as a record, with the options of M(rstyczynski.ansible.async_job_save)
        (C(backend), C(state_dir), C(metadata), the C(oci_*) options, ...).
      - C(job_name) defaults to O(alias); host and playbook name to the task's.
      - The record is saved when this task starts or attaches to a job, and removed by
        O(cleanup).
      - The record options are checked completely, with async_job_save's own messages, before
        anything is claimed or started, in check mode too. Bad options start nothing.
      - C(ansible_job_id), C(state), C(if_absent) and C(stale_claim_after) are set by this module
        and are refused here.
    type: dict
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: Says whether it would start the job; does not wait for a running one.
  diff_mode:
    support: none
    details: There is nothing to compare.
  async:
    support: none
    description: The module is the async start; use its O(async) and O(poll) options instead of
      the task keywords.
notes:
  - When several runs wait on one job with O(cleanup=true), the first to see it finish returns
    its result and removes it; the others finish without failing, with C(result_gone=true) and a
    warning saying so.
  - Between the start of the job and its naming there is one round trip to the target. If the
    controller dies exactly then, the job runs without a name and the name's claim expires after
    two minutes, after which a re-run starts the command again.
seealso:
  - module: rstyczynski.ansible.async_status_id
  - module: rstyczynski.ansible.async_wait
  - module: rstyczynski.ansible.async_kill
  - module: rstyczynski.ansible.async_job_save
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Migrate the database once, however often the playbook runs
  rstyczynski.ansible.async_task:
    alias: db_migration
    shell: /opt/app/migrate.sh >> /var/log/migrate.log 2>&1
    async: 43200
    timeout: 43200
  register: migration

- name: Start a backup and go on (poll 0); a re-run finds the running backup
  rstyczynski.ansible.async_task:
    alias: nightly_backup
    argv: [/usr/local/bin/backup, --full]
    async: 7200
    poll: 0

- name: Wait for the backup later
  rstyczynski.ansible.async_wait:
    alias: nightly_backup
    timeout: 7200

- name: Keep a successful result, retry a failed one, and record the job on the controller
  rstyczynski.ansible.async_task:
    alias: build_index
    cmd: /opt/app/build-index
    chdir: /opt/app
    cleanup: false
    restart: on_failure
    record:
      state_dir: /var/lib/ansible/jobs
      metadata:
        ticket: CHG-1234
"""

RETURN = r"""
action:
  description:
    - What the task did with the name. V(start) - no job had the name, one was started;
      V(restart) - the name's job had ended and O(restart) started it again; V(attach) - the job
      was running; V(keep) - the job had finished and its result was returned; V(dead) - the
      job's wrapper died and O(restart) did not allow a new start.
  returned: always
  type: str
  sample: attach
ansible_job_id:
  description: The job's id.
  returned: when there is a job
  type: str
  sample: j123456789012.4242
ansible_job_alias:
  description: The job's name.
  returned: always
  type: str
changed:
  description: True when this task started the job (and, once it finished, the job itself
    reports a change). Attaching to or returning a job started by an earlier run is not a change.
  returned: always
  type: bool
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
  returned: when the task waited
  type: int
rc:
  description:
    - The job's return code, when its module returned one.
    - Every key of the finished job's result is returned, as M(rstyczynski.ansible.async_status_id)
      returns it. The keys of a shell or command job are documented here.
  returned: when the job finished and its module returned it
  type: int
previous_job_id:
  description: The job the name pointed to before this task started a new one (O(restart)).
  returned: when a start moved the name away from another job
  type: str
results_file:
  description: Path of the job file on the target.
  returned: when there is a job
  type: str
  sample: /home/deploy/.ansible_async/j301638285310.8307
killed:
  description: Whether the job was killed with M(rstyczynski.ansible.async_kill).
  returned: when there is a job
  type: bool
pid_missing:
  description: The job is not finished and its async wrapper is gone; the task then fails.
  returned: when there is a job
  type: bool
job_failed:
  description: The job failed, was killed or lost its async wrapper.
  returned: when this task waited for the job
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
cleanup:
  description: What the cleanup removed.
  returned: when it ran
  type: dict
result_gone:
  description: The job finished, but another run's cleanup removed it before this run read its
    result.
  returned: when it happened
  type: bool
record:
  description: Where the record went (C(state_file)) and whether saving changed it.
  returned: with O(record), when a job was started or attached to
  type: dict
"""
