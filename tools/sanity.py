#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ``ansible-test sanity`` (and optionally ``ansible-test units``) on a copy of this checkout.

ansible-test needs the collection at ``.../ansible_collections/labfleet/zoo/`` and resolves symlinks, so the in-tree
link ``collections/ansible_collections/labfleet/zoo`` is not enough. This script:

1. copies the collection (``git ls-files`` plus untracked files that are not ignored, or without git a walk that
   skips the same build outputs and caches; minus ``collections/``, ``.venv``, ``.cache`` and ``tests/output``)
   into ``<root>/ansible_collections/labfleet/zoo/`` (default root: ``.cache/ansible-test`` in the checkout; the
   copy is rebuilt from scratch on every run and gets an empty git repository of its own, so that ansible-test
   lists the copied files and not the checkout's);
2. writes a stand-in for the pip bootstrap script that ansible-test would otherwise download from a host these
   machines cannot reach, at the path ansible-test looks for (``~/.ansible/test/cache/get_pip_<version>.py``, the
   version read from ansible-test itself): it bootstraps pip with ``ensurepip`` then ``pip install``s the requested
   packages from the package registry, with ``--cert /etc/ssl/certs/ca-certificates.crt`` when that file exists
   (ansible-test strips pip's settings from the environment);
3. runs ``ansible-test sanity --local --python <version>`` there (then, with ``--units``, ``ansible-test units --venv
   --python <version>``: ansible-test's unit test requirements go into a virtual environment of its own).

The exit status is ansible-test's (sanity's when it fails, else units'). Extra arguments after ``--`` go to
``ansible-test sanity`` (e.g. ``tools/sanity.py -- --test pep8``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAMESPACE, NAME = 'labfleet', 'zoo'
# Top-level paths (and one nested one) that are never part of the collection copy.
EXCLUDED = ('collections', '.venv', '.cache', '.git', 'tests/output')
CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

GET_PIP_STAND_IN = '''\
"""Stand-in for get-pip.py, written by labfleet.zoo tools/sanity.py (ansible-test cannot download the real one here).

ansible-test runs it inside a fresh virtual environment as: get_pip.py [pip options] pip==X.Y [--no-setuptools]
[--no-wheel]. It bootstraps pip with ensurepip, then installs the requested packages from the package registry.
"""

import ensurepip
import os
import subprocess
import sys

CA_BUNDLE = %(ca_bundle)r
DROPPED = ('--no-setuptools', '--no-wheel')


def main():
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    command = [sys.executable, '-m', 'pip', 'install']
    if os.path.exists(CA_BUNDLE):
        command += ['--cert', CA_BUNDLE]
    command += args
    sys.stderr.write('get-pip stand-in: %%s\\n' %% ' '.join(command))
    sys.exit(subprocess.call(command))


if __name__ == '__main__':
    main()
'''


def log(msg):
    print('[sanity.py] %s' % msg, file=sys.stderr, flush=True)


def have_git(repo):
    """True when git is installed and ``repo`` is a git checkout (CI may ship a plain copy without .git)."""
    if not shutil.which('git'):
        return False
    return subprocess.run(['git', 'rev-parse', '--is-inside-work-tree'], cwd=str(repo), capture_output=True,
                          check=False).returncode == 0


def excluded(rel):
    return any(rel == ex or rel.startswith(ex + '/') for ex in EXCLUDED)


def git_files(repo):
    """Tracked + untracked-but-not-ignored files, as git sees them."""
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                         cwd=str(repo), check=True, capture_output=True).stdout.decode('utf-8')
    return [rel for rel in out.split('\0') if rel]


def walked_files(repo):
    """Without git: every file, minus what .gitignore ignores in this project (build outputs, caches, bytecode)."""
    skip_dirs = {'__pycache__', '.pytest_cache', 'build', 'dist'}
    files = []
    for root, dirs, names in os.walk(str(repo)):
        rel_root = os.path.relpath(root, str(repo))
        rel_root = '' if rel_root == '.' else rel_root + '/'
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs and not excluded(rel_root + d))
        for name in names:
            rel = rel_root + name
            if name.endswith('.pyc') or (name.endswith('.tar.gz') and not rel.startswith('tests/fixtures/')):
                continue
            files.append(rel)
    return files


def collection_files(repo, use_git):
    """Relative paths of the collection's files, minus the excluded ones."""
    files = set()
    for rel in (git_files(repo) if use_git else walked_files(repo)):
        if excluded(rel):
            continue
        path = repo / rel
        # Deleted but still in the index: skip. Symlinks are copied as links (none expected outside collections/).
        if path.is_file() or path.is_symlink():
            files.add(rel)
    return sorted(files)


def copy_collection(repo, root):
    dest = root / 'ansible_collections' / NAMESPACE / NAME
    if dest.exists():
        shutil.rmtree(str(dest))
    dest.mkdir(parents=True)
    use_git = have_git(repo)
    files = collection_files(repo, use_git)
    for rel in files:
        src, dst = repo / rel, dest / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(str(src)), str(dst))
        else:
            shutil.copy2(str(src), str(dst))
    # ansible-test lists the content with git when it finds a .git directory in the collection or ANY parent (here:
    # the checkout itself, where .cache/ is ignored, so it would see no files at all). A repository of its own in the
    # copy makes ansible-test list exactly the copied files (untracked, not ignored), wherever --root is.
    if shutil.which('git'):
        subprocess.run(['git', 'init', '-q', str(dest)], check=True)
    else:
        parents_with_git = [str(p) for p in dest.parents if (p / '.git').exists()]
        if parents_with_git:
            raise SystemExit('sanity.py: git is not installed and %s is inside the git checkout %s: ansible-test would '
                             'fail to list the files; install git or pass --root outside it'
                             % (dest, parents_with_git[0]))
    log('copied %d files (listed by %s) to %s' % (len(files), 'git' if use_git else 'a walk', dest))
    return dest


def pip_version_of_ansible_test(ansible_test):
    """The pip version ansible-test bootstraps in its venvs (``get_venv_packages``' default), read from its source."""
    python = Path(ansible_test).resolve().parent / 'python'
    code = ('import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), '
            '"_internal", "python_requirements.py"))')
    source = subprocess.run([str(python), '-c', code], check=True, capture_output=True, text=True).stdout.strip()
    match = re.search(r"default_packages\s*=\s*dict\(\s*pip='([0-9.]+)'", Path(source).read_text())
    if not match:
        raise SystemExit('sanity.py: cannot find the pip version in %s; update pip_version_of_ansible_test()' % source)
    return match.group(1)


def write_get_pip(pip_version):
    """Write the stand-in where ansible-test's requirements.py bootstrap() looks for its cached get-pip script."""
    path = Path(os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_')))
    path.parent.mkdir(parents=True, exist_ok=True)
    content = GET_PIP_STAND_IN % {'ca_bundle': CA_BUNDLE}
    if path.exists() and 'written by labfleet.zoo tools/sanity.py' not in path.read_text():
        log('keeping the existing pip bootstrap script %s (not ours: a real get-pip?)' % path)
        return path
    if not path.exists() or path.read_text() != content:
        tmp = path.with_suffix('.tmp')
        tmp.write_text(content)
        os.replace(str(tmp), str(path))
        log('wrote the get-pip stand-in %s' % path)
    return path


def run(cmd, cwd):
    log('running in %s: %s' % (cwd, ' '.join(cmd)))
    start = time.monotonic()
    status = subprocess.call(cmd, cwd=str(cwd))
    log('exit status %d after %.0fs: %s' % (status, time.monotonic() - start, ' '.join(cmd[:2])))
    return status


def default_ansible_test():
    beside = Path(sys.executable).parent / 'ansible-test'
    return str(beside if beside.exists() else REPO / '.venv' / 'bin' / 'ansible-test')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--root', type=Path, default=REPO / '.cache' / 'ansible-test',
                        help='where to create ansible_collections/%s/%s/ (default: .cache/ansible-test)'
                        % (NAMESPACE, NAME))
    parser.add_argument('--python', default='%d.%d' % sys.version_info[:2],
                        help='Python version for ansible-test --python (default: this interpreter, %(default)s)')
    parser.add_argument('--units', action='store_true', help='also run ansible-test units (in a venv of its own)')
    parser.add_argument('--no-sanity', action='store_true', help='skip ansible-test sanity (with --units)')
    parser.add_argument('--ansible-test', default=default_ansible_test(),
                        help='the ansible-test executable (default: next to this Python, else the project venv)')
    parser.add_argument('sanity_args', nargs='*', help='extra arguments for ansible-test sanity (after --)')
    args = parser.parse_args(argv)

    sanity_ignores = sorted(p.name for p in (REPO / 'tests' / 'sanity').glob('ignore*.txt'))
    if sanity_ignores:
        log('tests/sanity/ must have no ignore files, found: %s' % ', '.join(sanity_ignores))
        return 2

    write_get_pip(pip_version_of_ansible_test(args.ansible_test))
    dest = copy_collection(REPO, args.root.resolve())
    python = ['--python', args.python, '--color', 'no']

    status = 0
    if not args.no_sanity:
        # Each sanity test gets its own virtual environment from ansible-test anyway (~/.ansible/test/venv).
        status = run([args.ansible_test, 'sanity', '--local'] + python + args.sanity_args, dest)
    if args.units:  # even after a sanity failure: CI shows both results
        # --venv, not --local: ansible-test installs its unit test requirements (pytest-xdist, pytest-mock, ...) in a
        # virtual environment of its own instead of the project venv.
        # The collection's plugin unit tests; tests/unit/tools (project tools) run under pytest only.
        units_status = run([args.ansible_test, 'units', '--venv'] + python + ['tests/unit/plugins/'], dest)
        status = status or units_status
    return status


if __name__ == '__main__':
    sys.exit(main())
