#!/usr/bin/env python
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's lock file (.zoo.lock.yml, kept with the inventory): what is pinned, and what changed upstream since.

    python tools/teacher/zoo_lock.py show  [--lock inventory/lab/.zoo.lock.yml]
    python tools/teacher/zoo_lock.py check [--lock inventory/lab/.zoo.lock.yml] [--catalog]

``check`` asks upstream for every pinned archive's headers only (HEAD: size, ETag, Last-Modified; nothing is
downloaded) and compares them with what was recorded at the first download. Exit status: 0 nothing changed,
1 some archive changed upstream, 2 some URL could not be checked. With ``--catalog`` it also lists the catalog's
models that are not pinned, with their size upstream.

Accepting a change is deliberate: run the playbook with ``-e mirror_lock_refresh=true`` (every archive), or delete
the model's entry from the lock file and run it again (that model only).

Repository-only: it runs from a checkout (after make venv), not from an installed collection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
if __name__ == '__main__':  # run as a script: the checkout's collection link (make venv) makes the imports below work
    sys.path.insert(0, str(REPO / 'collections'))

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog  # noqa: E402
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError  # noqa: E402
from ansible_collections.labfleet.zoo.plugins.plugin_utils import _lock  # noqa: E402

DEFAULT_LOCK = REPO / 'inventory' / 'lab' / '.zoo.lock.yml'


def head(session, url, timeout):
    """(size or None, ETag, Last-Modified) of ``url``, following redirects."""
    resp = session.head(url, allow_redirects=True, timeout=timeout)
    resp.raise_for_status()
    length = resp.headers.get('Content-Length')
    return (int(length) if length and length.isdigit() else None,
            resp.headers.get('ETag'), resp.headers.get('Last-Modified'))


def check(models, timeout, catalog=False, out=sys.stdout):
    status = 0
    with requests.Session() as session:
        for model in sorted(models):
            entry = models[model]
            try:
                size, etag, last_modified = head(session, entry['url'], timeout)
            except requests.RequestException as e:
                print('%-50s ERROR  %s: %s' % (model, entry['url'], e), file=out)
                status = max(status, 2)
                continue
            changes = _lock.changes(entry, size, etag, last_modified)
            if changes:
                print('%-50s CHANGED upstream since %s: %s (pinned sha256 %s)'
                      % (model, entry.get('recorded'), '; '.join(changes), entry['sha256']), file=out)
                status = max(status, 1)
            elif not (entry.get('etag') or entry.get('last_modified')):
                print('%-50s same size (no ETag/Last-Modified recorded to compare)' % model, file=out)
            else:
                print('%-50s unchanged' % model, file=out)
        if catalog:
            for entry in _catalog.MODELS:
                if entry['key'] in models:
                    continue
                try:
                    size = head(session, entry['url'], timeout)[0]
                except requests.RequestException as e:
                    print('%-50s not pinned; ERROR %s' % (entry['key'], e), file=out)
                    status = max(status, 2)
                    continue
                print('%-50s not pinned; %s bytes upstream' % (entry['key'], '?' if size is None else size), file=out)
    return status


def show(models, out=sys.stdout):
    if not models:
        print('nothing pinned yet: the mirror records each archive at its first download', file=out)
        return 0
    for model in sorted(models):
        entry = models[model]
        print('%-50s %12s bytes  sha256 %s  recorded %s\n%50s %s'
              % (model, '{:,}'.format(entry['size']), entry['sha256'], entry.get('recorded'), '', entry.get('url')),
              file=out)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('command', choices=('show', 'check'))
    parser.add_argument('--lock', type=Path, default=DEFAULT_LOCK, help='the lock file (default: %(default)s)')
    parser.add_argument('--catalog', action='store_true', help='check: also list the catalog models not pinned')
    parser.add_argument('--timeout', type=float, default=20, help='seconds per request (default: %(default)s)')
    args = parser.parse_args(argv)
    try:
        models = _lock.read(str(args.lock))
    except ZooError as e:
        print('zoo_lock.py: %s' % e, file=sys.stderr)
        return 2
    if args.command == 'show':
        return show(models)
    if not models and not args.catalog:
        print('zoo_lock.py: %s pins nothing yet' % args.lock, file=sys.stderr)
        return 0
    return check(models, args.timeout, catalog=args.catalog)


if __name__ == '__main__':
    sys.exit(main())
