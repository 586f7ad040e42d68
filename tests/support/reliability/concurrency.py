"""Concurrency through the real module: four ``ansible -m labfleet.zoo.model`` processes at once for one model,
the first download stalled; one download, four successes, one verified install."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.reliability.common import MiB, Outcome, leftovers, verify
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer, stall


def concurrency(work, seed, quick=False):
    """4 ``ansible -m labfleet.zoo.model`` processes at once for one model: one download, four successes."""
    out = Outcome('concurrency', seed)
    rng = random.Random(seed + 5)
    work = Path(work)
    root = work / 'zoo'
    info = archive_info(build_archive(root, 'shared_model', size=2 * MiB, seed=6))
    filename = 'shared_model.tar.gz'
    dest = work / 'pre_trained'
    with ZooServer(str(root)) as server:
        at = rng.randrange(64 * 1024, MiB)
        server.plan(filename, [stall(at, 4)])  # the first download crawls: the others queue on the lock
        args = dict(url=server.url_for(filename), dest=str(dest), timeout=10, retries=3)
        with ThreadPoolExecutor(4) as pool:
            runs = [(run.rc, run.result, run.text) for run in pool.map(lambda _i: runner.adhoc(args), range(4))]
        gets = [r for r in server.requests if r['filename'] == filename and r['method'] == 'GET']
        fresh = [r for r in gets if not r.get('range')]
        out.figures['concurrent downloads'] = len(fresh)
        out.figures['concurrent successes'] = sum(1 for rc, res, _t in runs if rc == 0 and not res.get('failed'))
        out.figures['bytes served for 4 installs'] = server.bytes_served[filename]
        actions = sorted(res.get('action', 'failed') for _rc, res, _t in runs)
        out.check(len(fresh) == 1, '%d downloads started for one model (GETs without Range)' % len(fresh))
        out.check(server.bytes_served[filename] == info['size'],
                  '%d bytes served for a %d-byte archive' % (server.bytes_served[filename], info['size']))
        out.check(actions == ['installed', 'unchanged', 'unchanged', 'unchanged'], 'actions %s' % actions)
        for rc, res, text in runs:
            out.check(rc == 0, 'a concurrent run failed: %s' % (res.get('msg') or text[-500:]))
        out.note('actions %s, elapsed %s, requests %s' % (actions, [res.get('elapsed') for _r, res, _t in runs],
                                                          [(r['range'], r['status']) for r in gets]))
    problems = verify(dest / 'shared_model', info['sha256'])
    out.add('installs attempted')
    if out.check(not problems, 'after 4 concurrent runs: %s' % problems[:3]):
        out.add('installs verified')
    out.check(leftovers(dest) == [], 'leftovers %s' % leftovers(dest))
    return out.done()
