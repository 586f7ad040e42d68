#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pipeline_config
short_description: Write a training pipeline.config from a pre-trained model's, with the course's keys set
version_added: 0.1.0
description:
  - Makes O(dest), the C(pipeline.config) a student trains with (for example
    C(~/tod_tf2/training/faces_cubes/<model>/pipeline.config)), from O(src), the one shipped with the pre-trained model,
    with the managed keys set to the given values.
  - Section-aware, never by line number. The file (protobuf text format) is parsed, and each managed key is set in
    its own section only, for example C(label_map_path) in both C(train_input_reader) and C(eval_input_reader) but
    C(batch_size) only in C(train_config). Both forms of the file are handled, the commented template form and the
    generated text-proto form. Comments, blank lines and every other line stay byte for byte.
  - A missing key is added at the top of its section; a missing section is created.
  - Students' work is never lost. If O(dest) exists and is not the file this module wrote last (a student edited
    it), it is kept as it is (RV(action=kept), RV(drift) lists the managed keys that differ) unless O(enforce=true);
    then only the managed keys are set in the student's file.
  - A file this module wrote and nobody edited since is updated when O(src) or the values change. To tell the two
    apart, the sha256 of what it wrote is kept beside O(dest) in C(.<name>.labfleet-zoo.json).
author:
  - labfleet.zoo contributors (@labfleet)
options:
  src:
    description:
      - The pre-trained model's pipeline.config, for example C(~/tod_tf2/pre_trained/<model>/pipeline.config).
    type: path
    required: true
  dest:
    description:
      - The training pipeline.config to write. Its folder is created if missing.
    type: path
    required: true
  enforce:
    description:
      - Set the managed keys in O(dest) even if a student edited it. Comments and other edits are kept.
    type: bool
    default: false
  num_classes:
    description: C(num_classes) of the model section (C(model.ssd), C(model.faster_rcnn), ...).
    type: int
  fine_tune_checkpoint:
    description:
      - C(train_config.fine_tune_checkpoint), the checkpoint prefix, for example
        V(pre_trained/<model>/checkpoint/ckpt-0) (never the C(.index) file).
    type: str
  label_map_path:
    description: C(label_map_path) in both C(train_input_reader) and C(eval_input_reader).
    type: str
  train_input_path:
    description: C(train_input_reader.tf_record_input_reader.input_path).
    type: str
  eval_input_path:
    description: C(eval_input_reader.tf_record_input_reader.input_path).
    type: str
  owner:
    description: Owner (name or uid) of O(dest).
    type: str
  group:
    description: Group (name or gid) of O(dest).
    type: str
  mode:
    description: Permissions of O(dest), octal (V('0644')) or symbolic (V(u=rw,g=r,o=r)).
    type: raw
notes:
  - Options left unset are not managed. Targets need Python 3.8 or newer and its standard library only.
  - O(owner), O(group) and O(mode) apply to O(dest) only. A new file gets mode C(0644), a rewritten one keeps its mode.
  - Safe as root in a student's folders. No link made by another user is followed on the way to O(src) or O(dest);
    O(dest) and O(src) must be regular files (a link there is refused); owner and mode are set through a file
    descriptor, never on a file with several hard links.
seealso:
  - module: labfleet.zoo.model
  - name: Configuring the TF Object Detection API training pipeline
    description: What each key of pipeline.config means.
    link: https://github.com/tensorflow/models/blob/master/research/object_detection/g3doc/configuring_jobs.md
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - labfleet.zoo._training_keys
  - labfleet.zoo._attributes
  - labfleet.zoo._attributes.idempotent
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written. When O(src) does not exist yet (the model would be installed by an earlier task of the
        same check run), a missing O(dest) is reported as created and the diff shows no content.
  diff_mode:
    support: full
    details: The before and after text of O(dest), shown as a unified diff.
  idempotent:
    details:
      - A student's edited file is kept each time; with O(enforce=true) its managed keys are set once, then the file
        is left as it is.
"""

EXAMPLES = r"""
- name: Training config of the faces_cubes project for the Faster R-CNN model
  labfleet.zoo.pipeline_config:
    src: ~/tod_tf2/pre_trained/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8/pipeline.config
    dest: ~/tod_tf2/training/faces_cubes/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8/pipeline.config
    num_classes: 2
    batch_size: 2
    num_steps: 1000
    fine_tune_checkpoint: pre_trained/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8/checkpoint/ckpt-0
    fine_tune_checkpoint_type: detection
    use_bfloat16: false
    label_map_path: training/faces_cubes/label_map.pbtxt
    train_input_path: training/faces_cubes/train.record
    eval_input_path: training/faces_cubes/test.record

- name: Reset num_steps in every student's edited file, keeping their other edits
  labfleet.zoo.pipeline_config:
    src: ~/tod_tf2/pre_trained/ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8/pipeline.config
    dest: ~/tod_tf2/training/faces_cubes/ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8/pipeline.config
    num_steps: 1000
    enforce: true
"""

RETURN = r"""
path:
  description: O(dest).
  returned: always
  type: str
  sample: /home/student/tod_tf2/training/faces_cubes/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8/pipeline.config
action:
  description:
    - V(created), V(updated) (the file this module wrote, rewritten from O(src)), V(enforced) (managed keys set in an
      edited file), V(attributes) (the text was right, only the owner, group or mode were set), V(unchanged), or
      V(kept) (edited by a student and left alone; its owner, group or mode may still have been set).
  returned: always
  type: str
  sample: created
drift:
  description: The managed options whose value in the kept file differs from the one asked for.
  returned: always
  type: list
  elements: str
  sample: [num_steps]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labfleet.zoo.plugins.module_utils import _pipeline_config
from ansible_collections.labfleet.zoo.plugins.module_utils._module import file_attrs, run
from ansible_collections.labfleet.zoo.plugins.module_utils._options import file_attributes_argument_spec
from ansible_collections.labfleet.zoo.plugins.module_utils._options import training_keys_argument_spec


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path', required=True),
            dest=dict(type='path', required=True),
            enforce=dict(type='bool', default=False),
            num_classes=dict(type='int'),
            fine_tune_checkpoint=dict(type='str'),
            label_map_path=dict(type='str'),
            train_input_path=dict(type='str'),
            eval_input_path=dict(type='str'),
            **dict(training_keys_argument_spec(), **file_attributes_argument_spec())
        ),
        supports_check_mode=True,
    )
    params = module.params

    def work():
        return _pipeline_config.converge(params['src'], params['dest'], _pipeline_config.settings_from(params),
                                         enforce=params['enforce'], attrs=file_attrs(module),
                                         check_mode=module.check_mode)

    run(module, work, 'write or set the owner/mode of %s' % params['dest'])


if __name__ == '__main__':
    main()
