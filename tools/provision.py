#!/usr/bin/env python
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provision the lab: run playbooks/provision.yml with this checkout's ansible.cfg, from any directory.

    python tools/provision.py                          this machine as a student PC (inventory/localhost.yml)
    python tools/provision.py -i inventory/lab         the whole lab
    python tools/provision.py -i inventory/lab --check --diff
    python tools/provision.py playbooks/reprovision.yml -i inventory/lab --limit pc07
    python tools/provision.py --demo                   offline: a synthetic zoo on 127.0.0.1, workspace in .cache/demo

Every argument it does not know goes to ansible-playbook as is; a first argument ending in .yml picks the playbook.
The exit status is ansible-playbook's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAYBOOK = REPO / 'playbooks' / 'provision.yml'
DEMO_ZOO = REPO / '.cache' / 'zoo'
DEMO_ROOT = REPO / '.cache' / 'demo' / 'tod_tf2'
# The models the default inventory (this machine as a student PC) gets with the role's defaults.
DEMO_MODELS = ('faster_rcnn_resnet50_v1_640x640_coco17_tpu-8',)
DEMO_SIZE = 2 * 1024 * 1024


def ansible_playbook():
    """The ansible-playbook beside this Python (the project venv), else the one on PATH."""
    here = Path(sys.executable).parent / 'ansible-playbook'
    found = str(here) if here.exists() else shutil.which('ansible-playbook')
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
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'))
    env.update(extra_env or {})
    print('+ ' + ' '.join(cmd), file=sys.stderr, flush=True)
    return subprocess.call(cmd, cwd=str(REPO), env=env)


def build_zoo(root, models, size):
    """The synthetic archives of ``models`` in ``root``, built once and reused by later demos."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthetic_zoo import build_archive
    root.mkdir(parents=True, exist_ok=True)
    for key in models:
        if not (root / (key + '.tar.gz')).is_file():
            build_archive(root, key, size=size)
    return root


def demo(args, size):
    """Offline demo: serve the synthetic zoo on 127.0.0.1 and provision this machine into .cache/demo/tod_tf2."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from zoo_server import ZooServer
    build_zoo(DEMO_ZOO, DEMO_MODELS, size)
    server = ZooServer(DEMO_ZOO)
    server.start()
    try:
        print('provision.py --demo: synthetic zoo %s served at %s' % (DEMO_ZOO, server.url), flush=True)
        extra = {'workstation_mirrors': [server.url], 'workstation_root': str(DEMO_ROOT)}
        status = run(command(list(args) + ['-e', json.dumps(extra)]))
    finally:
        server.stop()
    if status == 0:
        print('\nprovision.py --demo: the workspace is in %s:' % DEMO_ROOT)
        for path in sorted(DEMO_ROOT.rglob('*')):
            rel = path.relative_to(DEMO_ROOT)
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
        epilog='Example: python tools/provision.py -i inventory/lab --check --diff')
    parser.add_argument('--demo', action='store_true',
                        help='offline: serve a synthetic zoo on 127.0.0.1 and provision this machine into '
                             '.cache/demo/tod_tf2 (never your home folder)')
    parser.add_argument('--demo-size', type=int, default=DEMO_SIZE, metavar='BYTES',
                        help='size of each synthetic archive of --demo (default %(default)s)')
    args, rest = parser.parse_known_args(argv)
    if args.demo:
        return demo(rest, args.demo_size)
    return run(command(rest))


if __name__ == '__main__':
    sys.exit(main())
