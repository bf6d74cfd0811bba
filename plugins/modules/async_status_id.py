#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# This file only documents the module. The module itself is a static Rust binary, shipped in
# binaries/<system>-<arch>/async_status_id and run by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: async_status_id
short_description: Status of an async job by jid or by name, with dead-wrapper detection and cleanup
version_added: "1.1.0"
description:
  - A compatible superset of M(ansible.builtin.async_status).
  - Finds a job by its jid, or by an O(alias) given with M(rstyczynski.ansible.async_alias), so a
    re-run playbook finds a job it started before instead of starting it again.
  - Notices when the job's async wrapper is gone (killed, host rebooted) and reports C(pid_missing)
    at once, where M(ansible.builtin.async_status) would report "running" forever.
  - Cleans up the job file, its aliases and the wrapper's leftovers.
  - Runs on the managed host as a static binary; the target needs no Python for this module.
options:
  jid:
    description:
      - Job id returned by an async task (C(ansible_job_id)).
      - Exactly one of O(jid) and O(alias) is required.
    type: str
  alias:
    description:
      - Name of the job, the alias made by M(rstyczynski.ansible.async_alias).
      - "An alias that does not exist, or points to a job file that is gone, is not an error. The
        result then has RV(started=false) and RV(finished=false), so C(when: not result.started)
        can start the job."
    type: str
  mode:
    description:
      - V(status) reports the job.
      - V(cleanup) removes the alias when the job was named by O(alias), and the job file when it
        was named by O(jid).
      - V(full_cleanup) removes the job file, every alias that points to it, the claim files of
        those aliases (C(.jid_<alias>.claim), left by M(rstyczynski.ansible.async_task)), and the
        wrapper's C(.tmp)/C(.kill) leftovers. A claim stays while it is fresh and not a released
        claim of this job (a run is starting a new job under that name).
      - A job whose wrapper still runs is never removed; the result says so and changes nothing.
        A job whose wrapper is gone (RV(pid_missing)) can be removed.
    type: str
    choices: [status, cleanup, full_cleanup]
    default: status
  wait:
    version_added: "2.0.0"
    description:
      - Seconds to hold the answer on the host while the job runs. The module returns as soon as
        the job finishes, fails, is killed or loses its async wrapper, or when the time is up, and
        then returns exactly what a poll (V(0)) would return at that moment, so RV(finished=false)
        when the time ran out.
      - V(0) is a poll, the behaviour of M(ansible.builtin.async_status).
      - Between V(0) and V(3600). Longer waits are several calls; M(rstyczynski.ansible.async_wait)
        makes them for you.
      - Only with O(mode=status).
    type: float
    default: 0
  fail_on_job_failure:
    version_added: "2.0.0"
    description:
      - V(true) fails the task when the job failed, was killed, lost its async wrapper
        (RV(pid_missing)) or has a damaged job file, as M(ansible.builtin.async_status) does.
      - V(false) reports such a job as data; the task succeeds with RV(job_failed=true) and the
        job's own C(msg), RV(rc), RV(killed) and RV(pid_missing), so the next task can clean it up
        and start the job again. See the first example.
      - A lookup that finds no job (an unknown jid, a broken alias) fails either way.
    type: bool
    default: true
notes:
  - The async dir is the one the async wrapper uses, from the C(async_dir) shell option
    (E(ANSIBLE_ASYNC_DIR), C([defaults] async_dir) or the C(ansible_async_dir) variable), default
    C(~/.ansible_async). C(~) is expanded on the target by the user the module runs as, which is
    the become user when the task uses become, the same user and the same expansion as the wrapper's.
  - Use the same O(ignore:become) and C(delegate_to) settings as the task that started the job.
  - When the job failed, the task fails, as with M(ansible.builtin.async_status), unless
    O(fail_on_job_failure=false).
  - "O(wait) holds the answer on the host: the module watches the async dir with inotify and
    looks at the job at least once a second (the wrapper's death shows only in C(/proc), and
    inotify says nothing about changes made on another NFS client). Where inotify cannot start
    (the per-user C(max_user_instances) limit) it looks once a second; this is never an error.
    The job's end is seen within milliseconds, at one round trip per O(wait) seconds instead of
    one per C(delay)."
  - "A job with RV(pid_missing) is reported as failed with RV(finished=false). To stop an C(until)
    loop at once in that case, use C(until: result.finished or result.failed)."
  - "When the job's module raised, ansible-core 2.19 and later write the error as a structured
    summary with no message. The result's C(msg) is then C(Module failed: <the raised message>)
    (and its causes), as M(ansible.builtin.async_status) says, and RV(exception) holds the
    traceback when the module sent one."
  - "O(jid) with O(mode=cleanup) answers as M(ansible.builtin.async_status) does: an unknown jid fails
    with C(could not find job) and RV(erased); a removal returns C(changed: false),
    RV(started=false), RV(finished=false), empty RV(stdout) and RV(stderr), and RV(erased).
    RV(removed) says what was actually removed."
  - "Where O(mode=cleanup) by O(jid) differs from M(ansible.builtin.async_status): a job whose wrapper
    still runs is not removed (the builtin removes its file, and the wrapper then writes it again);
    check mode removes nothing (ansible-core 2.19 and later remove the file in check mode); the result
    also has RV(removed) and C(msg)."
  - "O(alias) and O(mode=full_cleanup) are this module's own: there C(changed) is true when something
    was removed, and a name or jid that points at nothing is not an error (C(nothing to clean up))."
extends_documentation_fragment:
  - rstyczynski.ansible._attributes
attributes:
  check_mode:
    support: full
    details: Cleanup modes report what they would remove and remove nothing.
  diff_mode:
    support: full
    details: Cleanup modes show the paths removed.
seealso:
  - module: ansible.builtin.async_status
  - module: rstyczynski.ansible.async_alias
author:
  - Ryszard Styczynski (@rstyczynski)
"""

EXAMPLES = r"""
- name: Find the job by name; a job that failed, was killed or lost its wrapper is data here
  rstyczynski.ansible.async_status_id:
    alias: nightly_backup
    fail_on_job_failure: false
  register: job_result

- name: Remove a job that ended badly, so it starts again
  rstyczynski.ansible.async_status_id:
    alias: nightly_backup
    mode: full_cleanup
  when: job_result.job_failed

- name: Start it only when no job of that name exists
  ansible.builtin.command: /opt/backup.sh
  async: 3600
  poll: 0
  register: backup
  when: not job_result.started or job_result.job_failed

- name: Name the new job
  rstyczynski.ansible.async_alias:
    job: backup
    alias: nightly_backup
  when: not job_result.started or job_result.job_failed

- name: Wait up to 10 minutes for it, by name, in one round trip
  rstyczynski.ansible.async_status_id:
    alias: nightly_backup
    wait: 600
  register: job_result

- name: Remove the alias, keep the job file
  rstyczynski.ansible.async_status_id:
    alias: nightly_backup
    mode: cleanup

- name: Remove the job file, all its aliases and leftovers
  rstyczynski.ansible.async_status_id:
    jid: "{{ backup.ansible_job_id }}"
    mode: full_cleanup
"""

RETURN = r"""
ansible_job_id:
  description: The job id. With O(alias), the job the alias points to.
  returned: when known
  type: str
  sample: j301638285310.8307
ansible_job_alias:
  description: The alias asked for.
  returned: when O(alias) is given
  type: str
  sample: nightly_backup
alias_path:
  description: Path of the alias symlink.
  returned: when O(alias) is given
  type: str
  sample: /home/deploy/.ansible_async/jid_nightly_backup
started:
  description:
    - Whether a job exists. False for an unknown or dangling alias.
    - False after a cleanup by O(jid) with O(mode=cleanup), as M(ansible.builtin.async_status) says.
  returned: always
  type: bool
finished:
  description: Whether the job has finished (or was killed).
  returned: always
  type: bool
killed:
  description: Whether the job was killed with M(rstyczynski.ansible.async_kill).
  returned: always, except after a cleanup by O(jid) with O(mode=cleanup)
  type: bool
pid_missing:
  description:
    - The job is not finished and no async wrapper process is left to finish it. The task then
      fails with a message that says what to do (unless O(fail_on_job_failure=false)).
  returned: always, except after a cleanup by O(jid) with O(mode=cleanup)
  type: bool
job_failed:
  description:
    - The job ended badly; it failed, was killed (RV(killed)), lost its async wrapper
      (RV(pid_missing)) or has a damaged job file. C(msg) says how.
    - With O(fail_on_job_failure=false) the task still succeeds, so the next task can act on it.
  returned: in status mode, when the job was looked up
  type: bool
results_file:
  description: Path of the job file. Also returned when there is no such file ("could not find
    job"), as M(ansible.builtin.async_status) returns it.
  returned: in status mode, when the job id is known
  type: str
  sample: /home/deploy/.ansible_async/j301638285310.8307
stdout:
  description: The job's stdout, when its module returned one. Empty in cleanup modes.
  returned: always
  type: str
stderr:
  description: The job's stderr, when its module returned one. Empty in cleanup modes.
  returned: always
  type: str
stdout_lines:
  description: O(ignore:stdout) split into lines.
  returned: always
  type: list
  elements: str
stderr_lines:
  description: O(ignore:stderr) split into lines.
  returned: always
  type: list
  elements: str
rc:
  description:
    - The job's return code, when its module returned one (a shell or command job).
    - Every key of the finished job's result is returned, as the job's module returned it. The keys
      of a shell or command job are documented here; a job of another module adds that module's.
  returned: when the job has finished and its module returned it
  type: int
  sample: 0
cmd:
  description: The job's command, when its module returned one (a shell or command job).
  returned: when the job has finished and its module returned it
  type: raw
  sample: /opt/backup.sh
start:
  description: When the job's command started, when its module returned it.
  returned: when the job has finished and its module returned it
  type: str
  sample: "2026-11-23 10:30:45.123456"
end:
  description: When the job's command ended, when its module returned it.
  returned: when the job has finished and its module returned it
  type: str
  sample: "2026-11-23 10:31:02.654321"
delta:
  description: How long the job's command ran, when its module returned it.
  returned: when the job has finished and its module returned it
  type: str
  sample: "0:00:17.530865"
erased:
  description:
    - The main path removed (the alias for O(mode=cleanup) by alias, else the job file).
    - With O(jid) and O(mode=cleanup), the job file's path, always, as M(ansible.builtin.async_status)
      returns it (also when the jid is unknown).
  returned: in cleanup modes, when something was removed, and always for O(jid) with O(mode=cleanup)
  type: str
exception:
  description: The traceback of a job whose module raised, when its module sent one.
  returned: when the job's module raised and sent a traceback
  type: str
removed:
  description: Every path removed, or that would be removed in check mode.
  returned: in cleanup modes
  type: list
  elements: str
failed_paths:
  description:
    - The paths a cleanup could not remove; the task's C(msg) says why for each. The cleanup
      carries on past such a path, RV(removed) lists what went, and the task fails.
  returned: when a cleanup could not remove a path
  type: list
  elements: str
  version_added: "2.0.0"
"""
