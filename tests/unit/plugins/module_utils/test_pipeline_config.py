"""The section-aware pipeline.config editor, on both file forms, and the module's create/keep/enforce plan."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _pipeline_config as pc
from ansible_collections.labfleet.zoo.plugins.module_utils import _fs
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import ATTRIBUTES, CREATED, KEPT, UNCHANGED

# The commented template form (research/object_detection/configs/tf2), trimmed: comments, `key: {`, single quotes,
# `;`, keys in two sections (batch_size in train_config and eval_config, label_map_path and input_path in both readers).
TEMPLATE = '''\
# Faster R-CNN with Resnet-50 (v1) with 640x640 input resolution
# Trained on COCO, initialized from Imagenet classification checkpoint

model {
  faster_rcnn {
    num_classes: 90
    feature_extractor {
      type: 'faster_rcnn_resnet50_keras'
      batch_norm_trainable: true
    }
    first_stage_anchor_generator {
      grid_anchor_generator {
        scales: [0.25, 0.5, 1.0, 2.0]
        height_stride: 16
      }
    }
    second_stage_post_processing {
      batch_non_max_suppression {
        score_threshold: 0.0
        max_detections_per_class: 100
        max_total_detections: 300
      }
      score_converter: SOFTMAX
    }
  }
}

train_config: {
  batch_size: 64
  num_steps: 25000
  optimizer {
    momentum_optimizer: {
      learning_rate: {
        cosine_decay_learning_rate {
          learning_rate_base: .04
          total_steps: 25000
        }
      }
    }
  }
  fine_tune_checkpoint_version: V2
  fine_tune_checkpoint: "PATH_TO_BE_CONFIGURED/resnet50.ckpt-1"
  fine_tune_checkpoint_type: "classification"
  data_augmentation_options {
    random_horizontal_flip {
    }
  }

  max_number_of_boxes: 100
  use_bfloat16: true  # works only on TPUs
}

train_input_reader: {
  label_map_path: "PATH_TO_BE_CONFIGURED/label_map.txt"
  tf_record_input_reader {
    input_path: "PATH_TO_BE_CONFIGURED/train2017-?????-of-00256.tfrecord"
  }
}

eval_config: {
  metrics_set: "coco_detection_metrics"
  batch_size: 1;
}

eval_input_reader: {
  label_map_path: "PATH_TO_BE_CONFIGURED/label_map.txt"
  shuffle: false
  tf_record_input_reader {
    input_path: "PATH_TO_BE_CONFIGURED/val2017-?????-of-00032.tfrecord"
  }
}
'''

# The generated text-proto form of the zoo archives: no comments, `key {`, no use_bfloat16 at all.
GENERATED = '''\
model {
  ssd {
    num_classes: 90
    image_resizer {
      fixed_shape_resizer {
        height: 320
        width: 320
      }
    }
    post_processing {
      batch_non_max_suppression {
        score_threshold: 9.99999993922529e-09
        iou_threshold: 0.6000000238418579
        max_detections_per_class: 100
        max_total_detections: 100
        use_static_shapes: false
      }
      score_converter: SIGMOID
    }
  }
}
train_config {
  batch_size: 128
  data_augmentation_options {
    random_horizontal_flip {
    }
  }
  fine_tune_checkpoint: "PATH_TO_BE_CONFIGURED"
  num_steps: 50000
  startup_delay_steps: 0.0
  max_number_of_boxes: 100
  unpad_groundtruth_tensors: false
  fine_tune_checkpoint_type: "classification"
  fine_tune_checkpoint_version: V2
}
train_input_reader {
  label_map_path: "PATH_TO_BE_CONFIGURED"
  tf_record_input_reader {
    input_path: "PATH_TO_BE_CONFIGURED"
  }
}
eval_config {
  metrics_set: "coco_detection_metrics"
  use_moving_averages: false
}
eval_input_reader {
  label_map_path: "PATH_TO_BE_CONFIGURED"
  shuffle: false
  num_epochs: 1
  tf_record_input_reader {
    input_path: "PATH_TO_BE_CONFIGURED"
  }
}
'''

FORMS = [pytest.param(TEMPLATE, id='template'), pytest.param(GENERATED, id='generated')]

COURSE = [
    ('num_classes', 2),
    ('batch_size', 2),
    ('num_steps', 1000),
    ('fine_tune_checkpoint', 'pre_trained/m/checkpoint/ckpt-0'),
    ('fine_tune_checkpoint_type', 'detection'),
    ('use_bfloat16', False),
    ('label_map_path', 'training/faces_cubes/label_map.pbtxt'),
    ('train_input_path', 'training/faces_cubes/train.record'),
    ('eval_input_path', 'training/faces_cubes/test.record'),
]


def values(text, *path):
    return pc.PipelineConfig(text).get(path)


@pytest.mark.parametrize('text', FORMS)
def test_course_settings_land_in_their_sections(text):
    out = pc.edit(text, COURSE)
    assert values(out, 'model', '*', 'num_classes') == [2]
    assert values(out, 'train_config', 'batch_size') == [2]
    assert values(out, 'train_config', 'num_steps') == [1000]
    assert values(out, 'train_config', 'fine_tune_checkpoint') == ['pre_trained/m/checkpoint/ckpt-0']
    assert values(out, 'train_config', 'fine_tune_checkpoint_type') == ['detection']
    assert values(out, 'train_config', 'use_bfloat16') == [False]
    assert values(out, 'train_input_reader', 'label_map_path') == ['training/faces_cubes/label_map.pbtxt']
    assert values(out, 'eval_input_reader', 'label_map_path') == ['training/faces_cubes/label_map.pbtxt']
    assert values(out, 'train_input_reader', 'tf_record_input_reader', 'input_path') == [
        'training/faces_cubes/train.record']
    assert values(out, 'eval_input_reader', 'tf_record_input_reader', 'input_path') == [
        'training/faces_cubes/test.record']
    assert pc.drift(out, COURSE) == []


@pytest.mark.parametrize('text', FORMS)
def test_same_key_in_other_sections_is_left_alone(text):
    out = pc.edit(text, COURSE)
    # batch_size also lives in eval_config (template), total_steps beside num_steps, num_classes nowhere else.
    assert values(out, 'eval_config', 'batch_size') == values(text, 'eval_config', 'batch_size')
    assert values(out, 'train_config', 'optimizer', 'momentum_optimizer', 'learning_rate',
                  'cosine_decay_learning_rate', 'total_steps') == values(
        text, 'train_config', 'optimizer', 'momentum_optimizer', 'learning_rate', 'cosine_decay_learning_rate',
        'total_steps')
    # train and eval readers get different input paths although the key is the same.
    assert 'train.record' in out and 'test.record' in out


def test_template_comments_and_other_lines_are_kept_byte_for_byte():
    out = pc.edit(TEMPLATE, COURSE)
    before, after = TEMPLATE.splitlines(), out.splitlines()
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(changed) == 10     # 9 settings, label_map_path twice
    assert '  use_bfloat16: false  # works only on TPUs' in after
    assert "      type: 'faster_rcnn_resnet50_keras'" in after
    assert '  batch_size: 1;' in after
    for line in before:
        if line.lstrip().startswith('#') or not line.strip():
            assert line in after


def test_generated_form_missing_key_is_added_with_the_section_indent():
    out = pc.edit(GENERATED, [('use_bfloat16', False)])
    head = GENERATED[:GENERATED.index('train_config {\n')]
    assert out.startswith(head + 'train_config {\n  use_bfloat16: false\n  batch_size: 128\n')
    assert values(out, 'train_config', 'use_bfloat16') == [False]
    assert out.count('\n') == GENERATED.count('\n') + 1


def test_optional_max_keys_follow_the_meta_architecture():
    settings = [('max_number_of_boxes', 10), ('max_detections_per_class', 5), ('max_total_detections', 10)]
    for text, post in ((TEMPLATE, 'second_stage_post_processing'), (GENERATED, 'post_processing')):
        out = pc.edit(text, settings)
        assert values(out, 'train_config', 'max_number_of_boxes') == [10]
        assert values(out, 'model', '*', post, 'batch_non_max_suppression', 'max_detections_per_class') == [5]
        assert values(out, 'model', '*', post, 'batch_non_max_suppression', 'max_total_detections') == [10]


@pytest.mark.parametrize('text', FORMS)
def test_edit_is_idempotent(text):
    once = pc.edit(text, COURSE)
    assert pc.edit(once, COURSE) == once


def test_missing_sections_are_created():
    text = 'model {\n  ssd {\n    num_classes: 90\n  }\n}\ntrain_config {\n  batch_size: 4\n}\n'
    out = pc.edit(text, COURSE)
    assert values(out, 'eval_input_reader', 'tf_record_input_reader', 'input_path') == [
        'training/faces_cubes/test.record']
    assert values(out, 'train_input_reader', 'label_map_path') == ['training/faces_cubes/label_map.pbtxt']
    assert pc.edit(out, COURSE) == out


def test_wildcard_section_missing_is_an_error():
    with pytest.raises(ZooError, match='no section model'):
        pc.edit('train_config {\n  batch_size: 4\n}\n', [('num_classes', 2)])


@pytest.mark.parametrize('text, where', [
    pytest.param('model {\n  ssd {\n    num_classes 90\n  }\n}\n', 'line 3', id='no-colon'),
    pytest.param('model {\n  ssd {\n    num_classes: 90\n  }\n', 'end of the file', id='unclosed'),
    pytest.param('model {\n  ssd { num_classes: "90 }\n}\n', 'line 2', id='bad-string'),
])
def test_broken_files_fail_with_the_line(text, where):
    with pytest.raises(ZooError, match=where):
        pc.PipelineConfig(text, 'pipeline.config')


@pytest.mark.parametrize('value, text', [
    pytest.param(True, 'true', id='bool'),
    pytest.param(3, '3', id='int'),
    pytest.param('a "b"\\c', '"a \\"b\\"\\\\c"', id='string-escapes'),
])
def test_render_and_read_back(value, text):
    assert pc.render(value) == text
    config = pc.PipelineConfig('x { k: %s }\n' % text)
    assert config.get(('x', 'k')) == [value]


def test_one_line_section_and_adjacent_strings():
    config = pc.PipelineConfig("a { b: 'x' \"y\" c { } }\n")
    assert config.get(('a', 'b')) == ['xy']
    config.set(('a', 'c', 'd'), 1)
    assert config.text == "a { b: 'x' \"y\" c { d: 1 } }\n"


# The plan: create from the pre-trained file, keep a student's edits, update our own, enforce on request.

@pytest.fixture
def files(tmp_path):
    src = tmp_path / 'pre_trained' / 'm' / 'pipeline.config'
    src.parent.mkdir(parents=True)
    src.write_text(TEMPLATE)
    return src, tmp_path / 'training' / 'p' / 'm' / 'pipeline.config'


def run(src, dest, settings=None, **kw):
    settings = COURSE if settings is None else settings
    the_plan = pc.plan(str(src), str(dest), settings, **kw)
    if the_plan.changed:
        pc.apply(the_plan)
    return the_plan


def test_plan_create_then_unchanged(files):
    src, dest = files
    assert pc.plan(str(src), str(dest), COURSE, check_mode=True).action == 'created'
    assert not dest.exists()
    assert run(src, dest).action == 'created'
    assert dest.read_text() == pc.edit(TEMPLATE, COURSE)
    assert json.loads(open(pc.record_path(str(dest))).read())['sha256']
    assert run(src, dest).action == 'unchanged'


def test_plan_updates_its_own_file_when_settings_change(files):
    src, dest = files
    run(src, dest)
    the_plan = run(src, dest, COURSE + [('num_steps', 2000)])
    assert the_plan.action == 'updated'
    assert values(dest.read_text(), 'train_config', 'num_steps') == [2000]


def test_plan_keeps_a_student_edit_unless_enforced(files):
    src, dest = files
    run(src, dest)
    edited = dest.read_text().replace('num_steps: 1000', 'num_steps: 5000  # more steps, said Alice')
    edited = edited.replace('  shuffle: false', '  shuffle: true')
    dest.write_text(edited)
    os.chmod(str(dest), 0o600)
    kept = run(src, dest)
    assert kept.action == 'kept' and not kept.changed and kept.drift == ['num_steps']
    assert dest.read_text() == edited
    enforced = run(src, dest, enforce=True)
    assert enforced.action == 'enforced'
    out = dest.read_text()
    assert 'num_steps: 1000  # more steps, said Alice' in out and '  shuffle: true' in out
    assert oct(os.stat(str(dest)).st_mode & 0o777) == oct(0o600)
    assert run(src, dest, enforce=True).action == 'unchanged'
    # Enforced, the file is still the student's: a plain run keeps it, it is never regenerated from src.
    again = run(src, dest)
    assert again.action == 'kept' and again.drift == [] and dest.read_text() == out


def test_plan_missing_source(files):
    src, dest = files
    src.unlink()
    with pytest.raises(ZooError, match='install the pre-trained model first'):
        pc.plan(str(src), str(dest), COURSE)
    check = pc.plan(str(src), str(dest), COURSE, check_mode=True)
    assert check.action == 'created' and check.src_missing


def test_converge_reports_an_owner_or_mode_fix_as_attributes_and_predicts_it(files):
    src, dest = files
    attrs = _fs.attrs_from(mode='0600')
    result, warnings = pc.converge(str(src), str(dest), COURSE)
    assert (result['action'], result['changed'], warnings) == (CREATED, True, [])
    assert 'diff' in result and oct(os.stat(str(dest)).st_mode & 0o777) == oct(0o644)
    check, _warnings = pc.converge(str(src), str(dest), COURSE, attrs=attrs, check_mode=True)
    assert (check['action'], check['changed'], 'diff' in check) == (ATTRIBUTES, True, False)
    assert oct(os.stat(str(dest)).st_mode & 0o777) == oct(0o644)
    real, _warnings = pc.converge(str(src), str(dest), COURSE, attrs=attrs)
    assert (real['action'], real['changed']) == (ATTRIBUTES, True)
    assert oct(os.stat(str(dest)).st_mode & 0o777) == oct(0o600)
    again, _warnings = pc.converge(str(src), str(dest), COURSE, attrs=attrs)
    assert (again['action'], again['changed']) == (UNCHANGED, False)
    dest.write_text(dest.read_text().replace('num_steps: 1000', 'num_steps: 7'))
    kept, warnings = pc.converge(str(src), str(dest), COURSE, attrs=_fs.attrs_from(mode='0640'))
    assert (kept['action'], kept['changed'], kept['drift']) == (KEPT, True, ['num_steps'])
    assert warnings and 'num_steps' in warnings[0]


def edit_in_turn(text, settings):
    """What ``edit`` must equal: each key set in turn, one parse after each."""
    config = pc.PipelineConfig(text)
    for name, value in settings:
        for path in dict(pc.MANAGED)[name]:
            config.set(path, value)
    return config.text


@pytest.mark.parametrize('text', FORMS + [pytest.param(
    'model {\n  ssd {\n    num_classes: 90\n  }\n}\ntrain_config {\n  batch_size: 4\n}\n', id='sections-missing')])
@pytest.mark.parametrize('settings', [
    pytest.param(COURSE, id='course'),
    pytest.param(COURSE + [('max_number_of_boxes', 10), ('max_detections_per_class', 5),
                           ('max_total_detections', 10)], id='course-and-max-keys'),
    pytest.param([('batch_size', 8), ('num_classes', 3), ('batch_size', 1)], id='a-key-twice'),
    pytest.param([('batch_size', 8), ('batch_size', 4)], id='a-key-twice-back-to-its-value'),
])
def test_edit_in_one_pass_is_setting_each_key_in_turn(text, settings):
    def outcome(how):
        try:
            return how(text, settings)
        except ZooError as e:           # a wildcard section missing (max keys without a post-processing section)
            return 'error: %s' % e
    assert outcome(pc.edit) == outcome(edit_in_turn)
