# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install state machine: observe, decide, then (outside check mode) act atomically.

Everything transient lives in ``<dest>/.labfleet-zoo/``, on the model's filesystem:
``<key>.lock`` (one run per model at a time), ``<key>.staging.<rand>/`` (the new tree, marker written last),
``<key>.old.<rand>/tree`` (our previous tree, pruned after the swap), ``<key>.aside.<rand>/<name>`` (a folder
that was in the way and is not ours: never deleted) and ``<key>.kept.<rand>/`` (what pruning found that we did
not put there: never deleted).

Invariants (dest and everything in it may be in a student's hands while this runs as root):
- Every name below dest is reached through directory descriptors without following links (``_fs``); the work
  folder and the lock file are refused, with a message, when they are links or not what we made.
- Nothing we did not create is deleted: a folder at the model's path without a valid marker of ours is set aside,
  our own trees are pruned by their manifest (``_manifest.prune``) and whatever else they hold is kept.
- A run never leaves fewer good installs than it found: under the lock, a killed run's complete staging tree or
  set-aside previous tree is moved back into an empty slot before anything else, and leftovers are pruned only
  once a verified install is in place (or nothing of ours could be put there).
- The staging tree belongs to this run's user until it is complete; owner and mode are handed over last, the
  model folder itself only once it is in place.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import same_resource
from ansible_collections.labfleet.zoo.plugins.module_utils._sources import Sources
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import GunzipReader, extract
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import (
    ABSENT, ATTRIBUTES, DAMAGED, INSTALLED, PRESENT, REMOVED, REPAIRED, UNCHANGED)

WORK = '.labfleet-zoo'
STAGING, OLD, ASIDE, KEPT = 'staging', 'old', 'aside', 'kept'
NO_MARKER = 'no valid install marker of labfleet.zoo (an interrupted run, or files it did not install)'


class State(object):
    """What is on disk for one model: where, its marker, and what is wrong with it.

    ``foreign`` is true when something is at the path that is not an install of ours (no valid marker, a link,
    a file): it is never deleted.
    """

    def __init__(self, path, record, problems, outdated=False, foreign=False):
        self.path, self.record, self.problems, self.outdated = path, record, problems, outdated
        self.foreign = foreign
        if record is None:
            self.name = DAMAGED if foreign else ABSENT
        else:
            self.name = DAMAGED if problems else PRESENT

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
    try:
        dest_fd = _fs.open_dest(spec.dest)
    except FileNotFoundError:
        return State(os.path.join(spec.dest, expected), None, [])
    except OSError as e:
        raise ZooError('cannot open the models folder %s: %s' % (spec.dest, _fs.os_error(e)))
    try:
        return observe_at(spec, dest_fd)
    finally:
        os.close(dest_fd)


def observe_at(spec, dest_fd):
    expected = spec.top_dir or spec.key
    state = _inspect(spec, dest_fd, expected)
    if state.record is not None or spec.top_dir:
        return state
    # An archive not in the catalog may have another top directory than its name: look for our marker beside it.
    for name, record in _manifest.scan(dest_fd)[0]:
        if name != expected and record['key'] == spec.key:
            return _inspect(spec, dest_fd, name)
    return state


def _inspect(spec, dest_fd, name):
    path = os.path.join(spec.dest, name)
    st = _fs.lstat(dest_fd, name)
    if st is None:
        return State(path, None, [])
    if not stat.S_ISDIR(st.st_mode):
        return State(path, None, ['%s is %s, not a model folder' % (_fs.text(path), _fs.kind(st))], foreign=True)
    fd = _fs.open_dir(dest_fd, name)
    try:
        record = _manifest.read_at(fd)
        if record is None or record['top_dir'] != name:
            return State(path, None, [NO_MARKER], foreign=True)
        if record['key'] != spec.key or not same_resource(record['upstream'], spec.upstream_shown):
            return State(path, record, ['installed from %s, %s wanted' % (_fs.text(record['upstream']),
                                                                          spec.upstream_shown)], True)
        if spec.checksum and record['sha256'] != spec.checksum:
            return State(path, record, ['archive sha256 %s, %s wanted' % (record['sha256'], spec.checksum)], True)
        return State(path, record, _manifest.problems_at(fd, record, full=spec.verify == 'full'))
    finally:
        os.close(fd)


def _wanted(spec, record):
    return (record['key'] == spec.key and same_resource(record['upstream'], spec.upstream_shown)
            and (not spec.checksum or record['sha256'] == spec.checksum))


class Workspace(object):
    """dest, its work folder and the model's lock, all held as descriptors; ``blocking=False`` gives up at once
    when another run holds the lock (``acquired`` tells)."""

    def __init__(self, spec, blocking=True, create=True):
        self.spec, self.blocking, self.create = spec, blocking, create
        self.dest_fd = self.work_fd = self.lock_fd = None
        self.acquired = False
        self.replaced = []  # lock entries that were not ours, replaced

    def __enter__(self):
        try:
            try:
                self.dest_fd = _fs.open_dest(self.spec.dest, create=self.create)
            except OSError as e:
                raise ZooError('cannot open the models folder %s: %s' % (self.spec.dest, _fs.os_error(e)))
            self.work_fd = self._work_dir()
            self.lock_fd = self._lock_file()
            try:
                fcntl.flock(self.lock_fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
                self.acquired = True
            except BlockingIOError:
                pass
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for fd in (self.lock_fd, self.work_fd, self.dest_fd):
            if fd is not None:
                os.close(fd)
        self.dest_fd = self.work_fd = self.lock_fd = None

    def _where(self, name=''):
        return os.path.join(self.spec.dest, WORK, name) if name else os.path.join(self.spec.dest, WORK)

    def _work_dir(self):
        try:
            os.mkdir(WORK, 0o755, dir_fd=self.dest_fd)
        except FileExistsError:
            pass
        try:
            return _fs.open_dir(self.dest_fd, WORK)
        except OSError:
            st = _fs.lstat(self.dest_fd, WORK)
            raise ZooError('%s is %s, not the work folder labfleet.zoo makes: it is neither followed nor replaced. '
                           'Remove it (rm %s) and run again.' % (self._where(), _fs.kind(st), self._where()))

    def _lock_file(self):
        """The lock file, made by this user: anything else by that name (a link, a FIFO, someone else's file, an
        older run's file of another user) is replaced once, never followed or opened; a folder is refused."""
        name = self.spec.key + '.lock'
        where = self._where(name)
        st = _fs.lstat(self.work_fd, name)
        if st is not None and not (stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and st.st_nlink == 1):
            if stat.S_ISDIR(st.st_mode):
                raise ZooError('the lock file %s is a folder: labfleet.zoo will not use or delete it. Remove it '
                               '(rm -r %s) and run again.' % (where, where))
            os.unlink(name, dir_fd=self.work_fd)  # unlink never follows: a link goes, its target stays
            self.replaced.append('%s (%s owned by uid %d)' % (where, _fs.kind(st), st.st_uid))
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | _fs.O_CLOEXEC
        if st is not None and self.replaced:
            flags |= os.O_EXCL  # whoever makes it again first, it is not us: refuse below
        try:
            fd = os.open(name, flags, 0o600, dir_fd=self.work_fd)
        except OSError as e:
            raise ZooError('the lock file %s cannot be made (%s): something else took its name while it was '
                           'replaced. Remove it (rm %s) and run again.' % (where, _fs.os_error(e), where))
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_nlink != 1:
            os.close(fd)
            raise ZooError('the lock file %s is not the one labfleet.zoo made (%s owned by uid %d): it is not '
                           'used. Remove it (rm %s) and run again.' % (where, _fs.kind(st), st.st_uid, where))
        return fd

    # ------------------------------------------------------------ the work folder's entries of this model

    def entries(self, kind):
        """Names ``<key>.<kind>.<rand>`` in the work folder that this run's user made."""
        prefix = '%s.%s.' % (self.spec.key, kind)
        out = []
        for name in sorted(os.listdir(self.work_fd)):
            if name.startswith(prefix) and '/' not in name:
                st = _fs.lstat(self.work_fd, name)
                if st is not None and stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
                    out.append(name)
        return out

    def move_aside(self, name, kind):
        """Move ``name`` of dest (one rename, links not followed) into a new ``<key>.<kind>.<rand>/`` folder."""
        holder, fd = _fs.make_dir(self.work_fd, '%s.%s.' % (self.spec.key, kind))
        try:
            inner = 'tree' if kind == OLD else name
            _fs.rename(self.dest_fd, name, fd, inner)
        except BaseException:
            os.close(fd)
            os.rmdir(holder, dir_fd=self.work_fd)
            raise
        os.close(fd)
        return holder

    def prune_old(self, holder):
        """Prune our previous tree in ``holder``; returns the path of what was kept (None when all is gone)."""
        fd = _fs.open_dir(self.work_fd, holder)
        try:
            record = _manifest.read_child(fd, 'tree', top=False)
            if record is not None:
                _manifest.prune(fd, 'tree', record)
            left = os.listdir(fd)
        finally:
            os.close(fd)
        if left:
            return self._keep(holder)
        os.rmdir(holder, dir_fd=self.work_fd)
        return None

    def drop_staging(self, holder):
        """Delete a staging folder: pruned by its marker when complete, else what this user made in it."""
        fd = _fs.open_dir(self.work_fd, holder)
        try:
            record = _manifest.read_at(fd)
        finally:
            os.close(fd)
        if record is not None:
            kept = _manifest.prune(self.work_fd, holder, record)
        else:
            kept = _fs.remove_tree(self.work_fd, holder)
        return self._keep(holder) if kept else None

    def _keep(self, holder):
        """Rename a leftover that holds files we did not make to ``<key>.kept.<rand>``: never deleted."""
        for _attempt in range(10):
            name = '%s.%s.%s' % (self.spec.key, KEPT, os.urandom(4).hex())
            try:
                _fs.rename(self.work_fd, holder, self.work_fd, name)
                return self._where(name)
            except FileExistsError:
                continue
        return self._where(holder)

    def clean(self):
        """Delete what killed runs left for this model (the caller recovered first). Returns the kept paths."""
        kept = []
        for holder in self.entries(STAGING):
            kept.append(self.drop_staging(holder))
        for holder in self.entries(OLD):
            kept.append(self.prune_old(holder))
        return [k for k in kept if k]


def _has_leftovers(spec):
    """Whether a killed run left staging/old entries (a cheap listdir; no lock)."""
    try:
        names = os.listdir(os.path.join(spec.dest, WORK))
    except OSError:
        return False
    prefixes = ('%s.%s.' % (spec.key, STAGING), '%s.%s.' % (spec.key, OLD))
    return any(name.startswith(prefixes) for name in names)


class Installer(object):
    """Brings one model to the wanted state; ``attrs`` (``_fs.Attrs``) is the wanted owner/group/mode."""

    def __init__(self, spec, check_mode=False, attrs=None, sleep=time.sleep):
        self.spec = spec
        self.check_mode = check_mode
        self.attrs = attrs if attrs else None
        self.sources = Sources(spec, sleep)
        self.set_aside = []       # folders in the way that were not ours, moved into the work folder
        self.kept = []            # leftovers holding files we did not make, kept in the work folder
        self.warnings = []
        self.recovered = False

    @property
    def bytes_downloaded(self):
        """Bytes received so far, also when the run failed (``sources`` holds the rest of the source loop's facts)."""
        return self.sources.bytes_downloaded

    def present(self):
        """Install (or repair, or restore owner and mode); ZooError, or OSError left to the module's funnel."""
        before = observe(self.spec)
        if before.name == PRESENT and not self.spec.force:
            if not self.check_mode and _has_leftovers(self.spec):
                self._sweep()
            return self._unchanged(before)
        if self.check_mode:
            return self._result(before, True, _action(before), before.path, before.record or {})
        with Workspace(self.spec) as ws:
            self._note_replaced(ws)
            current = self._recover(ws, observe_at(self.spec, ws.dest_fd))
            if current.name == PRESENT and not self.spec.force:
                self.kept.extend(ws.clean())
                result = self._unchanged(current, before)
                if self.recovered:
                    result.update(changed=True, action=REPAIRED)
                return result
            path, record = self._install(ws, current)
            self.kept.extend(ws.clean())
        return self._result(before, True, _action(before), path, record)

    def _note_replaced(self, ws):
        self.warnings.extend('model %s: replaced %s, which was not the lock file labfleet.zoo made'
                             % (self.spec.key, r) for r in ws.replaced)

    def _sweep(self):
        """On a no-op rerun, clean what a killed run left, without waiting: a held lock means a live run owns it."""
        with Workspace(self.spec, blocking=False, create=False) as ws:
            self._note_replaced(ws)
            if ws.acquired:
                self.kept.extend(ws.clean())

    def _recover(self, ws, current):
        """Put a killed run's complete tree back into an empty slot: staging (newest) first, then the old tree."""
        if current.name != ABSENT:
            return current
        slot = os.path.basename(current.path)
        best = None
        for holder, inner in [(h, None) for h in ws.entries(STAGING)] + [(h, 'tree') for h in ws.entries(OLD)]:
            record = self._intact_tree(ws, holder, inner, slot)
            if record is not None:
                rank = 0 if _wanted(self.spec, record) else 1
                if best is None or rank < best[0]:
                    best = (rank, holder, inner)
        if best is None:
            return current
        _rank, holder, inner = best
        if inner:
            fd = _fs.open_dir(ws.work_fd, holder)
            try:
                _fs.rename(fd, inner, ws.dest_fd, slot)
            finally:
                os.close(fd)
            os.rmdir(holder, dir_fd=ws.work_fd)
        else:
            _fs.rename(ws.work_fd, holder, ws.dest_fd, slot)
        self.recovered = True
        self.warnings.append('model %s: restored %s from an interrupted run' % (self.spec.key, current.path))
        return observe_at(self.spec, ws.dest_fd)

    def _intact_tree(self, ws, holder, inner, slot):
        """The record of a complete, intact tree of this model for ``slot`` in a work entry, or None."""
        try:
            parent = _fs.open_dir(ws.work_fd, holder) if inner else ws.work_fd
        except OSError:
            return None
        try:
            fd = _fs.open_dir(parent, inner or holder)
        except OSError:
            return None
        finally:
            if inner:
                os.close(parent)
        try:
            record = _manifest.read_at(fd)
            if record is None or record['top_dir'] != slot or record['key'] != self.spec.key:
                return None
            return None if _manifest.problems_at(fd, record) else record
        finally:
            os.close(fd)

    def absent(self):
        """Remove the install (ours only); ZooError, or OSError left to the module's funnel."""
        before = observe(self.spec)
        if before.record is None:
            if before.foreign:
                self.warnings.append('%s is not an install of labfleet.zoo (%s): it was left alone'
                                     % (before.path, before.problems[0]))
            return self._result(before, False, ABSENT, before.path, {})
        if not self.check_mode:
            with Workspace(self.spec) as ws:
                self._note_replaced(ws)
                current = observe_at(self.spec, ws.dest_fd)
                if current.record is not None:
                    holder = ws.move_aside(os.path.basename(current.path), OLD)
                    kept = ws.prune_old(holder)
                    if kept:
                        self.kept.append(kept)
                self.kept.extend(ws.clean())
        return self._result(before, True, REMOVED, before.path, {})

    def _unchanged(self, state, before=None):
        changed = False
        if self.attrs:
            changed = self._apply_attrs(state.path, state.record)
        return self._result(before or state, changed, ATTRIBUTES if changed else UNCHANGED, state.path,
                            state.record)

    def _apply_attrs(self, path, record):
        fd = _manifest.open_folder(path)
        if fd is None:
            raise ZooError('the model folder %s disappeared while its owner and mode were checked' % path)
        try:
            changed, problems = _manifest.apply_attrs(fd, record, self.attrs, self.check_mode)
        finally:
            os.close(fd)
        self.warnings.extend('model %s: %s' % (self.spec.key, p) for p in problems[:10])
        return changed

    def _install(self, ws, current):
        keep = ' The previous install in %s is left as it was.' % current.path if current.record else ''
        holder, fd, record = self.sources.fetch(
            lambda: _Staging(self, ws), ws.dest_fd, 'model %s' % self.spec.key,
            'could not install %s into %s: no source served a valid archive.%s' % (self.spec.key, self.spec.dest, keep))
        try:
            return self._swap(ws, holder, fd, record, current), record
        finally:
            os.close(fd)

    def _swap(self, ws, holder, staging_fd, record, current):
        """Move the complete staging tree into place; what was there goes aside (ours: pruned; not ours: kept)."""
        top = record['top_dir']
        final = os.path.join(self.spec.dest, top)
        st = _fs.lstat(ws.dest_fd, top)
        previous = None
        if st is not None:
            other = _manifest.read_child(ws.dest_fd, top) if stat.S_ISDIR(st.st_mode) else None
            if other is not None and other['key'] != self.spec.key:
                _manifest.prune(ws.work_fd, holder, record)
                raise ZooError('%s would replace model %s in %s (same top directory %r); install them into '
                               'different dest folders' % (self.spec.key, other['key'], final, top))
            if other is not None:
                previous = ws.move_aside(top, OLD)
            else:
                aside = ws.move_aside(top, ASIDE)
                self.set_aside.append(os.path.join(self.spec.dest, WORK, aside, top))
        _fs.rename(ws.work_fd, holder, ws.dest_fd, top)
        if self.attrs:
            _fs.fix_attrs(staging_fd, self.attrs, is_dir=True)
        if previous:
            kept = ws.prune_old(previous)
            if kept:
                self.kept.append(kept)
        if current.record is not None and current.path != final:
            name = os.path.basename(current.path)
            if _manifest.read_child(ws.dest_fd, name) is not None:
                kept = ws.prune_old(ws.move_aside(name, OLD))
                if kept:
                    self.kept.append(kept)
        return final

    def _result(self, before, changed, action, path, record):
        record = record or {}
        after = {'path': path, 'state': ABSENT if action in (REMOVED, ABSENT) else PRESENT}
        if record.get('sha256'):
            after.update(sha256=record['sha256'], files=len(record['files']))
        fields = dict(path=path, source=record.get('source'), sha256=record.get('sha256'),
                      archive_size=record.get('archive_size'), files=len(record.get('files', ())))
        if before.problems:
            fields['problems'] = before.problems[:10]
        for key in ('set_aside', 'kept'):
            if getattr(self, key):
                fields[key] = list(getattr(self, key))
        return self.sources.result(changed, action, {'before': before.summary(), 'after': after}, **fields)

    def messages(self):
        """Warnings for the module to give: sources that failed, trees set aside or kept, restored installs,
        attributes not set."""
        out = self.sources.messages() + self.warnings
        out.extend('model %s: %s was in the way and is not an install of labfleet.zoo; it was moved to %s '
                   '(nothing deleted): move it back elsewhere or delete it yourself'
                   % (self.spec.key, os.path.basename(p), p) for p in self.set_aside)
        out.extend('model %s: files that labfleet.zoo did not install were kept in %s (nothing of them deleted)'
                   % (self.spec.key, p) for p in self.kept)
        return out


class _Staging(object):
    """One attempt's sink: a fresh staging folder in the work folder that the archive is extracted into; committed
    with its marker (and owner/mode below its top), discarded with what this run made in it."""

    def __init__(self, installer, ws):
        self.installer, self.ws = installer, ws
        self.holder, self.fd = _fs.make_dir(ws.work_fd, '%s.%s.' % (installer.spec.key, STAGING))
        self.top = self.manifest = None

    def receive(self, stream):
        spec = self.installer.spec
        label = 'archive %s from %s' % (stream.shown.rsplit('/', 1)[-1], stream.shown)
        gunzip = GunzipReader(stream, label, limit=spec.max_stream)
        self.top, self.manifest = extract(gunzip, self.fd, label, reserved=_manifest.reserved, limits=spec.limits,
                                          top_dir=spec.top_dir)
        gunzip.drain()

    def commit(self, stream, digest):
        spec, attrs = self.installer.spec, self.installer.attrs
        record = dict(self.manifest, key=spec.key, upstream=spec.upstream_shown, source=stream.shown, sha256=digest,
                      archive_size=stream.offset, top_dir=self.top,
                      installed_at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
        _manifest.write(self.fd, record)
        if attrs:
            _changed, problems = _manifest.apply_attrs(self.fd, record, attrs, top=False)
            if problems:
                raise ZooError('cannot set owner/mode in the new tree of %s: %s' % (spec.key, '; '.join(problems[:3])))
        return self.holder, self.fd, record

    def discard(self):
        os.close(self.fd)
        _fs.remove_tree(self.ws.work_fd, self.holder)


def _action(state):
    """REPAIRED when a complete install of the same archive was damaged; else INSTALLED."""
    return REPAIRED if state.problems and state.record is not None and not state.outdated else INSTALLED
