#!/usr/bin/env python
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provision the lab: run playbooks/provision.yml with this checkout's ansible.cfg, from any directory.

    python tools/teacher/provision.py                          this machine as a student PC (inventory/localhost.yml)
    python tools/teacher/provision.py -i inventory/lab         the whole lab
    python tools/teacher/provision.py -i inventory/lab --check --diff
    python tools/teacher/provision.py playbooks/reprovision.yml -i inventory/lab --limit pc07
    python tools/teacher/provision.py --demo                   offline: a synthetic zoo on 127.0.0.1, workspace in .cache/demo

Every argument it does not know goes to ansible-playbook as is; a first argument ending in .yml picks the playbook.
The exit status is ansible-playbook's. Repository-only: it runs this checkout's playbooks (make provision, make demo).

The demo serves synthetic archives of the workstation role's default models (read from
roles/workstation/defaults/main.yml, both profiles) as the lab mirror: nothing is downloaded from the internet.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if __name__ == '__main__':  # run as a script: the checkout's collection link (make venv) makes the imports below work
    sys.path.insert(0, str(REPO / 'collections'))

from ansible_collections.labfleet.zoo.tools.fixtures.checkout import ansible_env, ansible_executable  # noqa: E402

PLAYBOOK = REPO / 'playbooks' / 'provision.yml'
DEMO_CACHE = REPO / '.cache'
DEMO_SIZE = 2 * 1024 * 1024


def demo_paths(cache=DEMO_CACHE):
    """(synthetic zoo folder, workspace root) of the demo under ``cache``."""
    cache = Path(cache)
    return cache / 'zoo', cache / 'demo' / 'tod_tf2'


def ansible_playbook():
    """The ansible-playbook beside this Python (the project venv), else the one on PATH."""
    found = ansible_executable('ansible-playbook')
    if not found:
        sys.exit('provision.py: ansible-playbook not found; run `make venv` and use .venv/bin/python')
    return found


def command(args):
    """The ansible-playbook command line for ``args`` (the arguments provision.py does not handle itself)."""
    playbook = PLAYBOOK
    if args and args[0].endswith(('.yml', '.yaml')) and not args[0].startswith('-'):
        playbook = Path(args[0]).resolve()
        args = args[1:]
    return [ansible_playbook(), str(playbook)] + list(args)


def run(cmd, extra_env=None):
    print('+ ' + ' '.join(cmd), file=sys.stderr, flush=True)
    return subprocess.call(cmd, cwd=str(REPO), env=ansible_env(**(extra_env or {})))


def build_zoo(root, models, size):
    """The synthetic archives of ``models`` in ``root``, built once and reused by later demos."""
    from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive
    root.mkdir(parents=True, exist_ok=True)
    for key in models:
        if not (root / (key + '.tar.gz')).is_file():
            build_archive(root, key, size=size)
    return root


def demo(args, size, cache=DEMO_CACHE):
    """Offline demo: serve the synthetic zoo on 127.0.0.1 and provision this machine into <cache>/demo/tod_tf2.

    The zoo holds the role's default models of every profile (this machine may be a PC or a Pi), read from the role's
    defaults: a changed default is served too (tests/integration/test_demo.py runs the demo with the internet cut).
    """
    from ansible_collections.labfleet.zoo.tools.fixtures.checkout import default_models
    from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer
    zoo, root = demo_paths(cache)
    build_zoo(zoo, default_models(), size)
    server = ZooServer(zoo)
    server.start()
    try:
        print('provision.py --demo: synthetic zoo %s served at %s' % (zoo, server.url), flush=True)
        extra = {'workstation_mirrors': [server.url], 'workstation_root': str(root)}
        status = run(command(list(args) + ['-e', json.dumps(extra)]))
    finally:
        server.stop()
    if status == 0:
        print('\nprovision.py --demo: the workspace is in %s:' % root)
        for path in sorted(root.rglob('*')):
            rel = path.relative_to(root)
            if any(part.startswith('.') for part in rel.parts):
                continue
            if (path.is_dir() and len(rel.parts) <= 3) or path.name in ('pipeline.config', 'label_map.pbtxt'):
                print('  %s%s' % (rel, '/' if path.is_dir() else ''))
        print('Rerun it: it reports changed=0. Remove it: make clean.')
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Run playbooks/provision.yml (the whole lab, or this machine by default). '
                    'Other arguments go to ansible-playbook.',
        epilog='Example: python tools/teacher/provision.py -i inventory/lab --check --diff')
    parser.add_argument('--demo', action='store_true',
                        help='offline: serve a synthetic zoo on 127.0.0.1 and provision this machine into '
                             '.cache/demo/tod_tf2 (never your home folder)')
    parser.add_argument('--demo-size', type=int, default=DEMO_SIZE, metavar='BYTES',
                        help='size of each synthetic archive of --demo (default %(default)s)')
    parser.add_argument('--demo-cache', type=Path, default=DEMO_CACHE, metavar='DIR',
                        help='folder of the --demo zoo (DIR/zoo) and workspace (DIR/demo/tod_tf2) (default .cache)')
    args, rest = parser.parse_known_args(argv)
    if args.demo:
        return demo(rest, args.demo_size, args.demo_cache)
    return run(command(rest))


if __name__ == '__main__':
    sys.exit(main())
