"""Hostile archives through the Installer: the unit tests' hostile members (support/archives.py) plus whole-archive
and disk cases, each served in place of a good install under the same URL; nothing outside staging may change."""

from __future__ import annotations

import contextlib
import gzip
import os
from pathlib import Path

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import WORK, Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
from ansible_collections.labfleet.zoo.tests.support.archives import ABS_TARGET, D, F, HOSTILE, TOP, tgz_bytes, zoo_members
from ansible_collections.labfleet.zoo.tests.support.reliability.common import MiB, Outcome, can_mount, leftovers, mounted_tmpfs, quick_sleep, verify
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot_below
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer

HOSTILE_KEY = TOP  # the url-only install of <TOP>.tar.gz lands in <dest>/<TOP>


def _not_gzip(ws):
    return b'PK\x03\x04 this is a zip file, not a gzip\'d tar' + bytes(range(256)) * 8, None


def _truncated_gzip(ws):
    members = zoo_members()[0]
    blob = tgz_bytes(members)
    return blob[:len(blob) * 6 // 10], None


def _gzip_not_tar(ws):
    return gzip.compress(b'just some text, no tar header here\n' * 200, mtime=0), None


def _declared_size_exceeds_space(ws):
    big = TOP + '/saved_model/variables/variables.data-00000-of-00001'
    return tgz_bytes([D(TOP), F(TOP + '/pipeline.config', b'model {}\n'), F(big, b'\0' * (12 * MiB))]), big


def _sizes_add_up_beyond_space(ws):
    """Members of 900 kB each (one read buffer or less: no size check per member): together > the tmpfs."""
    members = [D(TOP)] + [F('%s/checkpoint/part%02d.bin' % (TOP, i), b'\0' * (900 * 1000)) for i in range(6)]
    return tgz_bytes(members), TOP + '/checkpoint/part0'


def _small_files_beyond_space(ws):
    """A 2.5 MB member, then many 2 kB members: the disk fills while small files are written."""
    members = [D(TOP), F(TOP + '/checkpoint/big.bin', b'\0' * (2500 * 1000))]
    members += [F('%s/assets/f%04d.txt' % (TOP, i), b'\1' * 2000) for i in range(600)]
    return tgz_bytes(members), TOP + '/assets/f'


# id -> (factory(workspace) -> (blob, offender) or members, offender, needs tmpfs)
EXTRA_HOSTILE = {
    'not-gzip': (_not_gzip, None, False),
    'truncated-gzip': (_truncated_gzip, None, False),
    'gzip-but-not-tar': (_gzip_not_tar, None, False),
    'declared-size-exceeds-free-space': (_declared_size_exceeds_space, None, True),
    'sizes-add-up-beyond-free-space': (_sizes_add_up_beyond_space, None, True),
    'small-files-beyond-free-space': (_small_files_beyond_space, None, True),
}


def hostile_cases():
    """Every hostile case id: the unit tests' HOSTILE members (reused) plus whole-archive and disk cases."""
    return sorted(HOSTILE) + sorted(EXTRA_HOSTILE)


def _good_blob():
    members, contents = zoo_members()
    return tgz_bytes(members)


def hostile_one(work, case):
    """Install a good <TOP>.tar.gz, then force a reinstall from the hostile one served under the same URL.

    Returns (ok: bool, failures, bytes written outside the staging folder, message).
    """
    failures = []
    work = Path(work) / case
    needs_tmpfs = case in EXTRA_HOSTILE and EXTRA_HOSTILE[case][2]
    if needs_tmpfs and not can_mount():
        return None, ['skipped: mounting a tmpfs needs root'], 0, ''
    ctx = mounted_tmpfs(work / 'ws', '4m') if needs_tmpfs else contextlib.nullcontext(work / 'ws')
    with ctx as ws:
        ws = Path(ws)
        ws.mkdir(parents=True, exist_ok=True)
        dest = ws / 'pre_trained'
        (ws / 'outside').mkdir()
        (ws / 'outside' / 'victim.txt').write_bytes(b'keep me')
        (ws / 'training').mkdir()
        (ws / 'training' / 'notes.txt').write_bytes(b'student notes\n')
        root = Path(work) / 'served'
        root.mkdir(parents=True, exist_ok=True)
        archive = root / (HOSTILE_KEY + '.tar.gz')
        archive.write_bytes(_good_blob())
        with ZooServer(str(root)) as server:
            url = server.url_for(archive.name)
            good = Installer(from_params(dict(url=url, dest=str(dest))), sleep=quick_sleep).present()
            good_sha = good['sha256']
            folder = Path(good['path'])
            if case in HOSTILE:
                factory, offender = HOSTILE[case]
                blob = tgz_bytes(factory(ws))
            else:
                blob, offender = EXTRA_HOSTILE[case][0](ws)
            archive.write_bytes(blob)
            before = snapshot_below(ws, dest / WORK)
            message = ''
            try:
                Installer(from_params(dict(url=url, dest=str(dest), force=True, timeout=5, retries=1)),
                          sleep=quick_sleep).present()
                failures.append('%s: the hostile archive was installed' % case)
            except ZooError as e:
                message = str(e)
        after = snapshot_below(ws, dest / WORK)
        changed = sorted(set(after.items()) ^ set(before.items()))
        outside = sum(after[p][1] for p in set(after) if after.get(p) != before.get(p))
        if os.path.lexists(ABS_TARGET):
            outside += os.lstat(ABS_TARGET).st_size or 1
            failures.append('%s: %s was written' % (case, ABS_TARGET))
        if changed:
            failures.append('%s: paths outside the staging folder changed: %s' % (case, [c[0] for c in changed][:5]))
        if message:
            if archive.name not in message:
                failures.append('%s: the message does not name the archive %s: %r' % (case, archive.name, message))
            if offender and offender not in message:
                failures.append('%s: the message does not name the member %r: %r' % (case, offender, message))
        problems = verify(folder, good_sha)
        if problems:
            failures.append('%s: the previous good install was damaged: %s' % (case, problems[:3]))
        if leftovers(dest):
            failures.append('%s: leftovers in %s: %s' % (case, dest / WORK, leftovers(dest)))
        if (ws / 'outside' / 'victim.txt').read_bytes() != b'keep me':
            failures.append('%s: outside/victim.txt changed' % case)
    return not failures, failures, outside, message


def hostile_archives(work, seed, quick=False):
    out = Outcome('hostile archives', seed)
    out.figures['bytes written outside dest'] = 0
    for case in hostile_cases():
        ok, failures, outside, message = hostile_one(work, case)
        if ok is None:
            out.add('hostile archives skipped')
            out.note('%s: %s' % (case, failures[0]))
            continue
        out.add('hostile archive kinds')
        out.figures['bytes written outside dest'] += outside
        out.failures.extend(failures)
        if ok:
            out.add('hostile archives rejected')
        out.note('%s: %s' % (case, message.replace('\n', ' | ')[:300]))
    return out.done()
