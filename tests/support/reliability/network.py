"""Network faults, for real: >= 20 cuts, stalls, HTTP errors and ignored Ranges at seeded random offsets from
tools/fixtures/zoo_server.py (whose reset drains the send queue first: the cut is exactly at its offset); every
install is verified in full and the bytes fetched again after a cut stay within one read buffer."""

from __future__ import annotations

import random
from pathlib import Path

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
from ansible_collections.labfleet.zoo.tests.support.reliability.common import MiB, READ_BUFFER, Outcome, leftovers, quick_sleep, verify
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, ignore_range, reset, short, stall, status

CUTS = ('reset', 'short', 'stall')


def _plan(rng, size, timeout, stalls_left, retries):
    """A random fault plan for one install: 1..retries faults, cuts at random increasing offsets."""
    kinds = []
    for dummy in range(rng.randint(1, retries)):
        choices = ['reset', 'reset', 'short', 'short', 'status']
        if stalls_left - kinds.count('stall') > 0:
            choices.append('stall')
        if kinds and kinds[-1] in CUTS and 'ignore_range' not in kinds:
            choices += ['ignore_range', 'ignore_range']
        kinds.append(rng.choice(choices))
    # A cut in the first read buffer may leave the client at byte 0, and then no Range is sent for the
    # server to ignore: plans with ignore_range cut later.
    low = 2 * READ_BUFFER if 'ignore_range' in kinds else 1
    offsets = sorted(rng.randrange(low, size) for dummy in kinds)
    plan = []
    for kind, at in zip(kinds, offsets):
        if kind == 'reset':
            plan.append(reset(at))
        elif kind == 'short':
            plan.append(short(at))
        elif kind == 'stall':
            plan.append(stall(at, timeout + 2))
        elif kind == 'status':
            plan.append(status(rng.choice((500, 503))))
        else:
            plan.append(ignore_range())
    return plan


def _describe(fault):
    if fault.kind == 'status':
        return 'HTTP %d' % fault.code
    if fault.kind == 'ignore_range':
        return 'ignore Range'
    return '%s@%d' % (fault.kind, fault.at)


def network_faults(work, seed, quick=False):
    """>= 20 real network faults at seeded random offsets; every install verified, re-fetch bounded."""
    out = Outcome('network faults', seed)
    rng = random.Random(seed)
    work = Path(work)
    size = (3 if quick else 6) * MiB
    target = 20 if quick else 30
    retries, timeout = 3, 1
    stalls_left = 1 if quick else 3
    root = work / 'zoo'
    path = build_archive(root, 'netfault', size=size, seed=seed % 1000)
    info = archive_info(path)
    filename = path.name
    S = info['size']
    out.note('archive %s: %d bytes, sha256 %s' % (filename, S, info['sha256']))
    with ZooServer(str(root)) as server:
        reference = Installer(from_params(dict(url=server.url_for(filename), dest=str(work / 'reference'))),
                              sleep=quick_sleep).present()
        ref_files = _manifest.read(reference['path'])['files']
        out.check(server.request_count() == 1, 'the fault-free reference install took %d requests'
                  % server.request_count())
        run = 0
        worst_excess = 0
        while out.figures.get('faults injected', 0) < target:
            run += 1
            plan = _plan(rng, S, timeout, stalls_left, retries)
            stalls_left -= sum(1 for f in plan if f.kind == 'stall')
            server.reset_counters()
            server.plan(filename, plan)
            dest = work / ('run%02d' % run) / 'pre_trained'
            spec = from_params(dict(url=server.url_for(filename), dest=str(dest), timeout=timeout, retries=retries))
            label = 'run %d [%s]' % (run, ', '.join(_describe(f) for f in plan))
            out.add('installs attempted')
            try:
                result = Installer(spec, sleep=quick_sleep).present()
            except ZooError as e:
                out.check(False, '%s: install failed within %d retries: %s' % (label, retries, e))
                continue
            gets = [r for r in server.requests if r['filename'] == filename and r['method'] == 'GET']
            server.plan(filename, [])
            for fault, request in zip(plan, gets):  # request j met fault j
                if fault.kind == 'ignore_range' and not request.get('range'):
                    out.note('%s: ignore_range met a request without Range: no fault' % label)
                    continue
                out.add('faults injected')
                out.add('fault: ' + (fault.kind if fault.kind != 'status' else 'HTTP %d' % fault.code))
            problems = verify(result['path'], info['sha256'])
            record = _manifest.read(result['path']) or {}
            same = record.get('files') == ref_files
            if out.check(not problems and same and result['action'] == 'installed',
                         '%s: install not verified: %s%s'
                         % (label, problems[:3], '' if same else ' (manifest differs)')):
                out.add('installs verified')
            out.check(leftovers(dest) == [], '%s: leftovers %s' % (label, leftovers(dest)))
            # Bytes fetched again after each cut: the resume starts at most one read buffer before the cut.
            for index, fault in enumerate(plan):
                if fault.kind not in CUTS or index + 1 >= len(gets):
                    continue
                value = gets[index + 1].get('range')
                resumed = int(value.split('=', 1)[1].split('-', 1)[0]) if value else 0
                again, remained = S - resumed, S - fault.at
                excess = again - remained
                worst_excess = max(worst_excess, excess)
                out.check(0 <= excess <= READ_BUFFER,
                          '%s: after the cut at byte %d the resume asked for byte %d: %d bytes fetched again, '
                          '%d remained (+%d, limit one read buffer = %d)'
                          % (label, fault.at, resumed, again, remained, excess, READ_BUFFER))
            served = server.bytes_served[filename]
            out.note('%s: %d requests, %d bytes served, %d bytes read by the client'
                     % (label, len(gets), served, result['bytes_downloaded']))
        out.figures['worst re-fetch beyond what remained (bytes)'] = worst_excess
        # One source, retries + 1 faults: a clear failure, nothing left behind.
        server.reset_counters()
        server.plan(filename, [status(503)] * (retries + 1))
        dest = work / 'exhausted' / 'pre_trained'
        spec = from_params(dict(url=server.url_for(filename), dest=str(dest), timeout=timeout, retries=retries))
        try:
            Installer(spec, sleep=quick_sleep).present()
            out.check(False, '%d x HTTP 503 with retries=%d: the install succeeded' % (retries + 1, retries))
        except ZooError as e:
            out.check('failed after %d retries' % retries in str(e) and '503' in str(e),
                      'retries exhausted: unclear message %r' % str(e))
            out.check(not (dest / 'netfault').exists() and leftovers(dest) == [],
                      'retries exhausted: something was left in %s' % dest)
            out.add('faults injected', retries + 1)
            out.add('fault: HTTP 503', retries + 1)
    out.note('%d installs under faults' % run)
    return out.done()
