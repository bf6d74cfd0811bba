# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Named jobs on a fleet of three hosts (network namespaces, each with its own link and sshd):
one job per host, a host cut off mid-wait, a re-run that attaches, a job killed on one host, and
the job inventory across the fleet. `make test-fleet` runs them."""

from __future__ import annotations

import time


from conftest import finish, kill_all, kill_session, playbook, processes_matching, start_playbook, wait_until

# How long the cut host may take to be reported unreachable after its link went down: ssh's own
# detection, 3 x ServerAliveInterval 2 s, then the held wait's three reconnects after 1, 2 and 4 s,
# each up to ConnectTimeout 10 s: about 43 s, plus margin for a busy machine.
UNREACHABLE_WITHIN = 75


def job_cmd(marker, seconds):
    # Output first, then the sleep (CONTRIBUTING.md, "Tests"). The shell's command line carries
    # <marker>-<host>, so the test finds each host's job among this machine's processes.
    return f'echo {marker}-{{{{ inventory_hostname }}}}; sleep {seconds}'


def job_processes(fleet, marker, host):
    """Pids of host's job shell, checked to run in host's network namespace: on that host, started
    through its own sshd."""
    pids = processes_matching(f'echo {marker}-{host};')
    for pid in pids:
        assert fleet.namespace_of(pid) == fleet.hosts[host]['namespace'], (host, pid)
    return pids


def all_started(fleet, marker, timeout=60):
    return wait_until(lambda: all(job_processes(fleet, marker, h) for h in fleet.names), timeout=timeout)


def test_a_named_job_on_every_host(fleet, name, marker, control_dir, tmp_path):
    """async_task (poll > 0) on all three hosts: one job per host, in that host's namespace and async
    dir, each finishing with its own output."""
    running = start_playbook('task.yml', tmp_path, control_dir, name=name, cmd=job_cmd(marker, 20), poll=1)
    assert all_started(fleet, marker), 'the job did not start on every host'
    named = {h: fleet.jid_named(h, name) for h in fleet.names}
    assert all(named.values()) and len(set(named.values())) == 3, named
    # Sampled while the jobs run: exactly one job process per host (no second start, no stray).
    for _sample in range(3):
        assert {h: len(job_processes(fleet, marker, h)) for h in fleet.names} == dict.fromkeys(fleet.names, 1)
        time.sleep(1)
    run = finish(*running)
    assert run.rc == 0, run
    for h in fleet.names:
        res = run.results[h]
        assert res['action'] == 'start' and res['changed'] is True, (h, res)
        assert res['finished'] is True and res['failed'] is False and res['rc'] == 0, (h, res)
        assert res['stdout'] == f'{marker}-{h}', (h, res)
        assert res['ansible_job_id'] == named[h], (h, res, named)
        # cleanup (the default) removed the name from the host's own async dir.
        assert fleet.jid_named(h, name) is None


def test_a_cut_link_is_unreachable_the_others_finish_and_a_rerun_attaches(
        fleet, name, marker, control_dir, tmp_path):
    """host2's link goes down while async_task waits on all three: host2 is reported unreachable within
    UNREACHABLE_WITHIN s, host1 and host3 finish. The job on host2 runs on; once the link is back, a
    re-run attaches to it (same jid, same process, nothing started anywhere)."""
    # host2's job outlives the first run (which ends when host1 and host3 finish), so the re-run
    # has a running job to attach to.
    cmd = job_cmd(marker, "{{ 90 if inventory_hostname == 'host2' else 15 }}")
    running = start_playbook('task.yml', tmp_path, control_dir, name=name, cmd=cmd, poll=1, cleanup=False)
    assert all_started(fleet, marker), 'the job did not start on every host'
    cut_pids = job_processes(fleet, marker, 'host2')
    cut_jid = fleet.jid_named('host2', name)
    assert len(cut_pids) == 1 and cut_jid, (cut_pids, cut_jid)
    time.sleep(2)  # well into the wait: a few polls went through
    try:
        fleet.link('host2', up=False)
        cut_at = time.time()
        first = finish(*running)
    finally:
        fleet.link('host2', up=True)
    cut = first.results['host2']
    assert cut.get('unreachable') is True, first
    noticed = first.done_after['host2'] - (cut_at - first.began)
    assert noticed < UNREACHABLE_WITHIN, (noticed, first)
    for h in ('host1', 'host3'):
        res = first.results[h]
        assert res['finished'] is True and res['failed'] is False and res['rc'] == 0, (h, res)
        assert res['stdout'] == f'{marker}-{h}'
    # The cut cut Ansible off, not the job: it still runs on host2, under its name.
    assert job_processes(fleet, marker, 'host2') == cut_pids
    assert fleet.jid_named('host2', name) == cut_jid

    rerun = start_playbook('task.yml', tmp_path, control_dir, name=name, cmd=cmd, poll=1)
    while rerun[0].poll() is None:
        # Never a second job on host2, nor a new one on the others.
        assert job_processes(fleet, marker, 'host2') in ([], cut_pids)
        assert not job_processes(fleet, marker, 'host1') and not job_processes(fleet, marker, 'host3')
        time.sleep(0.5)
    second = finish(*rerun)
    assert second.rc == 0, second
    again = second.results['host2']
    assert again['action'] == 'attach' and again['ansible_job_id'] == cut_jid, again
    assert again['changed'] is False and again['finished'] is True and again['rc'] == 0, again
    assert again['stdout'] == f'{marker}-host2'
    for h in ('host1', 'host3'):
        kept = second.results[h]
        assert kept['action'] == 'keep' and kept['ansible_job_id'] == first.results[h]['ansible_job_id'], (h, kept)
        assert kept['changed'] is False and kept['rc'] == 0, (h, kept)
    print(f'host2 unreachable {noticed:.1f} s after its link went down; first run {first.done_after}, '
          f're-run {second.done_after}')


def test_a_killed_job_is_pid_missing_on_its_host_only(fleet, name, marker, control_dir, tmp_path):
    """Every process of host2's job (the async wrapper's session: wrapper and command) is killed: the
    next wait reports pid_missing on host2 at once, and host1 and host3 finish."""
    started = playbook('task.yml', tmp_path, control_dir, name=name, cmd=job_cmd(marker, 15), poll=0)
    assert started.rc == 0, started
    assert all(started.results[h]['action'] == 'start' for h in fleet.names), started
    assert all_started(fleet, marker), 'the job did not start on every host'
    victim = job_processes(fleet, marker, 'host2')
    assert len(victim) == 1
    kill_session(victim[0])
    assert wait_until(lambda: not job_processes(fleet, marker, 'host2'), timeout=10)

    waited = playbook('wait.yml', tmp_path, control_dir, name=name)
    dead = waited.results['host2']
    assert dead['failed'] is True and dead['pid_missing'] is True, waited
    assert dead['ansible_job_id'] == started.results['host2']['ansible_job_id']
    # Reported at the first poll, not after the others' 15 s.
    assert waited.done_after['host2'] < min(waited.done_after['host1'], waited.done_after['host3']), waited
    for h in ('host1', 'host3'):
        res = waited.results[h]
        assert res['failed'] is False and res['finished'] is True and res['rc'] == 0, (h, res)
        assert not res.get('pid_missing'), (h, res)
        assert res['stdout'] == f'{marker}-{h}'
    # The dead job is data for its host alone; full_cleanup removes it.
    gone = playbook('status.yml', tmp_path, control_dir, name=name, mode='full_cleanup', hosts_pattern='host2')
    assert gone.results['host2']['changed'] is True, gone


def test_job_info_and_prune_across_the_fleet(fleet, name, marker, control_dir, tmp_path):
    """Each host lists its own jobs with their states (host2 also a dead one); a prune removes the
    ended ones, in check mode nothing, and never a running job."""
    try:
        check_info_and_prune(fleet, name, marker, control_dir, tmp_path)
    finally:
        kill_all(marker)
        time.sleep(0.5)
        playbook('status.yml', tmp_path, control_dir, name=f'{name}_run', mode='full_cleanup')


def check_info_and_prune(fleet, name, marker, control_dir, tmp_path):
    made = playbook('jobs.yml', tmp_path, control_dir, name=name, marker=marker)
    assert made.rc == 0, made
    jids = made.results
    assert wait_until(lambda: processes_matching(f'echo {marker}-host2-dead;'))
    kill_session(processes_matching(f'echo {marker}-host2-dead;')[0])
    assert wait_until(lambda: not processes_matching(f'echo {marker}-host2-dead;'), timeout=10)
    time.sleep(1.5)  # older_than: 1s

    run = playbook('inventory.yml', tmp_path, control_dir, name=name)
    assert run.rc == 0, run
    for h in fleet.names:
        out, own = run.results[h], jids[h]
        expected = {own['ok']: 'finished', own['bad']: 'failed', own['run']: 'running'}
        if h == 'host2':
            expected[own['dead']] = 'dead'
        listed = {j['jid']: j for j in out['listed']['jobs']}
        # Its own jobs only: the other hosts' jids live in their own async dirs.
        assert {jid: j['state'] for jid, j in listed.items()} == expected, (h, out['listed'])
        assert listed[own['run']]['names'] == [f'{name}_run'] and listed[own['run']]['pid']
        assert listed[own['bad']]['rc'] == 3
        assert [j['jid'] for j in out['running']['jobs']] == [own['run']], (h, out['running'])
        assert out['listed']['changed'] is False

        ended = set(expected) - {own['run']}
        assert {j['jid'] for j in out['would_prune']['jobs']} == ended and out['would_prune']['changed'] is True, (h, out)
        assert {j['jid'] for j in out['pruned']['jobs']} == ended and out['pruned']['changed'] is True, (h, out)
        async_dir = str(fleet.async_dir(h))
        assert all(p.startswith(async_dir + '/') for p in out['pruned']['removed']), (h, out['pruned'])
        assert out['pruned_again']['changed'] is False and not out['pruned_again']['jobs'], (h, out)
        assert [j['jid'] for j in out['after']['jobs']] == [own['run']], (h, out['after'])
        # The running job was not touched: its name, file and process are all there.
        assert fleet.jid_named(h, f'{name}_run') == own['run']
        assert (fleet.async_dir(h) / own['run']).exists()
        assert processes_matching(f'echo {marker}-{h}-run;'), h
