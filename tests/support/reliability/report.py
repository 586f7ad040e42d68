"""The reliability suite as one table of figures (issue 5), and a "hostile lab" block (issue 10).

    pytest tests/reliability --reliability-report [--quick] [--seed N] [--work DIR] [--only NAME,...]
                             [--hostile-k EXPR] [-v]

(tests/reliability/conftest.py adds the options; with --reliability-report the session runs this instead of the
tests.) The scenarios are the same code the pytest suite asserts on: real network faults on 127.0.0.1, real
SIGKILLs, hostile archives, the real module through ``ansible``, a real tmpfs. The hostile lab is tests/security
run by pytest in a child process (as root: a real student user attacks root's module), counted per property from
its JUnit report; ``--only hostile-lab`` runs only it, ``--hostile-k`` selects its attacks.

The seed (``--seed``, else $LABFLEET_ZOO_SEED, else a fresh one) is printed; the same seed replays the same faults
at the same offsets. The exit status is 0 when every property held, 1 otherwise (the problems are listed under the
table). Mounting the tmpfs of the disk-full cases needs root; without it they are reported skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

from ansible_collections.labfleet.zoo.tests.support.reliability import concurrency, disk, hostile_archives, killed_runs, network, parameters, students
from ansible_collections.labfleet.zoo.tests.support.reliability.common import READ_BUFFER, SEED_ENV, Outcome, default_seed
from ansible_collections.labfleet.zoo.tests.support.repo import REPO

SCENARIOS = (
    ('network', network.network_faults),
    ('kills', killed_runs.killed_runs),
    ('hostile', hostile_archives.hostile_archives),
    ('parameters', parameters.bad_parameters),
    ('concurrency', concurrency.concurrency),
    ('disk', disk.disk_full),
    ('students', students.student_data),
)
NAMES = tuple(name for name, _scenario in SCENARIOS) + ('hostile-lab',)


def _fig(outcomes, name, figure, default=0):
    out = outcomes.get(name)
    return out.figures.get(figure, default) if out else None


def _na(value, text):
    return 'not run' if value is None else text


def rows(outcomes):
    """(figure, value, what must hold, held?) for the table."""
    def f(name, figure):
        return _fig(outcomes, name, figure)

    table = []
    faults = f('network', 'faults injected')
    if faults is not None:
        net = outcomes['network'].figures
        kinds = ', '.join('%s %d' % (k[7:], v) for k, v in sorted(net.items()) if k.startswith('fault: '))
        table.append(('network faults injected', '%d (%s)' % (faults, kinds), '>= 20', faults >= 20))
        worst = net.get('worst re-fetch beyond what remained (bytes)', 0)
        table.append(('worst re-fetch after a cut', '%d B beyond what remained' % worst,
                      '<= %d B (one read buffer)' % READ_BUFFER, worst <= READ_BUFFER))
    verified = sum(o.figures.get('installs verified', 0) for o in outcomes.values())
    attempted = sum(o.figures.get('installs attempted', 0) for o in outcomes.values())
    table.append(('installs verified', '%d of %d (full sha256 check)' % (verified, attempted), 'all',
                  verified == attempted))
    kills = f('kills', 'kills')
    if kills is not None:
        k = outcomes['kills'].figures
        survived, healed = k.get('kills survived', 0), k.get('healed by the next run', 0)
        states = ', '.join('%s %d' % (key.split(': ', 1)[1], v) for key, v in sorted(k.items())
                           if key.startswith('state after'))
        table.append(('kills survived', '%d of %d SIGKILLs (%s)' % (survived, kills, states), '>= 10, all',
                      survived == kills >= 10))
        table.append(('healed by the next run', '%d of %d (verified, no leftovers)' % (healed, kills), 'all',
                      healed == kills))
    kinds = f('hostile', 'hostile archive kinds')
    if kinds is not None:
        rejected = f('hostile', 'hostile archives rejected')
        skipped = f('hostile', 'hostile archives skipped')
        note = ', %d skipped' % skipped if skipped else ''
        table.append(('hostile archives rejected', '%d of %d kinds%s' % (rejected, kinds, note),
                      '>= 12, all', rejected == kinds >= 12))
        outside = f('hostile', 'bytes written outside dest')
        table.append(('bytes written outside dest', '%d' % outside, '0', outside == 0))
    cases = f('parameters', 'bad parameter cases')
    if cases is not None:
        clean = f('parameters', 'bad parameters rejected cleanly')
        table.append(('bad parameters rejected', '%d of %d (clear message, no traceback)' % (clean, cases), 'all',
                      clean == cases))
    downloads = f('concurrency', 'concurrent downloads')
    if downloads is not None:
        ok = f('concurrency', 'concurrent successes')
        table.append(('concurrent downloads', '%d (4 processes, %d succeeded)' % (downloads, ok), '1, 4 successes',
                      downloads == 1 and ok == 4))
    if 'disk' in outcomes:
        d = outcomes['disk'].figures
        if d.get('disk-full cases skipped'):
            table.append(('disk full handled', 'skipped (mounting a tmpfs needs root)', '3 of 3', True))
        else:
            handled = d.get('disk full refused before downloading', 0) + d.get('disk full cleaned up (size unknown)', 0)
            table.append(('disk full handled', '%d of 3 (2 refused before downloading, 1 cleaned)' % handled,
                          '3 of 3', handled == 3))
    changed = f('students', 'student files changed')
    if changed is not None:
        checked = f('students', 'student files checked')
        table.append(('student files changed', '%d of %d' % (changed, checked), '0', changed == 0))
    return table


# Issue 10's properties, in its order: the file tests/security/test_p<N>_*.py holds the attacks on property N.
HOSTILE_PROPERTIES = (
    (1, 'nothing outside the model folder and .labfleet-zoo changed'),
    (2, 'a folder we did not create never deleted'),
    (3, 'never fewer good installs after a kill'),
    (4, 'bounded time, memory, disk, depth, messages'),
    (5, 'every failure a clean message'),
    (6, 'a misbehaving mirror costs only time'),
    (7, 'credentials never leak'),
    (8, 'concurrent install and absent stay consistent'),
)


def hostile_lab(work, select=None):
    """Run tests/security (``select``: a pytest -k expression); returns ({property: (held, attacks, skipped)},
    problems)."""
    report = Path(work) / 'hostile.xml'
    cmd = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(REPO / 'tests' / 'security'),
           '--junitxml', str(report)] + (['-k', select] if select else [])
    proc = subprocess.run(cmd, cwd=str(REPO), capture_output=True, text=True, check=False)
    counts, problems = {}, []
    if not report.exists():
        return counts, ['hostile lab: pytest did not run (%s)' % proc.stderr.strip()[-500:]]
    for case in ElementTree.parse(str(report)).iter('testcase'):
        match = re.search(r'test_p(\d+)_', case.get('classname', ''))
        if not match:
            continue
        number = int(match.group(1))
        held, attacks, skipped = counts.get(number, (0, 0, 0))
        outcome = [child.tag for child in case]
        if 'skipped' in outcome:
            skipped += 1
        elif 'failure' in outcome or 'error' in outcome:
            problems.append('hostile lab property %d: %s failed' % (number, case.get('name')))
        else:
            held += 1
        counts[number] = (held, attacks + 1, skipped)
    return counts, problems


def hostile_rows(counts, selected=False):
    table = []
    for number, title in HOSTILE_PROPERTIES:
        held, attacks, skipped = counts.get(number, (0, 0, 0))
        if selected and not attacks:
            continue  # not in the selection
        note = ' (%d skipped: not root)' % skipped if skipped else ''
        table.append(('hostile lab %d: %s' % (number, title), '%d of %d attacks held%s' % (held, attacks, note),
                      '>= 1, all', attacks >= 1 and held + skipped == attacks))
    return table


def render(table, seed, problems, elapsed):
    headers = ('figure', 'value', 'must be', 'ok')
    body = [(a, b, c, 'yes' if d else 'NO') for a, b, c, d in table]
    widths = [max(len(str(r[i])) for r in [headers] + body) for i in range(4)]

    def line(r):
        return '| ' + ' | '.join(str(c).ljust(w) for c, w in zip(r, widths)) + ' |'

    out = ['labfleet.zoo reliability report: seed %d (replay: --seed %d or %s=%d), %.0f s'
           % (seed, seed, SEED_ENV, seed, elapsed),
           line(headers), '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
    out += [line(r) for r in body]
    out.append('problems found: %d' % len(problems))
    return '\n'.join(out)


def progress(text):
    print(text, file=sys.stderr, flush=True)


def report(seed=None, quick=False, work=None, only=None, hostile_k=None, verbose=False):
    """Run the scenarios (``only``: names of NAMES) and the hostile lab; returns (the text to print, exit status)."""
    seed = seed if seed is not None else default_seed()
    only = set(only) if only else None
    scratch = Path(work) if work else Path(tempfile.mkdtemp(prefix='labfleet-zoo-reliability-'))
    started = time.monotonic()
    outcomes, problems = {}, []
    try:
        for name, scenario in SCENARIOS:
            if only and name not in only:
                continue
            progress('running %s ...' % name)
            (scratch / name).mkdir(parents=True, exist_ok=True)
            try:
                outcome = scenario(scratch / name, seed, quick=quick)
            except Exception as e:  # a crashed scenario is a problem to report, not a reason to lose the table
                outcome = Outcome(name, seed)
                outcome.failures.append('%s crashed: %r' % (name, e))
                outcome.done()
            outcomes[name] = outcome
            problems += ['%s: %s' % (name, p) for p in outcome.failures]
            progress('  %s: %.1f s, %d problem(s)' % (name, outcome.elapsed, len(outcome.failures)))
        hostile = None
        if not only or 'hostile-lab' in only:
            progress('running hostile lab (tests/security) ...')
            hostile, found = hostile_lab(scratch, hostile_k)
            problems += found
    finally:
        if not work:
            shutil.rmtree(str(scratch), ignore_errors=True)
    table = rows(outcomes) + (hostile_rows(hostile, bool(hostile_k)) if hostile is not None else [])
    lines = [render(table, seed, problems, time.monotonic() - started)]
    lines += ['  - ' + problem for problem in problems]
    if verbose:
        lines += ['\n%s:\n  %s' % (outcome.name, '\n  '.join(outcome.details)) for outcome in outcomes.values()]
    return '\n'.join(lines), 0 if not problems and all(r[3] for r in table) else 1
