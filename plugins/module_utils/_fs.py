# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filesystem work below directory file descriptors, in trees that another user controls.

Invariants (the module runs as root inside a student's home):
- Only ``dest`` itself is opened by path (:func:`open_dest`), following the links on the way that root or this
  process's user made (the admin's, as cp and tar follow theirs), never one another user planted.
  Every name below it is opened one component at a time with ``O_NOFOLLOW`` relative to its parent's descriptor,
  so a link planted anywhere is seen as a link and never followed, and a folder renamed under our feet keeps
  being the one we opened.
- Relative paths that come from a file the user can edit pass :func:`check_rel` before they are used.
- Owner and mode are changed through a descriptor opened without following links, never on a file with
  several hard links (it may be someone else's file linked in): :func:`fix_attrs`, to the :class:`Attrs` that
  :func:`attrs_from` makes of the task's owner/group/mode, is the one way every module applies them, and in check
  mode it tells, without changing anything, whether a real run would.
- A file is written only by :class:`AtomicFile` (a new ``O_EXCL`` file beside it, fsync, owner and mode set, one
  rename by descriptor): readers see the old file or the complete new one, never a part.
- Trees are walked without recursion, with at most ``MAX_DEPTH`` descriptors open; only entries this process's
  user owns are deleted, anything else is left where it is and reported.
- Files are opened with ``O_NONBLOCK`` so that a planted FIFO cannot stall a run.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat

MAX_DEPTH = 32       # path components below a model folder
MAX_NAME = 255       # bytes in one component (NAME_MAX)
MAX_PATH = 1024      # bytes in a relative path
MAX_TEXT = 300       # characters of a name or path quoted in a message

O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | O_CLOEXEC
O_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | O_CLOEXEC


def text(value, limit=MAX_TEXT):
    """``value`` as text Ansible can serialise (undecodable bytes replaced), cut to ``limit`` characters."""
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    else:
        value = str(value).encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
    value = value.replace('\x00', '\\0')
    if len(value) > limit:
        value = value[:limit] + '... (%d characters in all)' % len(value)
    return value


def quote(value):
    """repr-style quoting of a name for a message, cut: a hostile name is never pasted whole."""
    return repr(text(value))


def rel_problem(rel):
    """Why ``rel`` is not a clean relative path below a folder (None when it is)."""
    if not isinstance(rel, str):
        return 'is not a string'
    if not rel or '\x00' in rel:
        return 'is empty or holds a NUL byte'
    try:
        size = len(rel.encode('utf-8'))
    except UnicodeError:
        return 'is not valid UTF-8'
    if size > MAX_PATH:
        return 'is longer than %d bytes' % MAX_PATH
    if rel.startswith('/'):
        return 'is absolute'
    parts = rel.split('/')
    if len(parts) > MAX_DEPTH:
        return 'is deeper than %d levels' % MAX_DEPTH
    for part in parts:
        if part in ('', '.', '..'):
            return 'is not normalised (empty, "." or ".." component)'
        if len(part.encode('utf-8')) > MAX_NAME:
            return 'has a component longer than %d bytes' % MAX_NAME
    return None


def os_error(e):
    """An OSError as a short text: its reason and, when it names one, the file (cut, serialisable)."""
    where = ' (%s)' % text(e.filename) if getattr(e, 'filename', None) else ''
    return '%s%s' % (e.strerror or e, where)


def check_rel(rel):
    """True when ``rel`` is relative, normalised, bounded, free of ``..`` and NUL."""
    return rel_problem(rel) is None


def open_dest(path, create=False):
    """The descriptor of the folder ``dest``: links on the way are followed when root or this user made them
    (the admin's), refused when another user did (a student swapping ``pre_trained`` for a link); see
    :func:`open_parent`. ``create`` makes missing folders (0755)."""
    fd, last = open_parent(os.path.join(path, '.labfleet-zoo-probe'), create=create)
    del last
    return fd


def open_dir(dir_fd, name):
    """The descriptor of the real directory ``name`` in ``dir_fd``; OSError (ELOOP, ENOTDIR...) otherwise."""
    return os.open(name, O_DIR, dir_fd=dir_fd)


def lstat(dir_fd, name):
    """lstat of ``name`` in ``dir_fd``, or None when there is nothing by that name."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def kind(st):
    """'a folder', 'a symbolic link'... for messages."""
    if st is None:
        return 'nothing'
    for test, name in ((stat.S_ISDIR, 'a folder'), (stat.S_ISREG, 'a file'), (stat.S_ISLNK, 'a symbolic link'),
                       (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISSOCK, 'a socket')):
        if test(st.st_mode):
            return name
    return 'a device'


class Walker(object):
    """Resolves many relative paths below ``root_fd`` without following links, keeping only the chain of
    descriptors of the current folder open (paths given in sorted component order are cheapest)."""

    def __init__(self, root_fd):
        self.root_fd = root_fd
        self._chain = []  # [(name, fd)] from the root down

    def parent(self, parts):
        """The descriptor of the folder holding ``parts[-1]``; OSError when a component is not a real folder."""
        want = parts[:-1]
        keep = 0
        while keep < len(self._chain) and keep < len(want) and self._chain[keep][0] == want[keep]:
            keep += 1
        for _name, fd in self._chain[keep:]:
            os.close(fd)
        del self._chain[keep:]
        for name in want[keep:]:
            fd = open_dir(self._chain[-1][1] if self._chain else self.root_fd, name)
            self._chain.append((name, fd))
        return self._chain[-1][1] if self._chain else self.root_fd

    def close(self):
        for _name, fd in self._chain:
            os.close(fd)
        self._chain = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_file(dir_fd, name, limit):
    """The bytes of the regular file ``name`` (at most ``limit``); None when absent, a link or not a file."""
    try:
        fd = os.open(name, O_FILE, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks, left = [], limit + 1
        while left > 0:
            data = os.read(fd, min(left, 1 << 20))
            if not data:
                break
            chunks.append(data)
            left -= len(data)
        data = b''.join(chunks)
        return None if len(data) > limit else data
    except OSError:
        return None
    finally:
        os.close(fd)


class AtomicFile(object):
    """The one atomic write of labfleet.zoo: ``with AtomicFile(dir_fd, name) as out: out.write(...)`` makes ``name``
    in ``dir_fd`` appear complete or not at all (or :meth:`open`, then :meth:`commit` or :meth:`discard`).

    The bytes go to a new temporary file beside it (``O_EXCL | O_NOFOLLOW``: never an existing file, never through
    a link; ``hidden`` starts its name with a dot), made with ``mode`` whatever the umask. :meth:`commit` flushes
    and fsyncs it, sets ``attrs`` through its descriptor, then renames it over ``name`` by descriptor (a link or a
    file there is replaced, never followed); :meth:`discard` (or any error) unlinks it and changes nothing else.
    """

    def __init__(self, dir_fd, name, mode=0o644, attrs=None, hidden=False):
        self.dir_fd, self.name, self.mode, self.attrs = dir_fd, name, mode, attrs
        self.tmp = ('.%s.%s.tmp' if hidden else '%s.%s.tmp') % (name, secrets.token_hex(4))
        self._out = None

    def open(self):
        """The temporary file, open for writing (binary)."""
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | O_CLOEXEC, self.mode,
                     dir_fd=self.dir_fd)
        try:
            os.fchmod(fd, self.mode)
            self._out = os.fdopen(fd, 'wb')
        except BaseException:
            os.close(fd)
            self.discard()
            raise
        return self._out

    def commit(self):
        """Put the complete file in place of ``name``."""
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            if self.attrs:
                fix_attrs(self._out.fileno(), self.attrs)
            self._out.close()
            os.rename(self.tmp, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        except BaseException:
            self.discard()
            raise

    def discard(self):
        """Drop the temporary file (again and again, harmlessly)."""
        try:
            if self._out is not None:
                self._out.close()
        except OSError:
            pass
        try:
            os.unlink(self.tmp, dir_fd=self.dir_fd)
        except OSError:
            pass

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.discard()
        return False


def write_atomic(dir_fd, name, data, mode=0o644, attrs=None):
    """Write the bytes ``data`` as ``name`` in ``dir_fd`` through :class:`AtomicFile`."""
    with AtomicFile(dir_fd, name, mode, attrs) as out:
        out.write(data)


def make_dir(dir_fd, prefix, mode=0o755):
    """A new folder ``<prefix><random>`` in ``dir_fd``, made by us: (name, descriptor)."""
    for _attempt in range(100):
        name = prefix + secrets.token_hex(4)
        try:
            os.mkdir(name, mode, dir_fd=dir_fd)
        except FileExistsError:
            continue
        fd = open_dir(dir_fd, name)
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():  # swapped for someone else's folder between mkdir and open
            os.close(fd)
            raise OSError(errno.EPERM, 'the folder %s was replaced while it was being made' % name)
        os.fchmod(fd, mode)  # whatever the umask
        return name, fd
    raise OSError(errno.EEXIST, 'no free name for a folder starting with %s' % prefix)


def rename(src_fd, src, dst_fd, dst):
    """Rename without following links; fails rather than replace an existing ``dst``."""
    if lstat(dst_fd, dst) is not None:
        raise FileExistsError(errno.EEXIST, 'already exists', dst)
    os.rename(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)


class Attrs(object):
    """Wanted owner/group of every entry and mode of regular files; ``file_mode(st)`` -> int or None."""

    def __init__(self, uid=None, gid=None, file_mode=None, dir_mode=0o755):
        self.uid, self.gid, self.file_mode, self.dir_mode = uid, gid, file_mode, dir_mode

    def __bool__(self):
        return self.uid is not None or self.gid is not None or self.file_mode is not None


def fix_attrs(fd, attrs, check_mode=False, is_dir=False):
    """Bring the entry open as ``fd`` to ``attrs``; True when something differs (changed, unless check mode).

    Refuses a regular file with several hard links (in check mode too, as the real run would): it may be a file
    from anywhere, linked in by its owner.
    """
    st = os.fstat(fd)
    uid = st.st_uid if attrs.uid is None else attrs.uid
    gid = st.st_gid if attrs.gid is None else attrs.gid
    mode = attrs.dir_mode if is_dir else attrs.file_mode(st) if attrs.file_mode else None
    changed = False
    if (uid, gid) != (st.st_uid, st.st_gid):
        changed = True
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        changed = True
    if not changed:
        return False
    if not is_dir and st.st_nlink != 1:
        raise OSError(errno.EMLINK, 'has %d hard links: its owner and mode are left alone' % st.st_nlink)
    if check_mode:
        return True
    if (uid, gid) != (st.st_uid, st.st_gid):
        os.fchown(fd, uid, gid)
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        os.fchmod(fd, mode)
    return True


def open_entry(dir_fd, name, is_dir):
    """A descriptor of the real folder or regular file ``name``; OSError when it is anything else."""
    if is_dir:
        return open_dir(dir_fd, name)
    fd = os.open(name, O_FILE, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, 'not a regular file')
    return fd


def fix_attrs_at(dir_fd, name, attrs, check_mode=False, is_dir=False):
    """:func:`fix_attrs` on the real folder or regular file ``name`` of ``dir_fd``, opened without following links."""
    fd = open_entry(dir_fd, name, is_dir)
    try:
        return fix_attrs(fd, attrs, check_mode, is_dir)
    finally:
        os.close(fd)


def remove_tree(dir_fd, name, mine=None):
    """Delete the folder ``name`` of ``dir_fd`` and what it holds, without recursion and without following links.

    Only entries owned by this process's user are deleted (``mine(rel, st)``, when given, decides instead).
    Returns the relative paths left in place (an empty list when the folder is gone).
    """
    mine = mine or (lambda rel, st: st.st_uid == os.geteuid())
    kept = []
    top = lstat(dir_fd, name)
    if top is None:
        return kept
    if not stat.S_ISDIR(top.st_mode) or not mine('', top):
        return ['']
    # Depth-first, one descriptor per level: each frame is (fd, rel, iterator of names, anything kept).
    stack = [(open_dir(dir_fd, name), '', None, [False])]
    try:
        while stack:
            fd, rel, names, held = stack[-1]
            if names is None:
                names = iter(sorted(os.listdir(fd)))
                stack[-1] = (fd, rel, names, held)
            entry = next(names, None)
            if entry is None:
                stack.pop()
                os.close(fd)
                parent_fd = stack[-1][0] if stack else dir_fd
                last = rel.rsplit('/', 1)[-1] if rel else name
                if held[0]:
                    if stack:
                        stack[-1][3][0] = True
                    kept.append(rel)
                    continue
                try:
                    os.rmdir(last, dir_fd=parent_fd)
                except OSError:
                    kept.append(rel)
                    if stack:
                        stack[-1][3][0] = True
                continue
            child = entry if not rel else rel + '/' + entry
            st = lstat(fd, entry)
            if st is None:
                continue
            if not mine(child, st):
                kept.append(child)
                held[0] = True
            elif stat.S_ISDIR(st.st_mode):
                if len(stack) >= MAX_DEPTH + 2:
                    kept.append(child)
                    held[0] = True
                    continue
                stack.append((open_dir(fd, entry), child, None, [False]))
            else:
                os.unlink(entry, dir_fd=fd)
    finally:
        for frame in stack:
            os.close(frame[0])
    return kept


def _fixed_mode(bits):
    def file_mode(_st):
        return bits
    return file_mode


def _symbolic_mode(symbolic, text_mode):
    def file_mode(st):
        return symbolic(st, text_mode) & 0o777
    return file_mode


def attrs_from(owner=None, group=None, mode=None, symbolic=None):
    """Attrs from task options: user/group names or ids; mode octal (int or text) or symbolic, resolved per file
    by ``symbolic(stat_result, text)`` (AnsibleModule's own parser, passed in by the module)."""
    import grp
    import pwd
    from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

    def ident(value, lookup, what):
        if value is None or value == '':
            return None
        text_value = str(value)
        if text_value.isdigit():
            return int(text_value)
        try:
            return lookup(text_value)
        except KeyError:
            raise ZooError('%s %r does not exist on this host' % (what, text_value))

    uid = ident(owner, lambda n: pwd.getpwnam(n).pw_uid, 'owner')
    gid = ident(group, lambda n: grp.getgrnam(n).gr_gid, 'group')
    file_mode = None
    if mode is not None and mode != '':
        if isinstance(mode, int) or str(mode).isdigit():
            bits = mode if isinstance(mode, int) else int(str(mode), 8)
            if bits & ~0o777:
                raise ZooError('mode %r sets bits other than rwx (setuid, setgid, sticky): refused for the files labfleet.zoo writes'
                               % mode)
            file_mode = _fixed_mode(bits)
        elif symbolic is None:
            raise ZooError('mode %r is not an octal mode' % mode)
        else:
            file_mode = _symbolic_mode(symbolic, str(mode))
            try:
                file_mode(os.stat('/'))
            except ValueError as e:
                raise ZooError('mode %r is not a valid mode: %s' % (mode, e))
    return Attrs(uid, gid, file_mode)


def open_parent(path, create=False, max_links=40):
    """(descriptor of the folder holding ``path``, last component), resolved from ``/`` one component at a time.

    A link is followed only when root or this process's user made it (``/home`` -> ``/data/home``, an admin's
    link); a link another user planted anywhere on the way is refused (OSError ELOOP), as the kernel's
    ``protected_symlinks`` does in sticky folders. ``create`` makes missing folders (mode 0755) on the way.
    """
    if not os.path.isabs(path):
        raise OSError(errno.EINVAL, 'not an absolute path', path)
    pending = [p for p in path.split('/') if p not in ('', '.')]
    if not pending:
        raise OSError(errno.EINVAL, 'no last component', path)
    last = pending.pop()
    fd = os.open('/', O_DIR)
    chain = []  # descriptors of the folders above fd, for '..'
    links = 0
    try:
        while pending:
            name = pending.pop(0)
            if name == '..':
                if chain:
                    os.close(fd)
                    fd = chain.pop()
                continue
            st = lstat(fd, name)
            if st is None and create:
                try:
                    os.mkdir(name, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
                st = lstat(fd, name)
            if st is not None and stat.S_ISLNK(st.st_mode):
                links += 1
                if st.st_uid not in (0, os.geteuid()) or links > max_links:
                    raise OSError(errno.ELOOP, 'a link made by another user (uid %d) is not followed' % st.st_uid,
                                  name)
                target = os.readlink(name, dir_fd=fd)
                if target.startswith('/'):
                    for old in chain:
                        os.close(old)
                    chain = []
                    os.close(fd)
                    fd = os.open('/', O_DIR)
                pending[:0] = [p for p in target.split('/') if p not in ('', '.')]
                continue
            below = open_dir(fd, name)
            chain.append(fd)
            fd = below
        return fd, last
    except BaseException:
        os.close(fd)
        raise
    finally:
        for old in chain:
            os.close(old)
