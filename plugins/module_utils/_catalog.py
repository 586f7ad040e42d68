# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TF2 Detection Model Zoo catalog: the one source of truth for model names, URLs and facts.

Runs on target hosts (inside labfleet.zoo.model) and on the controller (the labfleet.zoo.catalog lookup):
Python 3.8+, standard library only. The data below was transcribed once from the zoo table
(tensorflow/models research/object_detection/g3doc/tf2_detection_zoo.md); edit it here, nowhere else.

Fields of every entry (a dict; all keys always present):

``key``
    Unique catalog name: the archive base name, except for the two ExtremeNet rows that share the base name
    ``extremenet`` upstream and are keyed ``extremenet_<release_date>``.
``name``
    Display name from the zoo table.
``archive``
    Upstream archive base name, without ``.tar.gz`` (``extremenet`` for both ExtremeNet rows).
``top_dir``
    Top-level directory inside the archive; equals ``key`` except for the two CenterNet MobileNetV2 FPN
    archives. None when unknown (ExtremeNet).
``url``
    Upstream download URL, as in the zoo table but over https (the host serves TLS; the table's plain-http links are
    a habit); no checksums are published upstream.
``release_date``
    The date directory of the URL, ``YYYYMMDD`` as a string.
``family``
    ``ssd``, ``faster_rcnn``, ``mask_rcnn``, ``efficientdet``, ``centernet`` or ``extremenet``.
``input_size``
    ``WxH`` string from the model name (``'640x640'``, ``'800x1333'``); None when the name gives none (ExtremeNet).
``tflite``
    Whether the model converts to TensorFlow Lite (for the Raspberry Pis): ``'yes'`` (SSD models),
    ``'no'``, or ``'partial'`` (CenterNet MobileNetV2 FPN: export flags exist, not documented for TF2; unverified).
    EfficientDet uses the ssd meta-architecture but is documented as unsupported, hence ``'no'``.
``archive_size``
    Archive size in bytes where a real download showed it, else None (a HEAD request tells).
``speed_ms``
    "Speed (ms)" column of the zoo table; None where the table says "--".
``coco_map``
    "COCO mAP" column: a float, a list of two floats where the table gives "a/b" (box mAP / keypoint or mask mAP,
    in the order of ``outputs``), or None where the table says "--".
``outputs``
    "Outputs" column as a list: ``Boxes``, ``Keypoints``, ``Masks``.
"""

from __future__ import annotations

import copy
import difflib

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

MODELS = (
    dict(key='centernet_hg104_512x512_coco17_tpu-8', name='CenterNet HourGlass104 512x512',
         archive='centernet_hg104_512x512_coco17_tpu-8', top_dir='centernet_hg104_512x512_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200713/centernet_hg104_512x512_coco17_tpu-8.tar.gz',
         release_date='20200713', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=70, coco_map=41.9, outputs=['Boxes']),
    dict(key='centernet_hg104_512x512_kpts_coco17_tpu-32', name='CenterNet HourGlass104 Keypoints 512x512',
         archive='centernet_hg104_512x512_kpts_coco17_tpu-32', top_dir='centernet_hg104_512x512_kpts_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_hg104_512x512_kpts_coco17_tpu-32.tar.gz',
         release_date='20200711', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=76, coco_map=[40.0, 61.4], outputs=['Boxes', 'Keypoints']),
    dict(key='centernet_hg104_1024x1024_coco17_tpu-32', name='CenterNet HourGlass104 1024x1024',
         archive='centernet_hg104_1024x1024_coco17_tpu-32', top_dir='centernet_hg104_1024x1024_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200713/centernet_hg104_1024x1024_coco17_tpu-32.tar.gz',
         release_date='20200713', family='centernet', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=197, coco_map=44.5, outputs=['Boxes']),
    dict(key='centernet_hg104_1024x1024_kpts_coco17_tpu-32', name='CenterNet HourGlass104 Keypoints 1024x1024',
         archive='centernet_hg104_1024x1024_kpts_coco17_tpu-32', top_dir='centernet_hg104_1024x1024_kpts_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_hg104_1024x1024_kpts_coco17_tpu-32.tar.gz',
         release_date='20200711', family='centernet', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=211, coco_map=[42.8, 64.5], outputs=['Boxes', 'Keypoints']),
    dict(key='centernet_resnet50_v1_fpn_512x512_coco17_tpu-8', name='CenterNet Resnet50 V1 FPN 512x512',
         archive='centernet_resnet50_v1_fpn_512x512_coco17_tpu-8', top_dir='centernet_resnet50_v1_fpn_512x512_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_resnet50_v1_fpn_512x512_coco17_tpu-8.tar.gz',
         release_date='20200711', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=27, coco_map=31.2, outputs=['Boxes']),
    dict(key='centernet_resnet50_v1_fpn_512x512_kpts_coco17_tpu-8', name='CenterNet Resnet50 V1 FPN Keypoints 512x512',
         archive='centernet_resnet50_v1_fpn_512x512_kpts_coco17_tpu-8', top_dir='centernet_resnet50_v1_fpn_512x512_kpts_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_resnet50_v1_fpn_512x512_kpts_coco17_tpu-8.tar.gz',
         release_date='20200711', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=30, coco_map=[29.3, 50.7], outputs=['Boxes', 'Keypoints']),
    dict(key='centernet_resnet101_v1_fpn_512x512_coco17_tpu-8', name='CenterNet Resnet101 V1 FPN 512x512',
         archive='centernet_resnet101_v1_fpn_512x512_coco17_tpu-8', top_dir='centernet_resnet101_v1_fpn_512x512_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_resnet101_v1_fpn_512x512_coco17_tpu-8.tar.gz',
         release_date='20200711', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=34, coco_map=34.2, outputs=['Boxes']),
    dict(key='centernet_resnet50_v2_512x512_coco17_tpu-8', name='CenterNet Resnet50 V2 512x512',
         archive='centernet_resnet50_v2_512x512_coco17_tpu-8', top_dir='centernet_resnet50_v2_512x512_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_resnet50_v2_512x512_coco17_tpu-8.tar.gz',
         release_date='20200711', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=27, coco_map=29.5, outputs=['Boxes']),
    dict(key='centernet_resnet50_v2_512x512_kpts_coco17_tpu-8', name='CenterNet Resnet50 V2 Keypoints 512x512',
         archive='centernet_resnet50_v2_512x512_kpts_coco17_tpu-8', top_dir='centernet_resnet50_v2_512x512_kpts_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/centernet_resnet50_v2_512x512_kpts_coco17_tpu-8.tar.gz',
         release_date='20200711', family='centernet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=30, coco_map=[27.6, 48.2], outputs=['Boxes', 'Keypoints']),
    dict(key='centernet_mobilenetv2fpn_512x512_coco17_od', name='CenterNet MobileNetV2 FPN 512x512',
         archive='centernet_mobilenetv2fpn_512x512_coco17_od', top_dir='centernet_mobilenetv2_fpn_od',
         url='https://download.tensorflow.org/models/object_detection/tf2/20210210/centernet_mobilenetv2fpn_512x512_coco17_od.tar.gz',
         release_date='20210210', family='centernet', input_size='512x512', tflite='partial',
         archive_size=None, speed_ms=6, coco_map=23.4, outputs=['Boxes']),
    dict(key='centernet_mobilenetv2fpn_512x512_coco17_kpts', name='CenterNet MobileNetV2 FPN Keypoints 512x512',
         archive='centernet_mobilenetv2fpn_512x512_coco17_kpts', top_dir='centernet_mobilenetv2_fpn_kpts',
         url='https://download.tensorflow.org/models/object_detection/tf2/20210210/centernet_mobilenetv2fpn_512x512_coco17_kpts.tar.gz',
         release_date='20210210', family='centernet', input_size='512x512', tflite='partial',
         archive_size=None, speed_ms=6, coco_map=41.7, outputs=['Boxes', 'Keypoints']),
    dict(key='efficientdet_d0_coco17_tpu-32', name='EfficientDet D0 512x512',
         archive='efficientdet_d0_coco17_tpu-32', top_dir='efficientdet_d0_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d0_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='512x512', tflite='no',
         archive_size=None, speed_ms=39, coco_map=33.6, outputs=['Boxes']),
    dict(key='efficientdet_d1_coco17_tpu-32', name='EfficientDet D1 640x640',
         archive='efficientdet_d1_coco17_tpu-32', top_dir='efficientdet_d1_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d1_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='640x640', tflite='no',
         archive_size=None, speed_ms=54, coco_map=38.4, outputs=['Boxes']),
    dict(key='efficientdet_d2_coco17_tpu-32', name='EfficientDet D2 768x768',
         archive='efficientdet_d2_coco17_tpu-32', top_dir='efficientdet_d2_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d2_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='768x768', tflite='no',
         archive_size=None, speed_ms=67, coco_map=41.8, outputs=['Boxes']),
    dict(key='efficientdet_d3_coco17_tpu-32', name='EfficientDet D3 896x896',
         archive='efficientdet_d3_coco17_tpu-32', top_dir='efficientdet_d3_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d3_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='896x896', tflite='no',
         archive_size=92858658, speed_ms=95, coco_map=45.4, outputs=['Boxes']),
    dict(key='efficientdet_d4_coco17_tpu-32', name='EfficientDet D4 1024x1024',
         archive='efficientdet_d4_coco17_tpu-32', top_dir='efficientdet_d4_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d4_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=133, coco_map=48.5, outputs=['Boxes']),
    dict(key='efficientdet_d5_coco17_tpu-32', name='EfficientDet D5 1280x1280',
         archive='efficientdet_d5_coco17_tpu-32', top_dir='efficientdet_d5_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d5_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='1280x1280', tflite='no',
         archive_size=None, speed_ms=222, coco_map=49.7, outputs=['Boxes']),
    dict(key='efficientdet_d6_coco17_tpu-32', name='EfficientDet D6 1280x1280',
         archive='efficientdet_d6_coco17_tpu-32', top_dir='efficientdet_d6_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d6_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='1280x1280', tflite='no',
         archive_size=None, speed_ms=268, coco_map=50.5, outputs=['Boxes']),
    dict(key='efficientdet_d7_coco17_tpu-32', name='EfficientDet D7 1536x1536',
         archive='efficientdet_d7_coco17_tpu-32', top_dir='efficientdet_d7_coco17_tpu-32',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/efficientdet_d7_coco17_tpu-32.tar.gz',
         release_date='20200711', family='efficientdet', input_size='1536x1536', tflite='no',
         archive_size=None, speed_ms=325, coco_map=51.2, outputs=['Boxes']),
    dict(key='ssd_mobilenet_v2_320x320_coco17_tpu-8', name='SSD MobileNet v2 320x320',
         archive='ssd_mobilenet_v2_320x320_coco17_tpu-8', top_dir='ssd_mobilenet_v2_320x320_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_mobilenet_v2_320x320_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='320x320', tflite='yes',
         archive_size=None, speed_ms=19, coco_map=20.2, outputs=['Boxes']),
    dict(key='ssd_mobilenet_v1_fpn_640x640_coco17_tpu-8', name='SSD MobileNet V1 FPN 640x640',
         archive='ssd_mobilenet_v1_fpn_640x640_coco17_tpu-8', top_dir='ssd_mobilenet_v1_fpn_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_mobilenet_v1_fpn_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='640x640', tflite='yes',
         archive_size=None, speed_ms=48, coco_map=29.1, outputs=['Boxes']),
    dict(key='ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8', name='SSD MobileNet V2 FPNLite 320x320',
         archive='ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8', top_dir='ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='320x320', tflite='yes',
         archive_size=None, speed_ms=22, coco_map=22.2, outputs=['Boxes']),
    dict(key='ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8', name='SSD MobileNet V2 FPNLite 640x640',
         archive='ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8', top_dir='ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='640x640', tflite='yes',
         archive_size=None, speed_ms=39, coco_map=28.2, outputs=['Boxes']),
    dict(key='ssd_resnet50_v1_fpn_640x640_coco17_tpu-8', name='SSD ResNet50 V1 FPN 640x640 (RetinaNet50)',
         archive='ssd_resnet50_v1_fpn_640x640_coco17_tpu-8', top_dir='ssd_resnet50_v1_fpn_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='640x640', tflite='yes',
         archive_size=None, speed_ms=46, coco_map=34.3, outputs=['Boxes']),
    dict(key='ssd_resnet50_v1_fpn_1024x1024_coco17_tpu-8', name='SSD ResNet50 V1 FPN 1024x1024 (RetinaNet50)',
         archive='ssd_resnet50_v1_fpn_1024x1024_coco17_tpu-8', top_dir='ssd_resnet50_v1_fpn_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet50_v1_fpn_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='1024x1024', tflite='yes',
         archive_size=None, speed_ms=87, coco_map=38.3, outputs=['Boxes']),
    dict(key='ssd_resnet101_v1_fpn_640x640_coco17_tpu-8', name='SSD ResNet101 V1 FPN 640x640 (RetinaNet101)',
         archive='ssd_resnet101_v1_fpn_640x640_coco17_tpu-8', top_dir='ssd_resnet101_v1_fpn_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet101_v1_fpn_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='640x640', tflite='yes',
         archive_size=None, speed_ms=57, coco_map=35.6, outputs=['Boxes']),
    dict(key='ssd_resnet101_v1_fpn_1024x1024_coco17_tpu-8', name='SSD ResNet101 V1 FPN 1024x1024 (RetinaNet101)',
         archive='ssd_resnet101_v1_fpn_1024x1024_coco17_tpu-8', top_dir='ssd_resnet101_v1_fpn_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet101_v1_fpn_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='1024x1024', tflite='yes',
         archive_size=None, speed_ms=104, coco_map=39.5, outputs=['Boxes']),
    dict(key='ssd_resnet152_v1_fpn_640x640_coco17_tpu-8', name='SSD ResNet152 V1 FPN 640x640 (RetinaNet152)',
         archive='ssd_resnet152_v1_fpn_640x640_coco17_tpu-8', top_dir='ssd_resnet152_v1_fpn_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet152_v1_fpn_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='640x640', tflite='yes',
         archive_size=None, speed_ms=80, coco_map=35.4, outputs=['Boxes']),
    dict(key='ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8', name='SSD ResNet152 V1 FPN 1024x1024 (RetinaNet152)',
         archive='ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8', top_dir='ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='ssd', input_size='1024x1024', tflite='yes',
         archive_size=None, speed_ms=111, coco_map=39.6, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet50_v1_640x640_coco17_tpu-8', name='Faster R-CNN ResNet50 V1 640x640',
         archive='faster_rcnn_resnet50_v1_640x640_coco17_tpu-8', top_dir='faster_rcnn_resnet50_v1_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='640x640', tflite='no',
         archive_size=211996178, speed_ms=53, coco_map=29.3, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet50_v1_1024x1024_coco17_tpu-8', name='Faster R-CNN ResNet50 V1 1024x1024',
         archive='faster_rcnn_resnet50_v1_1024x1024_coco17_tpu-8', top_dir='faster_rcnn_resnet50_v1_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet50_v1_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=65, coco_map=31.0, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8', name='Faster R-CNN ResNet50 V1 800x1333',
         archive='faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8', top_dir='faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='800x1333', tflite='no',
         archive_size=None, speed_ms=65, coco_map=31.6, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet101_v1_640x640_coco17_tpu-8', name='Faster R-CNN ResNet101 V1 640x640',
         archive='faster_rcnn_resnet101_v1_640x640_coco17_tpu-8', top_dir='faster_rcnn_resnet101_v1_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet101_v1_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='640x640', tflite='no',
         archive_size=None, speed_ms=55, coco_map=31.8, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet101_v1_1024x1024_coco17_tpu-8', name='Faster R-CNN ResNet101 V1 1024x1024',
         archive='faster_rcnn_resnet101_v1_1024x1024_coco17_tpu-8', top_dir='faster_rcnn_resnet101_v1_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet101_v1_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=72, coco_map=37.1, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet101_v1_800x1333_coco17_gpu-8', name='Faster R-CNN ResNet101 V1 800x1333',
         archive='faster_rcnn_resnet101_v1_800x1333_coco17_gpu-8', top_dir='faster_rcnn_resnet101_v1_800x1333_coco17_gpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet101_v1_800x1333_coco17_gpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='800x1333', tflite='no',
         archive_size=None, speed_ms=77, coco_map=36.6, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet152_v1_640x640_coco17_tpu-8', name='Faster R-CNN ResNet152 V1 640x640',
         archive='faster_rcnn_resnet152_v1_640x640_coco17_tpu-8', top_dir='faster_rcnn_resnet152_v1_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet152_v1_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='640x640', tflite='no',
         archive_size=None, speed_ms=64, coco_map=32.4, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet152_v1_1024x1024_coco17_tpu-8', name='Faster R-CNN ResNet152 V1 1024x1024',
         archive='faster_rcnn_resnet152_v1_1024x1024_coco17_tpu-8', top_dir='faster_rcnn_resnet152_v1_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet152_v1_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=85, coco_map=37.6, outputs=['Boxes']),
    dict(key='faster_rcnn_resnet152_v1_800x1333_coco17_gpu-8', name='Faster R-CNN ResNet152 V1 800x1333',
         archive='faster_rcnn_resnet152_v1_800x1333_coco17_gpu-8', top_dir='faster_rcnn_resnet152_v1_800x1333_coco17_gpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_resnet152_v1_800x1333_coco17_gpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='800x1333', tflite='no',
         archive_size=None, speed_ms=101, coco_map=37.4, outputs=['Boxes']),
    dict(key='faster_rcnn_inception_resnet_v2_640x640_coco17_tpu-8', name='Faster R-CNN Inception ResNet V2 640x640',
         archive='faster_rcnn_inception_resnet_v2_640x640_coco17_tpu-8', top_dir='faster_rcnn_inception_resnet_v2_640x640_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_inception_resnet_v2_640x640_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='640x640', tflite='no',
         archive_size=None, speed_ms=206, coco_map=37.7, outputs=['Boxes']),
    dict(key='faster_rcnn_inception_resnet_v2_1024x1024_coco17_tpu-8', name='Faster R-CNN Inception ResNet V2 1024x1024',
         archive='faster_rcnn_inception_resnet_v2_1024x1024_coco17_tpu-8', top_dir='faster_rcnn_inception_resnet_v2_1024x1024_coco17_tpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/faster_rcnn_inception_resnet_v2_1024x1024_coco17_tpu-8.tar.gz',
         release_date='20200711', family='faster_rcnn', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=236, coco_map=38.7, outputs=['Boxes']),
    dict(key='mask_rcnn_inception_resnet_v2_1024x1024_coco17_gpu-8', name='Mask R-CNN Inception ResNet V2 1024x1024',
         archive='mask_rcnn_inception_resnet_v2_1024x1024_coco17_gpu-8', top_dir='mask_rcnn_inception_resnet_v2_1024x1024_coco17_gpu-8',
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/mask_rcnn_inception_resnet_v2_1024x1024_coco17_gpu-8.tar.gz',
         release_date='20200711', family='mask_rcnn', input_size='1024x1024', tflite='no',
         archive_size=None, speed_ms=301, coco_map=[39.0, 34.6], outputs=['Boxes', 'Masks']),
    dict(key='extremenet_20200711', name='ExtremeNet (deprecated)',
         archive='extremenet', top_dir=None,
         url='https://download.tensorflow.org/models/object_detection/tf2/20200711/extremenet.tar.gz',
         release_date='20200711', family='extremenet', input_size=None, tflite='no',
         archive_size=None, speed_ms=None, coco_map=None, outputs=['Boxes']),
    dict(key='extremenet_20210507', name='ExtremeNet',
         archive='extremenet', top_dir=None,
         url='https://download.tensorflow.org/models/object_detection/tf2/20210507/extremenet.tar.gz',
         release_date='20210507', family='extremenet', input_size=None, tflite='no',
         archive_size=None, speed_ms=None, coco_map=None, outputs=['Boxes']),
)

CATALOG = dict((entry['key'], entry) for entry in MODELS)
FAMILIES = tuple(sorted(set(entry['family'] for entry in MODELS)))
TFLITE = ('yes', 'no', 'partial')

_MAX_SUGGESTIONS = 5
_CUTOFF = 0.6


def _check_name(name):
    """Reject what can never be a catalog name (and could be a path) before any lookup."""
    if not isinstance(name, str) or not name:
        raise ZooError('a model name must be a non-empty string, got %r' % (name,))
    if '/' in name or '..' in name or any(char.isspace() for char in name):
        raise ZooError("invalid model name %r: a catalog name is an archive base name, without '/', '..' "
                       "or whitespace (for example ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8)" % name)


def closest(name, limit=_MAX_SUGGESTIONS):
    """Up to ``limit`` catalog keys that look like ``name``: close spellings first, then keys containing it."""
    lowered = name.lower()
    found = difflib.get_close_matches(lowered, list(CATALOG), n=limit, cutoff=_CUTOFF)
    for key in CATALOG:
        if len(found) >= limit:
            break
        if key not in found and (lowered in key or key in lowered):
            found.append(key)
    return found


def get(key):
    """The entry of ``key`` (a copy); an unknown or malformed name raises ZooError naming the closest keys."""
    _check_name(key)
    entry = CATALOG.get(key)
    if entry is not None:
        return copy.deepcopy(entry)
    suggestions = closest(key)
    if suggestions:
        hint = 'closest catalog names: %s' % ', '.join(suggestions)
    else:
        hint = 'no catalog name is close; list them with the labfleet.zoo.catalog lookup'
    raise ZooError('unknown model %r: %s' % (key, hint))


def archive_filename(key):
    """The archive's file name on mirrors, ``<key>.tar.gz``.

    It is the upstream file name for every model but ExtremeNet, whose two upstream files are both
    ``extremenet.tar.gz``: mirrors keep them apart under their keys.
    """
    return '%s.tar.gz' % get(key)['key']


def _tflite_value(tflite):
    if tflite is None:
        return None
    if isinstance(tflite, bool):
        return 'yes' if tflite else 'no'
    if isinstance(tflite, str) and tflite in TFLITE:
        return tflite
    raise ZooError('tflite must be one of %s, true or false, got %r' % (', '.join(TFLITE), tflite))


def select(family=None, tflite=None, input_size=None):
    """Entries (copies, catalog order) matching every filter given; None means any."""
    if family is not None and family not in FAMILIES:
        raise ZooError('unknown model family %r: choose from %s' % (family, ', '.join(FAMILIES)))
    tflite = _tflite_value(tflite)
    return [
        copy.deepcopy(entry) for entry in MODELS
        if (family is None or entry['family'] == family)
        and (tflite is None or entry['tflite'] == tflite)
        and (input_size is None or entry['input_size'] == input_size)
    ]
