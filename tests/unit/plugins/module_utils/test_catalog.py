"""_catalog: the one source of truth of the TF2 Detection Model Zoo catalog."""

from __future__ import annotations

import re

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog
from ansible_collections.labfleet.zoo.plugins.module_utils._catalog import (
    CATALOG, MODELS, archive_filename, get, select,
)
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

URL_PREFIX = 'https://download.tensorflow.org/models/object_detection/tf2/'
FIELDS = {'key', 'name', 'archive', 'top_dir', 'url', 'release_date', 'family', 'input_size', 'tflite',
          'archive_size', 'speed_ms', 'coco_map', 'outputs'}
ODD_TOP_DIRS = {
    'centernet_mobilenetv2fpn_512x512_coco17_od': 'centernet_mobilenetv2_fpn_od',
    'centernet_mobilenetv2fpn_512x512_coco17_kpts': 'centernet_mobilenetv2_fpn_kpts',
}
EXTREMENET = ('extremenet_20200711', 'extremenet_20210507')
ENTRY_IDS = [entry['key'] for entry in MODELS]


# ---------------------------------------------------------------- the data


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def test_has_43_models():
    assert len(MODELS) == 43
    assert len(CATALOG) == 43


def test_keys_are_unique_and_catalog_matches_models():
    keys = [entry['key'] for entry in MODELS]
    assert len(set(keys)) == len(keys)
    assert list(CATALOG) == keys
    assert all(CATALOG[entry['key']] is entry for entry in MODELS)


@pytest.mark.parametrize('entry', MODELS, ids=ENTRY_IDS)
def test_entry_shape(entry):
    assert set(entry) == FIELDS
    assert isinstance(entry['name'], str) and entry['name']
    assert re.match(r'^[a-z0-9][a-z0-9_.+-]*$', entry['key'])
    assert re.match(r'^20\d{6}$', entry['release_date'])
    assert entry['family'] in ('ssd', 'faster_rcnn', 'mask_rcnn', 'efficientdet', 'centernet', 'extremenet')
    assert entry['tflite'] in ('yes', 'no', 'partial')
    assert entry['input_size'] is None or re.match(r'^\d+x\d+$', entry['input_size'])
    assert entry['archive_size'] is None or (is_int(entry['archive_size']) and entry['archive_size'] > 0)
    assert entry['speed_ms'] is None or is_int(entry['speed_ms'])
    coco_map = entry['coco_map']
    if isinstance(coco_map, list):
        assert len(coco_map) == 2 and all(isinstance(v, float) for v in coco_map)
    else:
        assert coco_map is None or isinstance(coco_map, float)
    assert entry['outputs'] and set(entry['outputs']) <= {'Boxes', 'Keypoints', 'Masks'}


@pytest.mark.parametrize('entry', MODELS, ids=ENTRY_IDS)
def test_url(entry):
    assert entry['url'].startswith(URL_PREFIX)
    assert entry['url'].endswith('/' + entry['archive'] + '.tar.gz')
    assert entry['url'] == '%s%s/%s.tar.gz' % (URL_PREFIX, entry['release_date'], entry['archive'])


@pytest.mark.parametrize('entry', MODELS, ids=ENTRY_IDS)
def test_top_dir(entry):
    key = entry['key']
    if key in EXTREMENET:
        assert entry['top_dir'] is None
    elif key in ODD_TOP_DIRS:
        assert entry['top_dir'] == ODD_TOP_DIRS[key]
    else:
        assert entry['top_dir'] == key == entry['archive']


@pytest.mark.parametrize('entry', MODELS, ids=ENTRY_IDS)
def test_family_and_tflite_agree(entry):
    assert entry['key'].startswith(entry['family']) or entry['key'].startswith('extremenet')
    expected = 'partial' if entry['key'] in ODD_TOP_DIRS else ('yes' if entry['family'] == 'ssd' else 'no')
    assert entry['tflite'] == expected


@pytest.mark.parametrize('key,size', [
    ('faster_rcnn_resnet50_v1_640x640_coco17_tpu-8', 211996178),
    ('efficientdet_d3_coco17_tpu-32', 92858658),
    ('ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8', None),
], ids=['faster-rcnn-r50-640', 'efficientdet-d3', 'unknown-size'])
def test_known_sizes(key, size):
    assert get(key)['archive_size'] == size


def test_only_two_sizes_are_known():
    assert sorted(e['key'] for e in MODELS if e['archive_size'] is not None) == [
        'efficientdet_d3_coco17_tpu-32', 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8']


def test_extremenet_rows():
    rows = [get(key) for key in EXTREMENET]
    assert [r['archive'] for r in rows] == ['extremenet', 'extremenet']
    assert [r['release_date'] for r in rows] == ['20200711', '20210507']
    assert rows[0]['url'] != rows[1]['url']
    assert [r['input_size'] for r in rows] == [None, None]


# ---------------------------------------------------------------- get

def test_get_returns_the_entry():
    entry = get('faster_rcnn_resnet50_v1_640x640_coco17_tpu-8')
    assert entry == CATALOG['faster_rcnn_resnet50_v1_640x640_coco17_tpu-8']
    assert entry['url'] == URL_PREFIX + '20200711/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz'
    assert entry['input_size'] == '640x640'


def test_get_returns_a_copy():
    entry = get('ssd_mobilenet_v2_320x320_coco17_tpu-8')
    entry['outputs'].append('Masks')
    entry['url'] = 'http://elsewhere'
    again = get('ssd_mobilenet_v2_320x320_coco17_tpu-8')
    assert again['outputs'] == ['Boxes']
    assert again['url'].startswith(URL_PREFIX)


@pytest.mark.parametrize('name,first', [
    ('ssd_mobilenet_v2_320x320', 'ssd_mobilenet_v2_320x320_coco17_tpu-8'),
    ('ssd_mobilenet_v2_fpnlite_320x320', 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'),
    ('faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz', 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'),
    ('EFFICIENTDET_D3_COCO17_TPU-32', 'efficientdet_d3_coco17_tpu-32'),
    ('efficientdet_d3_coco17_tpu-8', 'efficientdet_d3_coco17_tpu-32'),
], ids=['no-suffix', 'fpnlite-no-suffix', 'with-tar-gz', 'upper-case', 'wrong-tpu'])
def test_get_unknown_lists_closest(name, first):
    with pytest.raises(ZooError) as err:
        get(name)
    msg = str(err.value)
    assert msg.startswith("unknown model %r: closest catalog names: %s" % (name, first))
    names = msg.split('closest catalog names: ', 1)[1].split(', ')
    assert 1 <= len(names) <= 5
    assert all(n in CATALOG for n in names)


def test_get_unknown_extremenet_suggests_both_rows():
    with pytest.raises(ZooError) as err:
        get('extremenet')
    assert all(key in str(err.value) for key in EXTREMENET)


def test_get_unknown_substring_fallback():
    # too short for difflib to find anything close: the keys containing it are suggested
    with pytest.raises(ZooError) as err:
        get('d7')
    assert "unknown model 'd7': closest catalog names: efficientdet_d7_coco17_tpu-32" in str(err.value)


def test_get_unknown_without_any_match():
    with pytest.raises(ZooError) as err:
        get('yolov8n')
    assert "unknown model 'yolov8n'" in str(err.value)
    assert 'no catalog name is close' in str(err.value)


@pytest.mark.parametrize('name', [
    '../etc/passwd',
    'ssd/../../x',
    '/abs/path',
    'tf2/ssd_mobilenet_v2_320x320_coco17_tpu-8',
    '..',
    'a..b',
    'ssd mobilenet',
    'ssd_mobilenet_v2_320x320_coco17_tpu-8\n',
    '\tssd',
], ids=['dotdot-slash', 'inner-dotdot', 'absolute', 'slash', 'dotdot', 'inner-dotdot-no-slash', 'space',
        'newline', 'tab'])
def test_get_rejects_path_like_names(name):
    with pytest.raises(ZooError) as err:
        get(name)
    msg = str(err.value)
    assert msg.startswith('invalid model name %r' % name)
    assert "without '/', '..' or whitespace" in msg
    assert 'closest' not in msg


@pytest.mark.parametrize('name', ['', None, 42], ids=['empty', 'none', 'int'])
def test_get_rejects_non_names(name):
    with pytest.raises(ZooError) as err:
        get(name)
    assert 'non-empty string' in str(err.value)


# ---------------------------------------------------------------- archive_filename

def test_archive_filename_is_upstream_name_except_extremenet():
    for entry in MODELS:
        if entry['key'] in EXTREMENET:
            continue
        assert archive_filename(entry['key']) == entry['url'].rsplit('/', 1)[1]


def test_archive_filename_extremenet_keys_are_distinct():
    names = [archive_filename(key) for key in EXTREMENET]
    assert names == ['extremenet_20200711.tar.gz', 'extremenet_20210507.tar.gz']
    assert len(set(archive_filename(e['key']) for e in MODELS)) == len(MODELS)


def test_archive_filename_unknown_key():
    with pytest.raises(ZooError, match='unknown model'):
        archive_filename('extremenet')


# ---------------------------------------------------------------- select

def _keys(entries):
    return [e['key'] for e in entries]


def test_select_without_filters_is_everything():
    assert _keys(select()) == [e['key'] for e in MODELS]


@pytest.mark.parametrize('kwargs,expected', [
    (dict(family='ssd', tflite='yes', input_size='320x320'),
     ['ssd_mobilenet_v2_320x320_coco17_tpu-8', 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8']),
    (dict(tflite='partial'),
     ['centernet_mobilenetv2fpn_512x512_coco17_od', 'centernet_mobilenetv2fpn_512x512_coco17_kpts']),
    (dict(family='mask_rcnn'), ['mask_rcnn_inception_resnet_v2_1024x1024_coco17_gpu-8']),
    (dict(family='extremenet'), list(EXTREMENET)),
    (dict(input_size='800x1333'),
     ['faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8', 'faster_rcnn_resnet101_v1_800x1333_coco17_gpu-8',
      'faster_rcnn_resnet152_v1_800x1333_coco17_gpu-8']),
    (dict(family='efficientdet', input_size='1280x1280'),
     ['efficientdet_d5_coco17_tpu-32', 'efficientdet_d6_coco17_tpu-32']),
    (dict(family='efficientdet', tflite='yes'), []),
    (dict(input_size='300x300'), []),
], ids=['ssd-tflite-320', 'partial', 'mask-rcnn', 'extremenet', '800x1333', 'efficientdet-1280', 'none-efficientdet-tflite',
        'no-such-size'])
def test_select_filters(kwargs, expected):
    assert _keys(select(**kwargs)) == expected


@pytest.mark.parametrize('family,count', [
    ('ssd', 10), ('efficientdet', 8), ('centernet', 11), ('faster_rcnn', 11), ('mask_rcnn', 1), ('extremenet', 2),
], ids=str)
def test_select_family_counts(family, count):
    entries = select(family=family)
    assert len(entries) == count
    assert all(e['family'] == family for e in entries)


@pytest.mark.parametrize('flag,word', [(True, 'yes'), (False, 'no')], ids=['true', 'false'])
def test_select_tflite_accepts_booleans(flag, word):
    assert select(tflite=flag) == select(tflite=word)
    assert all(e['tflite'] == word for e in select(tflite=flag))


def test_select_tflite_counts_add_up():
    assert [len(select(tflite=v)) for v in ('yes', 'no', 'partial')] == [10, 31, 2]


@pytest.mark.parametrize('kwargs,message', [
    (dict(tflite='maybe'), "tflite must be one of yes, no, partial, true or false, got 'maybe'"),
    (dict(tflite=1), 'tflite must be one of'),
    (dict(family='yolo'), "unknown model family 'yolo': choose from centernet, efficientdet, extremenet"),
], ids=['tflite-word', 'tflite-int', 'family'])
def test_select_rejects_bad_filters(kwargs, message):
    with pytest.raises(ZooError) as err:
        select(**kwargs)
    assert message in str(err.value)


def test_select_returns_copies():
    select(family='mask_rcnn')[0]['outputs'].clear()
    assert _catalog.CATALOG['mask_rcnn_inception_resnet_v2_1024x1024_coco17_gpu-8']['outputs'] == ['Boxes', 'Masks']
