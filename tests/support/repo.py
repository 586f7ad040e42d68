"""The checkout as the tests see it: where it is, how a child Python imports the collection, the role defaults.

``PC_MODEL`` and ``PI_MODEL`` are the workstation role's default models (roles/workstation/defaults/main.yml,
read through tools/fixtures/checkout.py): a test that means "the default PC model" uses the constant, never a copy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ansible_collections.labfleet.zoo.tools.fixtures.checkout import REPO, default_models

BIN = Path(sys.executable).parent            # the venv's ansible, ansible-playbook, ansible-doc
OUTPUT = REPO / 'tests' / 'output'           # what the tests keep for people (timings, screenshots, pages)
# The folder this package was imported from, above ansible_collections/ (not resolved: under plain pytest it is the
# checkout's collections/, under ansible-test the copy's parent). A child Python imports the collection from there.
IMPORT_ROOT = Path(__file__).parents[5]
KILL_CHILD = 'ansible_collections.labfleet.zoo.tests.support.kill_child'

PC_MODEL = default_models('pc')[0]
PI_MODEL = default_models('pi')[0]


def python_env(**extra):
    """The environment of a child Python that imports ``ansible_collections.labfleet.zoo`` as this process does."""
    paths = [str(IMPORT_ROOT)] + ([os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    env.update(extra)
    return env
