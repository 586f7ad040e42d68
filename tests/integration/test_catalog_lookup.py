"""The labfleet.zoo.catalog lookup, run for real by the ``ansible`` command of this interpreter's venv."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.repo import BIN

ANSIBLE = str(BIN / 'ansible')

SSD_TFLITE = [
    'ssd_mobilenet_v2_320x320_coco17_tpu-8',
    'ssd_mobilenet_v1_fpn_640x640_coco17_tpu-8',
    'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8',
    'ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8',
    'ssd_resnet50_v1_fpn_640x640_coco17_tpu-8',
    'ssd_resnet50_v1_fpn_1024x1024_coco17_tpu-8',
    'ssd_resnet101_v1_fpn_640x640_coco17_tpu-8',
    'ssd_resnet101_v1_fpn_1024x1024_coco17_tpu-8',
    'ssd_resnet152_v1_fpn_640x640_coco17_tpu-8',
    'ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8',
]


def run_debug(msg):
    """``ansible localhost -m ansible.builtin.debug -a msg=...`` with the checkout's collections (ansible.cfg's
    inventory, the default output, stderr merged); (rc, output)."""
    run = runner.adhoc('msg=%s' % msg, module='ansible.builtin.debug', inventory=None, stdout_callback='default',
                       merge=True, timeout=120)
    return run.rc, run.stdout


def _result(output):
    """The JSON result printed after ``localhost | SUCCESS => ``."""
    return json.loads(output.split('=>', 1)[1])


def test_ansible_executable_is_next_to_python():
    assert os.access(ANSIBLE, os.X_OK), ANSIBLE


def test_filters_return_matching_entries():
    rc, out = run_debug("{{ lookup('labfleet.zoo.catalog', family='ssd', tflite='yes') | map(attribute='key') | list }}")
    assert rc == 0, out
    assert 'localhost | SUCCESS' in out
    assert _result(out)['msg'] == SSD_TFLITE


def test_one_term_returns_its_entry():
    rc, out = run_debug("{{ lookup('labfleet.zoo.catalog', 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8') }}")
    assert rc == 0, out
    entry = _result(out)['msg']
    assert entry['key'] == 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'
    assert entry['archive_size'] == 211996178
    assert entry['top_dir'] == entry['key']


def test_no_terms_no_filters_returns_all():
    rc, out = run_debug("{{ lookup('labfleet.zoo.catalog', wantlist=True) | length }}")
    assert rc == 0, out
    assert _result(out)['msg'] == 43


@pytest.mark.parametrize('term,expected', [
    ("'ssd_mobilenet_v2_320x320'",
     "unknown model 'ssd_mobilenet_v2_320x320': closest catalog names: ssd_mobilenet_v2_320x320_coco17_tpu-8"),
    ("'../x'", "invalid model name '../x'"),
], ids=['unknown-key', 'path-like'])
def test_bad_term_fails_with_the_catalog_message(term, expected):
    rc, out = run_debug("{{ lookup('labfleet.zoo.catalog', %s) }}" % term)
    assert rc != 0, out
    assert 'localhost | FAILED!' in out
    assert "The lookup plugin 'labfleet.zoo.catalog' failed" in out
    assert expected in out
