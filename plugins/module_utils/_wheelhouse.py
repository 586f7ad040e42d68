# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's wheelhouse for the Raspberry Pis (labfleet.zoo.wheelhouse, on the mirror): the ``pip download`` that
fetches a Pi platform's runtime wheels from another machine, the folder that keeps them (``wheels/<file>``), and
the static PEP 503 index that serves them (``simple/<name>/index.html`` with ``#sha256=`` links), read by pip on
the Pis; and the requirement lines with hashes that pin a platform's wheels (mirror and Pis alike).

Invariants:
- The platform comes from a name _lab.parse_wheel_platform accepted and its requirements from
  _lab.PI_RUNTIME_WHEELS (one home for which wheel a userland takes); only binary wheels are fetched
  (``--only-binary=:all:``: no source package is built, so nothing the index sends runs here).
- Pinned wheels are fetched with ``--require-hashes --no-deps`` on exactly the pinned files and checked again
  here; a wheel enters ``wheels/`` only complete and checked (downloaded into a temporary folder of the
  wheelhouse, then renamed), so the index never links to a partial or unchecked file.
- A rerun whose wheels are all there with their sha256 runs no pip and opens no connection.
- Index pages hold only names that are wheel file names and hex digests (escaped), relative links that stay in
  the wheelhouse; they are rewritten only when their text changes.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import stat
import sys
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs, _lab, _manifest, _process
from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary as words
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

WHEELS = 'wheels'      # the wheel files, below the wheelhouse root
SIMPLE = 'simple'      # the PEP 503 index pages
STATE = '.labfleet-zoo-wheelhouse.json'    # what each platform's last download brought (not served by nginx)
REQUIREMENTS = 'requirements.txt'          # in a download's temporary folder: the pinned lines
DEADLINE = 1800        # seconds for one platform's download (pip's own timeout is per read)
STATE_LIMIT = 1 << 20  # bytes
OUTPUT_TAIL = 1500     # characters of pip's output quoted in a message
_SHA256 = re.compile(r'^[0-9a-f]{64}$')


def platform_line(platform):
    """(PI_RUNTIME_WHEELS line, python, glibc) of a wheel platform name; ValueError when none fits."""
    machine, bits, python, glibc = _lab.parse_wheel_platform(platform)
    return _lab.pi_runtime_wheel(machine, bits, python, glibc), python, glibc


def pinned_lines(files):
    """Requirement lines ``name==version --hash=sha256:<hex>`` of a platform's pinned wheels
    ({file name: {sha256, size}}), one line per distribution with every hash of its files; ValueError when an
    entry is not a wheel file name with a sha256."""
    by_req = {}
    for filename, entry in sorted((files or {}).items()):
        digest = str((entry or {}).get('sha256', '') if isinstance(entry, dict) else entry)
        if not _SHA256.match(digest):
            raise ValueError('the pinned wheel %s has no sha256 (64 hex digits) in the lock' % _fs.quote(filename))
        by_req.setdefault(_lab.wheel_requirement(filename), []).append(digest)
    return ['%s==%s %s' % (name, version, ' '.join('--hash=sha256:%s' % d for d in digests))
            for (name, version), digests in sorted(by_req.items())]


def download_command(python_exe, platform, dest, index_url=None, timeout=30, retries=5, requirements_file=None):
    """The argv of ``pip download`` that puts ``platform``'s runtime wheels in ``dest`` (``index_url`` None: pip's
    configured index); with ``requirements_file`` (pinned lines), exactly those files, hashes required."""
    line, python, glibc = platform_line(platform)
    requirements, no_deps = _lab.pi_runtime_requirements(line)
    major, minor = python.split('.')
    cmd = [python_exe, '-m', 'pip', 'download', '--only-binary=:all:', '--no-input', '--disable-pip-version-check',
           '--dest', str(dest), '--python-version', python, '--implementation', 'cp',
           '--abi', 'cp%s%s' % (major, minor), '--abi', 'abi3', '--abi', 'none',
           '--timeout', str(timeout), '--retries', str(retries)]
    for tag in _lab.wheel_platforms(line['machine'], glibc):
        cmd += ['--platform', tag]
    if index_url:
        cmd += ['--index-url', index_url]
    if requirements_file:
        return cmd + ['--no-cache-dir', '--require-hashes', '--no-deps', '-r', str(requirements_file)]
    if no_deps:
        cmd.append('--no-deps')
    return cmd + ['--no-cache-dir'] + requirements


def index_pages(files):
    """{relative path: HTML text} of the PEP 503 index of ``files`` ({wheel file name: sha256 hex}): the root page
    and one page per distribution, linking to ``../../wheels/<file>#sha256=<hex>``."""
    by_name = {}
    for filename, digest in sorted(files.items()):
        name, _version = _lab.wheel_requirement(filename)
        by_name.setdefault(name, []).append((filename, digest))

    def page(title, links):
        return ('<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
                '<title>%s</title></head><body>\n%s</body></html>\n' % (html.escape(title), ''.join(
                    '<a href="%s">%s</a><br>\n' % (html.escape(href, quote=True), html.escape(text))
                    for href, text in links)))

    pages = {SIMPLE + '/index.html': page('labfleet.zoo wheelhouse', [(name + '/', name) for name in sorted(by_name)])}
    for name, entries in by_name.items():
        pages['%s/%s/index.html' % (SIMPLE, name)] = page('Links for %s' % name, [
            ('../../%s/%s#sha256=%s' % (WHEELS, filename, digest), filename) for filename, digest in entries])
    return pages


class Wheelhouse(object):
    """The wheelhouse in the folder ``dest`` for ``platforms``: ``converge()`` -> result dict.

    ``pinned`` is the lock's ``{platform: {wheel file: {sha256, size}}}``; a platform without pins gets what pip
    resolves for its runtime line, recorded (in STATE) so that a rerun knows its files without pip.
    """

    def __init__(self, dest, platforms, pinned=None, index_url=None, python_exe=None, timeout=30, retries=5,
                 check_mode=False):
        self.dest, self.index_url, self.check_mode = dest, index_url or None, check_mode
        self.python_exe = python_exe or sys.executable
        self.timeout, self.retries = timeout, retries
        self.platforms = []
        for platform in platforms:
            try:
                platform_line(platform)
            except ValueError as e:
                raise ZooError('the wheelhouse platform %s: %s' % (_fs.quote(platform), e))
            if platform not in self.platforms:
                self.platforms.append(platform)
        self.pinned = {}
        for platform, files in (pinned or {}).items():
            if platform in self.platforms and files:
                try:
                    lines = pinned_lines(files)
                except ValueError as e:
                    raise ZooError('%s (platform %s)' % (e, platform))
                self.pinned[platform] = (lines, dict(
                    (name, dict(sha256=str(entry['sha256']), size=entry.get('size')) if isinstance(entry, dict)
                     else dict(sha256=str(entry), size=None)) for name, entry in files.items()))
        self.fd = self.wheels_fd = None

    # ------------------------------------------------------------------ the run

    def converge(self):
        started = time.monotonic()
        try:
            self.fd = _fs.open_dest(self.dest)
        except FileNotFoundError:
            raise ZooError('the wheelhouse folder %s does not exist: create it first (the role labfleet.zoo.mirror '
                           'makes mirror_root)' % self.dest)
        try:
            return self._converge(started)
        finally:
            for fd in (self.wheels_fd, self.fd):
                if fd is not None:
                    os.close(fd)

    def _converge(self, started):
        state = self._read_state()
        self.wheels_fd = self._folder(WHEELS)
        results, wheels, fetched = {}, {}, 0
        for platform in self.platforms:
            line, _python, _glibc = platform_line(platform)
            wanted = self._wanted(platform, line, state.get(platform))
            missing = self._missing(wanted) if wanted is not None else None
            # Repaired: some of the platform's wheels were there (missing or damaged others); else downloaded.
            some = bool(wanted) and self.wheels_fd is not None and any(
                _fs.lstat(self.wheels_fd, name) is not None for name in wanted)
            if missing == []:
                action, files = words.UNCHANGED, wanted
            elif self.check_mode:
                action, files = words.REPAIRED if some else words.DOWNLOADED, wanted or {}
            else:
                action = words.REPAIRED if some else words.DOWNLOADED
                files, size = self._download(platform, wanted)
                fetched += size
                state[platform] = dict(requirements=_lab.pi_runtime_requirements(line)[0], files=files)
            wheels[platform] = files
            results[platform] = dict(action=action, package=line['package'], version=line['version'],
                                     files=len(files), size=sum(f.get('size') or 0 for f in files.values()),
                                     missing=len(missing) if missing is not None else len(files))
        pages_changed = self._pages(wheels)
        if not self.check_mode and any(r['action'] != words.UNCHANGED for r in results.values()):
            _fs.write_atomic(self.fd, STATE, json.dumps(state, indent=2, sort_keys=True).encode('utf-8'))
        changed = pages_changed or any(r['action'] != words.UNCHANGED for r in results.values())
        return dict(changed=changed, platforms=results, wheels=wheels, bytes_downloaded=fetched,
                    index=os.path.join(self.dest, SIMPLE), elapsed=round(time.monotonic() - started, 3),
                    diff=dict(before=_listing(results, before=True), after=_listing(results)))

    # ------------------------------------------------------------------ what is there

    def _read_state(self):
        data = _fs.read_file(self.fd, STATE, STATE_LIMIT)
        try:
            state = json.loads(data.decode('utf-8')) if data else {}
        except ValueError:
            state = {}
        return state if isinstance(state, dict) else {}

    def _folder(self, name, parent_fd=None, path=None):
        """The descriptor of the folder ``name`` in ``parent_fd`` (default: dest), made (0755) when missing; None
        when missing in check mode; anything else there fails, untouched."""
        parent_fd = self.fd if parent_fd is None else parent_fd
        path = path or os.path.join(self.dest, name)
        st = _fs.lstat(parent_fd, name)
        if st is None and not self.check_mode:
            os.mkdir(name, 0o755, dir_fd=parent_fd)
            st = _fs.lstat(parent_fd, name)
        if st is None:
            return None
        if not stat.S_ISDIR(st.st_mode):
            raise ZooError('%s is %s, not a folder of the wheelhouse: move it away and run again'
                           % (path, _fs.kind(st)))
        return _fs.open_dir(parent_fd, name)

    def _wanted(self, platform, line, recorded):
        """{file: {sha256, size}} the platform must have, or None when only pip can tell (nothing pinned or
        recorded for its runtime line)."""
        if platform in self.pinned:
            return self.pinned[platform][1]
        if isinstance(recorded, dict) and recorded.get('requirements') == _lab.pi_runtime_requirements(line)[0] \
                and isinstance(recorded.get('files'), dict) and recorded['files']:
            try:
                pinned_lines(recorded['files'])
            except ValueError:
                return None
            return recorded['files']
        return None

    def _missing(self, files):
        """The names among ``files`` that are not in wheels/ as regular files with their sha256."""
        missing = []
        for name, entry in sorted(files.items()):
            if self.wheels_fd is None or not _valid(self.wheels_fd, name, entry):
                missing.append(name)
        return missing

    # ------------------------------------------------------------------ downloading

    def _download(self, platform, wanted):
        """Fetch the platform's wheels into a temporary folder of the wheelhouse (valid files already there are
        linked in, so pip fetches only the others), check them, move them into wheels/: ({file: entry}, bytes)."""
        if self.python_exe == sys.executable and importlib.util.find_spec('pip') is None:
            raise ZooError('pip is not installed for %s on this mirror: install the package python3-pip (the role '
                           'labfleet.zoo.mirror does when the lab has Pis with a runtime) and run again'
                           % self.python_exe)
        tmp, tmp_fd = _fs.make_dir(self.fd, '.wheels-')
        try:
            requirements = None
            if platform in self.pinned:
                requirements = os.path.join(self.dest, tmp, REQUIREMENTS)
                _fs.write_atomic(tmp_fd, REQUIREMENTS, ('\n'.join(self.pinned[platform][0]) + '\n').encode())
            for name, entry in (wanted or {}).items():
                if _valid(self.wheels_fd, name, entry):
                    os.link(name, name, src_dir_fd=self.wheels_fd, dst_dir_fd=tmp_fd, follow_symlinks=False)
            before = set(os.listdir(tmp_fd))
            self._pip(platform, os.path.join(self.dest, tmp), requirements)
            got = {}
            for name in sorted(os.listdir(tmp_fd)):
                if name == REQUIREMENTS:
                    continue
                try:
                    _lab.wheel_requirement(name)
                except ValueError:
                    raise ZooError('pip left %s in the download of %s, which is not a wheel: nothing was added to '
                                   'the wheelhouse' % (_fs.quote(name), platform))
                got[name] = _entry(tmp_fd, name)
            if platform in self.pinned:
                self._check_pins(platform, got)
            size = 0
            for name in sorted(got):
                if name not in before:
                    size += got[name]['size']
                os.rename(name, name, src_dir_fd=tmp_fd, dst_dir_fd=self.wheels_fd)
            return got, size
        finally:
            os.close(tmp_fd)
            _fs.remove_tree(self.fd, tmp)

    def _check_pins(self, platform, got):
        pins = self.pinned[platform][1]
        for name, entry in sorted(pins.items()):
            if name not in got:
                raise ZooError('the index did not send the pinned wheel %s for %s: nothing was added to the '
                               'wheelhouse' % (name, platform))
            if got[name]['sha256'] != entry['sha256']:
                raise ZooError('the wheel %s for %s has sha256 %s, the lock pins %s: nothing was added to the '
                               'wheelhouse' % (name, platform, got[name]['sha256'], entry['sha256']))
        extra = sorted(set(got) - set(pins))
        if extra:
            raise ZooError('pip brought wheels the lock does not pin for %s (%s): nothing was added to the '
                           'wheelhouse' % (platform, ', '.join(extra)))

    def _pip(self, platform, dest, requirements):
        cmd = download_command(self.python_exe, platform, dest, self.index_url, self.timeout, self.retries,
                               requirements_file=requirements)
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith('PIP_'))
        if self.index_url:
            env['PIP_CONFIG_FILE'] = os.devnull    # the named index only, not the machine's extra indexes
        env.update(PIP_NO_INPUT='1', PIP_DISABLE_PIP_VERSION_CHECK='1', PYTHONNOUSERSITE='1')
        from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import redact   # the mirror only
        where = redact(self.index_url) if self.index_url else "pip's configured index"
        try:
            status, text = _process.run(cmd, env, DEADLINE, cwd=dest)
        except OSError as e:
            raise ZooError('cannot run pip download for %s: %s' % (platform, _fs.os_error(e)))
        except _process.Expired:
            raise ZooError('the download of the wheels for %s from %s took more than %d s: stopped, nothing was '
                           'added; run again or check the index' % (platform, where, DEADLINE))
        if status != 0:
            raise ZooError('cannot download the wheels for %s from %s (pip exit status %d): %s' % (
                platform, where, status, text[-OUTPUT_TAIL:].strip()))

    # ------------------------------------------------------------------ the index

    def _pages(self, wheels):
        """Write the PEP 503 pages of every platform's files (changed ones only) and drop pages of names no
        platform has any more; True when a page changed (or would)."""
        files = {}
        for platform_files in wheels.values():
            files.update((name, entry['sha256']) for name, entry in platform_files.items())
        pages = index_pages(files)
        simple_fd = self._folder(SIMPLE)
        changed = False
        try:
            for rel, text in sorted(pages.items()):
                parts = rel.split('/')[1:]          # below simple/: index.html or <name>/index.html
                parent = simple_fd
                if len(parts) == 2 and simple_fd is not None:
                    parent = self._folder(parts[0], simple_fd, os.path.join(self.dest, SIMPLE, parts[0]))
                try:
                    data = text.encode('utf-8')
                    if parent is not None and _fs.read_file(parent, parts[-1], len(data) + 1) == data:
                        continue
                    changed = True
                    if not self.check_mode:
                        _fs.write_atomic(parent, parts[-1], data)
                finally:
                    if parent is not None and parent != simple_fd:
                        os.close(parent)
            if simple_fd is not None:
                names = set(rel.split('/')[1] for rel in pages if rel.count('/') == 2)
                for name in sorted(set(os.listdir(simple_fd)) - names):
                    st = _fs.lstat(simple_fd, name)
                    if st is not None and stat.S_ISDIR(st.st_mode):
                        changed = True
                        if not self.check_mode:
                            _fs.remove_tree(simple_fd, name)
        finally:
            if simple_fd is not None:
                os.close(simple_fd)
        return changed


def _entry(dir_fd, name):
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0), dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ZooError('%s is %s, not a wheel file' % (_fs.quote(name), _fs.kind(st)))
        return dict(sha256=_manifest.fd_sha256(fd), size=st.st_size)
    finally:
        os.close(fd)


def _valid(dir_fd, name, entry):
    """True when the regular file ``name`` has ``entry``'s size (when known) and sha256."""
    st = _fs.lstat(dir_fd, name)
    if st is None or not stat.S_ISREG(st.st_mode):
        return False
    if isinstance(entry.get('size'), int) and st.st_size != entry['size']:
        return False
    try:
        return _entry(dir_fd, name)['sha256'] == entry['sha256']
    except (OSError, ZooError):
        return False


def _listing(results, before=False):
    def state(r):
        kept = '%s %s (%d wheels, %d bytes)' % (r['package'], r['version'], r['files'], r['size'])
        if not before or r['action'] == words.UNCHANGED:
            return kept
        if r['action'] == words.REPAIRED:
            return '%s %s (%d of %d wheels missing or damaged)' % (r['package'], r['version'], r['missing'],
                                                                   r['files'])
        return 'absent'
    return ''.join('%s: %s\n' % (platform, state(r)) for platform, r in sorted(results.items()))
