# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The course's training keys of a pipeline.config that labfleet.zoo.pipeline_config and labfleet.zoo.workspace set
(argument spec: _options.training_keys_argument_spec). Unset leaves the model's own value.

Private to this collection: it may change at any time.
"""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  batch_size:
    description: C(train_config.batch_size) (not C(eval_config.batch_size)).
    type: int
  num_steps:
    description: C(train_config.num_steps).
    type: int
  fine_tune_checkpoint_type:
    description: C(train_config.fine_tune_checkpoint_type); V(detection) to fine-tune a whole detector.
    type: str
  use_bfloat16:
    description: C(train_config.use_bfloat16); V(false) everywhere but on TPUs.
    type: bool
  max_number_of_boxes:
    description: C(train_config.max_number_of_boxes).
    type: int
  max_detections_per_class:
    description: C(max_detections_per_class) of the model's C(batch_non_max_suppression) section.
    type: int
  max_total_detections:
    description: C(max_total_detections) of the model's C(batch_non_max_suppression) section.
    type: int
"""
