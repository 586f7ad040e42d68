"""playbooks/report.yml on this machine (local connection), after provisioning it with the activity layout.

The training-folders cell names each project with its model (the layout's folders come from the
labfleet.zoo.workspace_paths filter, so the page is right for either layout); the words of the page come from the
labfleet.zoo.vocabulary lookup. tests/report checks the whole page in Chromium on an SSH lab (capsules layout).
"""

from __future__ import annotations

import html
import json
import re
import subprocess

import pytest
import yaml

from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary
from ansible_collections.labfleet.zoo.tests.support.repo import BIN, REPO
from ansible_collections.labfleet.zoo.tests.support.runner import env as ansible_env

pytestmark = pytest.mark.slow

DEFAULTS = yaml.safe_load((REPO / 'roles' / 'workstation' / 'defaults' / 'main.yml').read_text())
PC_MODEL, = DEFAULTS['workstation_models_pc']
PROJECT = DEFAULTS['workstation_projects'][0]['name']


def playbook(name, **extra_vars):
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(REPO / 'inventory' / 'localhost.yml'),
                           str(REPO / 'playbooks' / name), '-e', json.dumps(extra_vars)],
                          cwd=str(REPO), env=ansible_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope='module')
def page(zoo, tmp_path_factory):
    root = tmp_path_factory.mktemp('report_localhost') / 'tod_tf2'
    common = dict(workstation_root=str(root), workstation_layout='activity')
    playbook('provision.yml', workstation_mirrors=[zoo.server.url], **common)
    (root / PROJECT / 'training' / PC_MODEL / 'pipeline.config').unlink()  # one folder not ready
    out = root.parent / 'lab-report.html'
    playbook('report.yml', report_output=str(out), **common)
    return out.read_text()


def cells(text, attribute):
    return [(html.unescape(value), re.sub(r'\s+', ' ', html.unescape(body)).strip())
            for value, body in re.findall(r'<div[^>]* %s="([^"]*)"[^>]*>(.*?)</div>' % attribute, text)]


def test_training_cell_names_the_project_and_the_model(page):
    assert cells(page, 'data-training') == [('%s/%s' % (PROJECT, PC_MODEL),
                                             '✗ %s · Faster R-CNN ResNet50 V1 640x640' % PROJECT)]
    assert '0/1 ready' in page
    assert 'Training folder not ready (no pipeline.config): %s/training/%s' % (PROJECT, PC_MODEL) in html.unescape(page)


def test_model_state_and_last_run_words(page):
    assert 'data-state="{0}">✓ {0}</span>'.format(_vocabulary.INTACT) in page
    assert '✓ ok</span>' in page and re.search(r'\b1 %s\b' % _vocabulary.INSTALLED, page)
