# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/fixtures/synthetic_zoo.py: exact zoo layout, determinism, size, incompressibility, pipeline.config forms, cache."""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

import pytest

from ansible_collections.labfleet.zoo.tests.support.repo import REPO, python_env
from ansible_collections.labfleet.zoo.tests.support.trees import digest
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive, pipeline_config

TOOL = REPO / 'tools' / 'fixtures' / 'synthetic_zoo.py'
MiB = 1024 * 1024
FRCNN = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'   # catalog entries of two families (data, not the defaults)
SSD320 = 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'

# Every member of a zoo archive, relative to its top directory: 'd' directory, 'f' regular file.
LAYOUT = [
    ('', 'd'),
    ('checkpoint', 'd'),
    ('checkpoint/checkpoint', 'f'),
    ('checkpoint/ckpt-0.data-00000-of-00001', 'f'),
    ('checkpoint/ckpt-0.index', 'f'),
    ('pipeline.config', 'f'),
    ('saved_model', 'd'),
    ('saved_model/assets', 'd'),
    ('saved_model/saved_model.pb', 'f'),
    ('saved_model/variables', 'd'),
    ('saved_model/variables/variables.data-00000-of-00001', 'f'),
    ('saved_model/variables/variables.index', 'f'),
]
# The keys the course edits (domain.md); the reader keys are checked per section below.
TOP_LEVEL_KEYS = ['num_classes', 'batch_size', 'num_steps', 'fine_tune_checkpoint', 'fine_tune_checkpoint_type',
                  'use_bfloat16', 'max_number_of_boxes', 'max_detections_per_class', 'max_total_detections']
READERS = ['train_input_reader', 'eval_input_reader']


def _members(path):
    with tarfile.open(path, 'r:gz') as tar:
        return tar.getmembers()


def _section(text, name):
    """The body of the first block ``name { ... }`` (or ``name: { ... }``) in text, braces matched."""
    match = re.search(r'^\s*%s:?\s*\{' % re.escape(name), text, re.M)
    assert match, 'no %s block' % name
    depth, start = 1, match.end()
    for pos in range(start, len(text)):
        depth += {'{': 1, '}': -1}.get(text[pos], 0)
        if depth == 0:
            return text[start:pos]
    raise AssertionError('unbalanced braces after %s' % name)


def _has_key(text, key):
    return re.search(r'^\s*%s\s*:' % re.escape(key), text, re.M) is not None


def test_layout_is_exactly_the_zoo_layout(tmp_path):
    path = build_archive(tmp_path, FRCNN, size=256 * 1024)
    assert path == tmp_path / (FRCNN + '.tar.gz')
    members = _members(path)
    got = sorted((m.name, 'd' if m.isdir() else 'f' if m.isfile() else m.type) for m in members)
    assert got == sorted((FRCNN + '/' + rel if rel else FRCNN, kind) for rel, kind in LAYOUT)
    for member in members:
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, '', '')
        assert member.mode == (0o755 if member.isdir() else 0o644), member.name
    assert len({m.mtime for m in members}) == 1, 'one fixed mtime for every member'


def test_small_files_and_proportions(tmp_path):
    path = build_archive(tmp_path, FRCNN, size=4 * MiB)
    sizes = {m.name[len(FRCNN) + 1:]: m.size for m in _members(path) if m.isfile()}
    total = sum(sizes.values())
    with tarfile.open(path, 'r:gz') as tar:
        text = tar.extractfile(FRCNN + '/checkpoint/checkpoint').read()
    assert text == b'model_checkpoint_path: "ckpt-0"\nall_model_checkpoint_paths: "ckpt-0"\n'
    for big in ('checkpoint/ckpt-0.data-00000-of-00001', 'saved_model/variables/variables.data-00000-of-00001'):
        assert 0.45 <= sizes[big] / total <= 0.50, big
    assert 0.01 <= sizes['saved_model/saved_model.pb'] / total <= 0.06
    for small in ('checkpoint/ckpt-0.index', 'saved_model/variables/variables.index'):
        assert 0 < sizes[small] < 0.01 * total, small


def test_same_arguments_give_byte_identical_archives(tmp_path):
    one = build_archive(tmp_path / 'one', SSD320, size=512 * 1024, seed=3)
    two = build_archive(tmp_path / 'two', SSD320, size=512 * 1024, seed=3)
    assert digest(one) == digest(two) == archive_info(one)['sha256'] == archive_info(two)['sha256']
    assert archive_info(one)['size'] == one.stat().st_size
    with open(one, 'rb') as fh:
        assert fh.read(8)[4:8] == b'\0\0\0\0', 'gzip header mtime is 0'


@pytest.mark.parametrize('change', [dict(seed=4), dict(key='other_model')], ids=['seed', 'key'])
def test_seed_and_key_change_the_bytes(tmp_path, change):
    base = build_archive(tmp_path / 'base', SSD320, size=256 * 1024, seed=3)
    args = dict(key=SSD320, size=256 * 1024, seed=3, top_dir=SSD320, family='ssd')
    args.update(change)
    other = build_archive(tmp_path / 'other', **args)
    assert archive_info(base)['sha256'] != archive_info(other)['sha256']


@pytest.mark.parametrize('size', [1 * MiB, 8 * MiB], ids=['1M', '8M'])
def test_size_is_honoured_and_weights_are_incompressible(tmp_path, size):
    path = build_archive(tmp_path, FRCNN, size=size)
    file_bytes = sum(m.size for m in _members(path) if m.isfile())
    assert abs(file_bytes - size) <= 0.02 * size
    assert path.stat().st_size >= 0.98 * file_bytes
    assert abs(path.stat().st_size - size) <= 0.05 * size


def test_catalog_top_dir_family_and_unknown_keys(tmp_path):
    odd = build_archive(tmp_path, 'centernet_mobilenetv2fpn_512x512_coco17_od', size=128 * 1024)
    assert {m.name.split('/')[0] for m in _members(odd)} == {'centernet_mobilenetv2_fpn_od'}
    unknown = build_archive(tmp_path, 'not_in_catalog', size=128 * 1024)
    assert {m.name.split('/')[0] for m in _members(unknown)} == {'not_in_catalog'}
    with tarfile.open(unknown, 'r:gz') as tar:
        assert 'ssd {' in tar.extractfile('not_in_catalog/pipeline.config').read().decode()
    explicit = build_archive(tmp_path, 'x', size=128 * 1024, top_dir='y', family='faster_rcnn')
    with tarfile.open(explicit, 'r:gz') as tar:
        assert 'faster_rcnn {' in tar.extractfile('y/pipeline.config').read().decode()


def test_archive_pipeline_config_follows_the_catalog(tmp_path):
    for key, family, size in ((FRCNN, 'faster_rcnn', '640x640'), (SSD320, 'ssd', '320x320')):
        path = build_archive(tmp_path, key, size=128 * 1024)
        with tarfile.open(path, 'r:gz') as tar:
            text = tar.extractfile(key + '/pipeline.config').read().decode()
        assert text == pipeline_config(family, size)


@pytest.mark.parametrize('family', ['faster_rcnn', 'ssd', 'efficientdet', 'centernet', 'mask_rcnn'])
def test_pipeline_config_has_every_edited_key(family):
    text = pipeline_config(family, '640x640')
    assert re.search(r'^model\s*\{\s*%s\s*\{' % ('faster_rcnn' if family == 'faster_rcnn' else 'ssd'), text, re.M)
    for key in TOP_LEVEL_KEYS:
        assert _has_key(text, key), key
    for reader in READERS:
        body = _section(text, reader)
        assert _has_key(body, 'label_map_path') and _has_key(body, 'input_path'), reader
        assert _has_key(_section(body, 'tf_record_input_reader'), 'input_path'), reader
    assert _has_key(_section(text, 'train_config'), 'fine_tune_checkpoint_type')
    assert text.count('"PATH_TO_BE_CONFIGURED"') == 5


def test_faster_rcnn_is_the_commented_template():
    text = pipeline_config('faster_rcnn', '640x640')
    assert [line for line in text.splitlines() if line.lstrip().startswith('#')]
    assert 'first_stage' in text and 'second_stage' in text
    assert re.search(r'^\s*batch_size: 64$', text, re.M) and re.search(r'^\s*num_steps: 25000$', text, re.M)
    assert 'fine_tune_checkpoint_type: "classification"' in text and 'use_bfloat16: true' in text


@pytest.mark.parametrize('family', ['ssd', 'efficientdet'])
def test_other_families_are_generated_text_proto(family):
    text = pipeline_config(family, '320x320')
    assert '#' not in text
    assert re.search(r'^\s*batch_size: 128$', text, re.M)
    assert re.search(r'^\s*height: 320$', text, re.M) and re.search(r'^\s*width: 320$', text, re.M)
    depth = 0
    for line in text.splitlines():
        depth -= line.strip() == '}'
        assert line == '  ' * depth + line.lstrip(), 'text_format indents by 2 spaces: %r' % line
        depth += line.endswith('{')
    assert depth == 0


def test_input_size_reaches_the_resizer():
    text = pipeline_config('ssd', '640x640')
    assert re.search(r'^\s*height: 640$', text, re.M) and re.search(r'^\s*width: 640$', text, re.M)


def test_cache_is_reused_and_invalidated(tmp_path):
    path = build_archive(tmp_path, SSD320, size=256 * 1024)
    first = (path.stat().st_mtime_ns, path.stat().st_ino, archive_info(path)['sha256'])
    again = build_archive(tmp_path, SSD320, size=256 * 1024)
    assert (again.stat().st_mtime_ns, again.stat().st_ino, archive_info(again)['sha256']) == first
    rebuilt = build_archive(tmp_path, SSD320, size=256 * 1024, seed=1)
    assert archive_info(rebuilt)['sha256'] != first[2]
    assert archive_info(rebuilt)['sha256'] == digest(rebuilt)
    assert not [p for p in tmp_path.iterdir() if p.name not in (path.name, path.name + '.json')], 'no temp left'


def test_missing_sidecar_means_rebuild(tmp_path):
    path = build_archive(tmp_path, SSD320, size=128 * 1024)
    sha = archive_info(path)['sha256']
    Path(str(path) + '.json').unlink()
    path.write_bytes(b'truncated')
    assert digest(build_archive(tmp_path, SSD320, size=128 * 1024)) == sha


def test_memory_stays_bounded(tmp_path):
    """A 64 MiB build in a child process peaks far below the archive size (weights are streamed)."""
    # VmHWM, not ru_maxrss: after exec, ru_maxrss still carries the forking parent's (pytest's) peak.
    code = ('import re; from ansible_collections.labfleet.zoo.tools.fixtures import synthetic_zoo; '
            'synthetic_zoo.build_archive(%r, "k", size=64 << 20, top_dir="k", family="ssd"); '
            'print(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))'
            % str(tmp_path))
    peak_kib = int(subprocess.run([sys.executable, '-c', code], env=python_env(), check=True, capture_output=True,
                                  text=True).stdout.split()[-1])
    assert peak_kib < 48 * 1024, 'peak RSS %d KiB' % peak_kib


def test_cli_build_prints_key_bytesdigest(tmp_path):
    proc = subprocess.run([sys.executable, str(TOOL), 'build', '--out', str(tmp_path), '--size', '64K',
                           '--seed', '2', FRCNN, 'not_in_catalog'], check=True, capture_output=True, text=True)
    lines = [line.split() for line in proc.stdout.splitlines()]
    assert [line[0] for line in lines] == [FRCNN, 'not_in_catalog']
    for key, size, sha in lines:
        info = archive_info(tmp_path / (key + '.tar.gz'))
        assert (int(size), sha) == (info['size'], info['sha256'])
        assert 48 * 1024 <= info['size'] <= 80 * 1024


def test_cli_serve_serves_until_sigterm(tmp_path):
    proc = subprocess.Popen([sys.executable, str(TOOL), 'serve', '--dir', str(tmp_path), '--port', '0',
                             '--size', '64K', SSD320], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        while line and not line.startswith('serving '):
            line = proc.stdout.readline()
        url = line.split()[1]
        assert re.match(r'^http://127\.0\.0\.1:\d+$', url)
        with urllib.request.urlopen('%s/%s.tar.gz' % (url, SSD320), timeout=10) as resp:
            body = resp.read()
        assert hashlib.sha256(body).hexdigest() == archive_info(tmp_path / (SSD320 + '.tar.gz'))['sha256']
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
