"""make bench-lab: what a lab rerun costs over real SSH, against a trivial ping play on the same hosts in the same run.

A real lab on this machine (tests/support/fleet.py: one Unix user per host, one sshd on 127.0.0.1, archives served
by a local zoo server), for each size asked (8 and 30 hosts by default, a quarter of them Raspberry Pis):

- the no-op rerun of playbooks/provision.yml (changed=0 on every host, checked) against the ping play
  (tools/dev/bench_plays/ping.yml), interleaved, medians of ``--rounds`` pairs;
- playbooks/reprovision.yml --limit <one PC> (full sha256 verify of a ``--big-mb`` model) against a ping of that
  host;
- how the no-op cost grows from the smallest lab to the largest, in seconds per added host;
- with ``--mirror-hosts N``: the first run of a lab of N hosts with its mirror (role labfleet.zoo.mirror, a real
  nginx), and the bytes the upstream server sent per model (1x each, checked).

Prints the medians and the ratios, and writes tests/output/bench_lab.json. Needs root (useradd, sshd, nginx). The
machines are shared and noisy: compare ratios, not seconds. It lives under tests/ because the SSH lab harness is
test code (tools/README.md: tools never import tests).

    make bench-lab ARGS='--hosts 8,30 --rounds 5 --big-mb 212 --mirror-hosts 30'
    (= PYTHONPATH=collections .venv/bin/python -m ansible_collections.labfleet.zoo.tests.bench.bench_lab ...)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.fleet import PC_EXTRA, Fleet, free_port, lab_hosts
from ansible_collections.labfleet.zoo.tests.support.mirror import TEACHER, MirrorFleet
from ansible_collections.labfleet.zoo.tests.support.nginx import Nginx
from ansible_collections.labfleet.zoo.tests.support.repo import BIN, OUTPUT, PC_MODEL, PI_MODEL, REPO
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer

# The three plays run the same way (ansible-playbook, the checkout's ansible.cfg); the teacher's
# tools/teacher/provision.py adds one Python start-up, the same for any lab size.
PING = REPO / 'tools' / 'dev' / 'bench_plays' / 'ping.yml'
PROVISION = REPO / 'playbooks' / 'provision.yml'
REPROVISION = REPO / 'playbooks' / 'reprovision.yml'
CACHE = REPO / '.cache' / 'bench-lab'          # the synthetic archives, kept between runs (not in git)
LOCK = '/run/lock/labfleet-zoo-bench-lab.lock'
TARGET = 1.5                                   # issue 12: a no-op rerun costs at most 1.5 pings
SMALL = 256 * 1024


def median(values):
    return statistics.median(values) if values else float('nan')


def lab_of(n, prefix):
    """(PCs, Pis) of an n-host lab: a quarter Raspberry Pis (at least one)."""
    pis = max(1, n // 4)
    return lab_hosts(prefix, pcs=n - pis, pis=pis)


def check_ok(run, what):
    if run.rc != 0 or run.problems():
        raise SystemExit('%s failed:\n%s' % (what, run.describe()))
    return run


def ansible_playbook(fleet, play, *args):
    cmd = [BIN / 'ansible-playbook', play, '-i', fleet.inventory] + list(args)
    return runner.run(cmd, fleet.env(json_output=True), timeout=1800)


def bench_lab(n, rounds, big_zoo, server):
    """The no-op and the one-host repair figures of an n-host lab."""
    pcs, pis = lab_of(n, 'lb')
    big_host = pcs[0]
    fleet = Fleet(Path(tempfile.mkdtemp(prefix='bench-lab-%d-' % n)), server.url, pcs, pis, LOCK,
                  {big_host: {'workstation_models_extra': [PC_EXTRA]}})
    fleet.forks = None                      # ansible.cfg's forks: the lab in one wave
    with fleet:
        inventory_upstream(fleet, server.url)
        first = check_ok(fleet.provision(), 'first run (%d hosts)' % n)
        out = {'hosts': n, 'pcs': len(pcs), 'pis': len(pis), 'first_run_s': first.seconds,
               'ping_s': [], 'noop_s': [], 'ping_one_s': [], 'reprovision_one_s': []}
        for _round in range(rounds):
            out['ping_s'].append(check_ok(ansible_playbook(fleet, PING), 'ping').seconds)
            noop = check_ok(ansible_playbook(fleet, PROVISION), 'no-op rerun')
            if any(noop.changed().values()):
                raise SystemExit('the rerun changed something: %s' % noop.changed())
            out['noop_s'].append(noop.seconds)
        for _round in range(max(1, rounds // 2)):
            out['ping_one_s'].append(check_ok(ansible_playbook(fleet, PING, '--limit', big_host), 'ping').seconds)
            repair = check_ok(ansible_playbook(fleet, REPROVISION, '--limit', big_host), 'reprovision')
            out['reprovision_one_s'].append(repair.seconds)
        out['big_model_bytes'] = big_zoo
    for key in ('ping_s', 'noop_s', 'ping_one_s', 'reprovision_one_s'):
        out[key.replace('_s', '_median_s')] = median(out[key])
    out['noop_over_ping'] = out['noop_median_s'] / out['ping_median_s']
    out['reprovision_over_ping'] = out['reprovision_one_median_s'] / out['ping_one_median_s']
    return out


def inventory_upstream(fleet, url):
    """The bench's lab has no mirror: every workstation takes its archives from the local zoo server as upstream."""
    path = fleet.inventory / 'group_vars' / 'all.yml'
    path.write_text('---\nworkstation_mirrors: []\nworkstation_upstream: %s\n' % url)


def bench_mirror(n, size):
    """The first run of an n-host lab with its mirror: seconds, and the bytes upstream sent per model."""
    root = CACHE / 'mirror-upstream'
    for key in (PC_MODEL, PI_MODEL):
        build_archive(root, key, size=size, seed=11)
    pcs, pis = lab_of(n, 'lx')
    with ZooServer(str(root)) as upstream:
        fleet = MirrorFleet(Path(tempfile.mkdtemp(prefix='bench-mirror-%d-' % n)), upstream.url, free_port(),
                            pcs, pis, LOCK, host_vars={})
        fleet.forks = None
        fleet.nginx = Nginx(fleet.dir / 'nginx', fleet.site, fleet.nginx_port)
        try:
            fleet.start()
            upstream.reset_counters()
            # provision.yml fills the mirror, then the workstations; the harness's own nginx (the role's server
            # block) starts in between, so the two halves are timed apart and added.
            fill = check_ok(fleet.provision('--limit', TEACHER), 'mirror fill')
            fleet.nginx.start()
            first = check_ok(fleet.provision(), 'first run with the mirror')
            served = dict(upstream.bytes_served)
        finally:
            fleet.nginx.stop()
            fleet.stop()
    sizes = dict((key + '.tar.gz', os.path.getsize(str(root / (key + '.tar.gz')))) for key in (PC_MODEL, PI_MODEL))
    return {'hosts': n, 'fill_s': fill.seconds, 'first_run_s': first.seconds, 'upstream_bytes': served,
            'archive_bytes': sizes,
            'upstream_once_per_model': served == sizes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--hosts', default='8,30', help='lab sizes, comma-separated (default 8,30)')
    parser.add_argument('--rounds', type=int, default=5, help='interleaved ping/no-op pairs per size (default 5)')
    parser.add_argument('--big-mb', type=int, default=212, help="the repaired host's extra model, in MB (212)")
    parser.add_argument('--mirror-hosts', type=int, default=30, help='first run with the mirror on N hosts (0: skip)')
    parser.add_argument('--mirror-mb', type=int, default=8, help="each mirrored model's archive, in MB (8)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit('bench_lab needs root: it creates Unix users and runs sshd and nginx')
    sizes = sorted(int(n) for n in args.hosts.split(','))

    started = time.monotonic()
    zoo = CACHE / 'upstream'
    for key in (PC_MODEL, PI_MODEL):
        build_archive(zoo, key, size=SMALL, seed=5)
    big = build_archive(zoo, PC_EXTRA, size=args.big_mb * 1000 * 1000, seed=6)
    report = {'machine': machine(), 'labs': [], 'mirror': None}
    with ZooServer(str(zoo)) as server:
        for n in sizes:
            report['labs'].append(bench_lab(n, args.rounds, os.path.getsize(str(big)), server))
    if args.mirror_hosts:
        report['mirror'] = bench_mirror(args.mirror_hosts, args.mirror_mb * 1000 * 1000)
    report['seconds'] = time.monotonic() - started
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'bench_lab.json').write_text(json.dumps(report, indent=2) + '\n')
    print_report(report)


def machine():
    return {'cpus': os.cpu_count(), 'python': sys.version.split()[0], 'platform': sys.platform,
            'kernel': os.uname().release}


def print_report(report):
    print('\nbench_lab on %(cpus)s CPUs, kernel %(kernel)s (medians; ratios against the same run\'s ping)'
          % report['machine'])
    header = ('hosts', 'ping s', 'no-op s', 'no-op/ping', 'target', 'reprovision 1', 'repro/ping')
    print('%-6s %-10s %-10s %-12s %-10s %-16s %-14s' % header)
    for lab in report['labs']:
        verdict = 'PASS' if lab['noop_over_ping'] <= TARGET else 'MISS'
        print('%-6d %-10.2f %-10.2f %-12.2f %-10s %-16.2f %-14.2f' % (
            lab['hosts'], lab['ping_median_s'], lab['noop_median_s'], lab['noop_over_ping'],
            '<=%.1f %s' % (TARGET, verdict), lab['reprovision_one_median_s'], lab['reprovision_over_ping']))
    labs = report['labs']
    if len(labs) > 1:
        added = labs[-1]['hosts'] - labs[0]['hosts']
        print('growth from %d to %d hosts: no-op %+.3f s per added host, ping %+.3f s per added host' % (
            labs[0]['hosts'], labs[-1]['hosts'], (labs[-1]['noop_median_s'] - labs[0]['noop_median_s']) / added,
            (labs[-1]['ping_median_s'] - labs[0]['ping_median_s']) / added))
    for lab in labs:
        print('first run without mirror, %d hosts: %.1f s; reprovision --limit one PC verifies %.0f MB' % (
            lab['hosts'], lab['first_run_s'], lab['big_model_bytes'] / 1e6))
    mirror = report['mirror']
    if mirror:
        print('first run with the mirror, %d hosts: %.1f s (mirror fill %.1f s + workstations %.1f s)' % (
            mirror['hosts'], mirror['fill_s'] + mirror['first_run_s'], mirror['fill_s'], mirror['first_run_s']))
        print('upstream sent %s for archives of %s (%s)' % (
            mirror['upstream_bytes'], mirror['archive_bytes'],
            'once per model' if mirror['upstream_once_per_model'] else 'NOT once per model'))
    print('total %.0f s; written to tests/output/bench_lab.json' % report['seconds'])


if __name__ == '__main__':
    main()
