# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install state machine: observe, decide, then (outside check mode) act atomically.

Everything transient lives in ``<dest>/.labfleet-zoo/``, on the model's filesystem:
``<key>.lock`` (one run per model at a time), ``<key>.staging.<rand>/`` (the new tree,
marker written last) and ``<key>.old.<rand>/`` (the previous tree, deleted after the swap).
A killed run leaves only such entries, and the next run holding the lock deletes them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import RestartRequired, SourceError, open_source
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import GunzipReader, UnsafeArchive, extract, need_space

WORK = '.labfleet-zoo'


class State(object):
    """What is on disk for one model: where, its marker, and what is wrong with it."""

    def __init__(self, path, record, problems, outdated=False):
        self.path, self.record, self.problems, self.outdated = path, record, problems, outdated
        if record is None:
            self.name = 'damaged' if os.path.isdir(path) else 'absent'
        else:
            self.name = 'damaged' if problems else 'present'

    def summary(self):
        out = {'path': self.path, 'state': self.name}
        if self.record:
            out.update(sha256=self.record.get('sha256'), files=len(self.record['files']))
        if self.problems:
            out['problems'] = self.problems[:10]
        return out


def observe(spec):
    """Find the model's folder in dest and check it; reads markers and stats files only."""
    expected = spec.top_dir or spec.key
    state = _inspect(spec, os.path.join(spec.dest, expected))
    if state.record is not None:
        return state
    # The archive may have another top directory than expected: look for our marker beside it.
    try:
        names = sorted(os.listdir(spec.dest))
    except OSError:
        names = []
    for name in names:
        if name.startswith('.') or name == expected:
            continue
        folder = os.path.join(spec.dest, name)
        record = _manifest.read(folder)
        if record is not None and record.get('key') == spec.key:
            return _inspect(spec, folder)
    return state


def _inspect(spec, folder):
    record = _manifest.read(folder)
    if record is None:
        return State(folder, None, [])
    if record.get('key') != spec.key or record.get('upstream') != spec.upstream:
        return State(folder, record, ['installed from %s, %s wanted' % (record.get('upstream'), spec.upstream)], True)
    if spec.checksum and record.get('sha256') != spec.checksum:
        return State(folder, record, ['archive sha256 %s, %s wanted' % (record.get('sha256'), spec.checksum)], True)
    return State(folder, record, _manifest.problems(folder, record, full=spec.verify == 'full'))


@contextmanager
def model_lock(spec):
    """Hold ``<key>.lock`` (flock: released by the kernel even when the holder is killed)."""
    work = os.path.join(spec.dest, WORK)
    os.makedirs(work, 0o755, exist_ok=True)
    fd = os.open(os.path.join(work, spec.key + '.lock'), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _clean_leftovers(work, spec.key)
        yield work
    finally:
        os.close(fd)


def _is_leftover(entry, key):
    parts = entry.rsplit('.', 2)
    return len(parts) == 3 and parts[0] == key and parts[1] in ('staging', 'old')


def _clean_leftovers(work, key):
    for entry in os.listdir(work):
        if _is_leftover(entry, key):
            shutil.rmtree(os.path.join(work, entry), ignore_errors=True)


def sweep_leftovers(spec):
    """On a no-op rerun, delete what a killed run left, without waiting: a held lock means a live run owns it."""
    work = os.path.join(spec.dest, WORK)
    try:
        if not any(_is_leftover(entry, spec.key) for entry in os.listdir(work)):
            return
    except OSError:
        return
    fd = os.open(os.path.join(work, spec.key + '.lock'), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _clean_leftovers(work, spec.key)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)


def _set_aside(path, work, key):
    """Move a tree out of sight in one rename; returns the folder to delete (None if nothing was there)."""
    if not os.path.lexists(path):
        return None
    trash = tempfile.mkdtemp(prefix=key + '.old.', dir=work)
    os.rename(path, os.path.join(trash, 'tree'))
    return trash


def _discard(path, work, key):
    trash = _set_aside(path, work, key)
    if trash:
        shutil.rmtree(trash)


class Installer(object):
    """Brings one model to the wanted state; ``apply_attrs(dirs, files)`` sets owner/mode."""

    def __init__(self, spec, check_mode=False, apply_attrs=None, sleep=time.sleep):
        self.spec = spec
        self.check_mode = check_mode
        self.apply_attrs = apply_attrs
        self.sleep = sleep
        self.bytes_downloaded = 0
        self.failed_sources = []  # 'url: why' of the sources that failed before one served
        self.started = time.monotonic()

    def present(self):
        try:
            return self._present()
        except OSError as e:
            raise ZooError('cannot install %s in %s: %s' % (self.spec.key, self.spec.dest, e))

    def absent(self):
        try:
            return self._absent()
        except OSError as e:
            raise ZooError('cannot remove %s from %s: %s' % (self.spec.key, self.spec.dest, e))

    def _present(self):
        before = observe(self.spec)
        if before.name == 'present' and not self.spec.force:
            if not self.check_mode:
                sweep_leftovers(self.spec)
            return self._unchanged(before)
        if self.check_mode:
            return self._result(before, True, _action(before), before.path, before.record or {})
        os.makedirs(self.spec.dest, 0o755, exist_ok=True)
        with model_lock(self.spec) as work:
            current = observe(self.spec)  # another run may have installed it while we waited
            if current.name == 'present' and not self.spec.force:
                return self._unchanged(current)
            path, record = self._install(work, current)
        return self._result(before, True, _action(before), path, record)

    def _absent(self):
        before = observe(self.spec)
        if before.name == 'absent':
            return self._result(before, False, 'absent', before.path, {})
        if not self.check_mode:
            with model_lock(self.spec) as work:
                _discard(observe(self.spec).path, work, self.spec.key)
        return self._result(before, True, 'removed', before.path, {})

    def _unchanged(self, state):
        changed = False
        if self.apply_attrs:
            changed = self.apply_attrs(*_split_tree(state.path, state.record))
        return self._result(state, changed, 'repaired' if changed else 'unchanged', state.path, state.record)

    def _install(self, work, current):
        errors = []
        for url in self.spec.sources:
            try:
                staging, record = self._from_source(url, work)
            except (SourceError, UnsafeArchive) as e:
                errors.append('%s: %s' % (url, e))
                continue
            final = os.path.join(self.spec.dest, record['top_dir'])
            other = _manifest.read(final)
            if other is not None and other.get('key') != self.spec.key:
                shutil.rmtree(staging)
                raise ZooError('%s would replace model %s in %s (same top directory %r); install them into '
                               'different dest folders' % (self.spec.key, other.get('key'), final, record['top_dir']))
            previous = _set_aside(final, work, self.spec.key)
            os.rename(staging, final)
            if previous:
                shutil.rmtree(previous)
            if current.record is not None and current.path != final:
                _discard(current.path, work, self.spec.key)
            self.failed_sources = errors
            return final, record
        keep = ' The previous install in %s is left as it was.' % current.path if current.record else ''
        raise ZooError('could not install %s into %s: no source served a valid archive.%s\n  %s'
                       % (self.spec.key, self.spec.dest, keep, '\n  '.join(errors)))

    def _from_source(self, url, work):
        """Download+verify+extract from one source into a fresh staging folder (restarted if the server asks)."""
        for attempt in range(self.spec.retries + 1):
            staging = tempfile.mkdtemp(prefix=self.spec.key + '.staging.', dir=work)
            os.chmod(staging, 0o755)
            try:
                return staging, self._stream_into(url, staging)
            except RestartRequired:
                if attempt == self.spec.retries:
                    raise
            finally:
                if not os.path.exists(os.path.join(staging, _manifest.MARKER)):
                    shutil.rmtree(staging, ignore_errors=True)

    def _stream_into(self, url, staging):
        spec = self.spec
        what = 'model %s' % spec.key
        if spec.size:
            need_space(spec.dest, spec.size, what)
        stream = open_source(url, spec.timeout, spec.retries, spec.url_options, self.sleep)
        try:
            if stream.size and not spec.size:
                need_space(spec.dest, stream.size, what)
            label = 'archive %s from %s' % (url.rsplit('/', 1)[-1], url)
            gunzip = GunzipReader(stream, label)
            top, manifest = extract(gunzip, staging, label, reserved=_manifest.RESERVED)
            gunzip.drain()
        finally:
            self.bytes_downloaded += stream.bytes_downloaded
            stream.close()
        digest = stream.sha256.hexdigest()
        if spec.checksum and digest != spec.checksum:
            raise SourceError('checksum mismatch for model %s: expected sha256 %s, got %s'
                              % (spec.key, spec.checksum, digest))
        record = dict(manifest, key=spec.key, upstream=spec.upstream, source=url, sha256=digest,
                      archive_size=stream.offset, top_dir=top,
                      installed_at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
        if self.apply_attrs:
            self.apply_attrs(*_split_tree(staging, record))
        _manifest.write(staging, record)
        return record

    def _result(self, before, changed, action, path, record):
        record = record or {}
        result = dict(
            changed=changed, action=action, path=path,
            source=record.get('source'), sha256=record.get('sha256'),
            archive_size=record.get('archive_size'), bytes_downloaded=self.bytes_downloaded,
            files=len(record.get('files', ())), elapsed=round(time.monotonic() - self.started, 3),
        )
        if before.problems:
            result['problems'] = before.problems[:10]
        if self.failed_sources:
            result['failed_sources'] = list(self.failed_sources)
        after = {'path': path, 'state': 'absent' if action in ('removed', 'absent') else 'present'}
        if record.get('sha256'):
            after.update(sha256=record['sha256'], files=len(record['files']))
        result['diff'] = {'before': before.summary(), 'after': after}
        return result


def _action(state):
    """'repaired' when a complete install of the same archive was damaged; else 'installed'."""
    return 'repaired' if state.problems and not state.outdated else 'installed'


def _split_tree(folder, record):
    """(directories, files) of an install, for applying owner/group/mode."""
    paths = _manifest.tree(folder, record)
    files = set(os.path.join(folder, rel) for rel in record['files'])
    return [p for p in paths if p not in files], [p for p in paths if p in files]
