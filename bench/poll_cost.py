"""Per-poll cost of async_status_id vs ansible.builtin.async_status vs a no-op binary module.

Per-poll cost = (T(35 polls) - T(5 polls)) / 30, from whole ansible-playbook runs, so playbook
start-up cancels out. Runs are interleaved (ours, builtin, noop, ...) so machine noise hits all
three alike; each figure is the median of --reps runs.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
PLAYBOOKS = REPO / 'bench' / 'playbooks'
BIN = REPO / '.venv' / 'bin'
INVENTORY = REPO / 'tests' / '.work' / 'sshd' / 'inventory.ini'
MODULES = ['ours', 'builtin', 'noop']
SMALL, LARGE = 5, 35


def build_noop(library):
    subprocess.run(['cargo', 'build', '--quiet', '--release', '--locked', '--target', 'x86_64-unknown-linux-musl',
                    '-p', 'bench-noop'], cwd=REPO, check=True)
    shutil.copy(REPO / 'target' / 'x86_64-unknown-linux-musl' / 'release' / 'noop_binary', library / 'noop_binary')


def env(library):
    e = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.collections'), ANSIBLE_LIBRARY=str(library),
             ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_DEPRECATION_WARNINGS='False')
    e['PATH'] = f"{BIN}:{e.get('PATH', '')}"
    return e


def playbook(book, e, **extra):
    cmd = [str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(PLAYBOOKS / book), '-e', json.dumps(extra)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=e, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f'{book} {extra} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}')
    return elapsed


def kill_job(jid):
    prefix = jid.split('.')[0].encode()
    for p in pathlib.Path('/proc').iterdir():
        if not p.name.isdigit():
            continue
        try:
            argv = (p / 'cmdline').read_bytes().split(b'\0')
        except OSError:
            continue
        if any(a.endswith(b'async_wrapper.py') and b == prefix for a, b in zip(argv, argv[1:])):
            try:
                os.killpg(int(p.name), signal.SIGKILL)
            except OSError:
                pass


def measure(target, reps, e, tmp):
    out = tmp / f'jid-{target}'
    playbook('start.yml', e, target=target, out_file=str(out))
    jid = out.read_text().strip()
    times = {(m, n): [] for m in MODULES for n in (SMALL, LARGE)}
    try:
        playbook('polls.yml', e, target=target, jid=jid, module='ours', n=1)  # warm caches
        for _rep in range(reps):
            for m in MODULES:
                for n in (SMALL, LARGE):
                    times[(m, n)].append(playbook('polls.yml', e, target=target, jid=jid, module=m, n=n))
    finally:
        kill_job(jid)
    return {m: (statistics.median(times[(m, LARGE)]) - statistics.median(times[(m, SMALL)])) / (LARGE - SMALL)
            for m in MODULES}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--targets', default='localtarget,sshtarget')
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        library = tmp / 'library'
        library.mkdir()
        build_noop(library)
        e = env(library)
        rows = []
        for target in args.targets.split(','):
            cost = measure(target, args.reps, e, tmp)
            rows.append((target, cost))
    print(f'per-poll cost, (T({LARGE}) - T({SMALL})) / {LARGE - SMALL}, median of {args.reps} runs each')
    print(f"{'target':<12} {'async_status_id':>16} {'builtin':>10} {'noop binary':>12} {'ours/builtin':>13} {'ours/noop':>10}")
    for target, c in rows:
        print(f"{target:<12} {c['ours'] * 1000:>13.1f} ms {c['builtin'] * 1000:>7.1f} ms {c['noop'] * 1000:>9.1f} ms "
              f"{c['ours'] / c['builtin']:>13.2f} {c['ours'] / c['noop']:>10.2f}")


if __name__ == '__main__':
    main()
