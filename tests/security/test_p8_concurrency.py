"""Property 8: an install and a state: absent of the same model at the same time end in a consistent state with
no false failure. Real concurrent ansible processes, as root, on the student's dest."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.labfleet.zoo.tests.support.lab import KEY, run

pytestmark = pytest.mark.slow


def consistent(lab):
    from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
    folder = lab.model(KEY)
    if not os.path.lexists(str(folder)):
        return 'absent'
    record = _manifest.read(str(folder))
    assert record is not None and _manifest.problems(str(folder), record, full=True) == [], 'half a model'
    return 'present'


def test_install_and_absent_at_the_same_time(lab, upstream):
    url = upstream.url_for(KEY + '.tar.gz')
    seen = set()
    with ThreadPoolExecutor(4) as pool:
        for round_ in range(4):
            runs = [pool.submit(run, lab.params(url=url)), pool.submit(run, lab.params(url=url, state='absent')),
                    pool.submit(run, lab.params(url=url, force=True)),
                    pool.submit(run, lab.params(url=url, state='absent'))]
            for job in runs:
                out = job.result()
                assert not out.failed, (round_, out)
            seen.add(consistent(lab))
            left = [e for e in os.listdir(str(lab.work)) if not e.endswith('.lock')]
            assert left == [], left
    assert lab.changes_outside() == []
    final = run(lab.params(url=url))
    assert not final.failed and consistent(lab) == 'present'
