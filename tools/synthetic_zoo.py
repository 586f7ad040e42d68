#!/usr/bin/env python
"""A synthetic TF2 Detection Model Zoo: archives with the exact zoo layout, served on 127.0.0.1.

Each archive holds ``<top>/checkpoint/{checkpoint, ckpt-0.data-00000-of-00001, ckpt-0.index}``,
``<top>/pipeline.config`` and ``<top>/saved_model/{saved_model.pb, assets/, variables/...}`` with
random, incompressible weights from a seeded generator: same arguments, byte-identical archive.
Archives are cached beside a ``.json`` sidecar (written last) holding their parameters and sha256.

    python tools/synthetic_zoo.py build --out DIR [--size 212M] [--seed 0] [KEY ...]
    python tools/synthetic_zoo.py serve --dir DIR [--port 8000] [--size 2M] [KEY ...]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile
import zlib
from pathlib import Path

VERSION = 1
MTIME = 1594425600  # 2020-07-11, the zoo's release
DEFAULT_KEYS = (
    'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8',
    'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8',
    'ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8',
    'efficientdet_d0_coco17_tpu-32',
)
CHECKPOINT_TEXT = b'model_checkpoint_path: "ckpt-0"\nall_model_checkpoint_paths: "ckpt-0"\n'


def catalog_entry(key):
    """The catalog's entry for key, or None for an archive outside the catalog."""
    repo = Path(__file__).resolve().parents[1]
    if str(repo / 'collections') not in sys.path:
        sys.path.insert(0, str(repo / 'collections'))
    from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog
    return _catalog.CATALOG.get(key)


def parse_size(text):
    """'212M' -> 212*1024*1024; plain numbers are bytes."""
    text = str(text).strip().upper()
    factor = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


# --- pipeline.config -------------------------------------------------------------------------------

_FASTER_RCNN = '''# Faster R-CNN with Resnet-50 (v1)
# Trained on COCO, initialized from Imagenet classification checkpoint
#
# This config is TPU compatible.

model {
  faster_rcnn {
    num_classes: 90
    image_resizer {
      keep_aspect_ratio_resizer {
        min_dimension: %(h)d
        max_dimension: %(w)d
        pad_to_max_dimension: true
      }
    }
    feature_extractor {
      type: 'faster_rcnn_resnet50_keras'
      batch_norm_trainable: true
    }
    first_stage_anchor_generator {
      grid_anchor_generator {
        scales: [0.25, 0.5, 1.0, 2.0]
        aspect_ratios: [0.5, 1.0, 2.0]
        height_stride: 16
        width_stride: 16
      }
    }
    first_stage_max_proposals: 300
    second_stage_post_processing {
      batch_non_max_suppression {
        score_threshold: 0.0
        iou_threshold: 0.6
        max_detections_per_class: 100
        max_total_detections: 300
      }
      score_converter: SOFTMAX
    }
  }
}

train_config: {
  batch_size: 64
  sync_replicas: true
  startup_delay_steps: 0
  replicas_to_aggregate: 8
  num_steps: 25000
  optimizer {
    momentum_optimizer: {
      learning_rate: {
        cosine_decay_learning_rate {
          learning_rate_base: .04
          total_steps: 25000
          warmup_learning_rate: .013333
          warmup_steps: 2000
        }
      }
      momentum_optimizer_value: 0.9
    }
    use_moving_average: false
  }
  # Path to a classification checkpoint to start from.
  fine_tune_checkpoint: "PATH_TO_BE_CONFIGURED"
  fine_tune_checkpoint_type: "classification"
  data_augmentation_options {
    random_horizontal_flip {
    }
  }
  max_number_of_boxes: 100
  unpad_groundtruth_tensors: false
  use_bfloat16: true  # works only on TPUs
}

train_input_reader: {
  label_map_path: "PATH_TO_BE_CONFIGURED"
  tf_record_input_reader {
    input_path: "PATH_TO_BE_CONFIGURED"
  }
}

eval_config: {
  metrics_set: "coco_detection_metrics"
  use_moving_averages: false
  batch_size: 1;
}

eval_input_reader: {
  label_map_path: "PATH_TO_BE_CONFIGURED"
  shuffle: false
  num_epochs: 1
  tf_record_input_reader {
    input_path: "PATH_TO_BE_CONFIGURED"
  }
}
'''

_SSD = '''model {
  ssd {
    num_classes: 90
    image_resizer {
      fixed_shape_resizer {
        height: %(h)d
        width: %(w)d
      }
    }
    feature_extractor {
      type: "ssd_mobilenet_v2_fpn_keras"
      depth_multiplier: 1.0
      min_depth: 16
      pad_to_multiple: 1
      use_depthwise: true
      fpn {
        min_level: 3
        max_level: 7
        additional_layer_depth: 128
      }
    }
    box_coder {
      faster_rcnn_box_coder {
        y_scale: 10.0
        x_scale: 10.0
        height_scale: 5.0
        width_scale: 5.0
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
  sync_replicas: true
  optimizer {
    momentum_optimizer {
      learning_rate {
        cosine_decay_learning_rate {
          learning_rate_base: 0.07999999821186066
          total_steps: 50000
          warmup_learning_rate: 0.026666000485420227
          warmup_steps: 1000
        }
      }
      momentum_optimizer_value: 0.8999999761581421
    }
    use_moving_average: false
  }
  fine_tune_checkpoint: "PATH_TO_BE_CONFIGURED"
  num_steps: 50000
  startup_delay_steps: 0.0
  replicas_to_aggregate: 8
  max_number_of_boxes: 100
  unpad_groundtruth_tensors: false
  fine_tune_checkpoint_type: "classification"
  fine_tune_checkpoint_version: V2
  use_bfloat16: true
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


def pipeline_config(family, input_size=None, form=None):
    """A realistic pipeline.config: the commented template form for Faster R-CNN, else text-proto."""
    width, height = (int(v) for v in (input_size or '640x640').split('x'))
    if form == 'commented' or (form is None and family == 'faster_rcnn'):
        width, height = max(width, height), min(width, height)  # keep_aspect_ratio_resizer: min <= max
    form = form or ('commented' if family == 'faster_rcnn' else 'textproto')
    template = _FASTER_RCNN if form == 'commented' else _SSD
    return template % {'w': width, 'h': height}


# --- archives ----------------------------------------------------------------------------------------

class RandomReader(io.RawIOBase):
    """``size`` seeded random bytes, produced as they are read (bounded memory)."""

    def __init__(self, size, seed):
        self.left = size
        self.rng = random.Random(seed)

    def readable(self):
        return True

    def readinto(self, buf):
        n = min(len(buf), self.left, 1 << 20)
        buf[:n] = self.rng.randbytes(n)
        self.left -= n
        return n


def _layout(size, pipeline):
    """(relative name, size or bytes) of every member, directories as None."""
    weights = max(size - len(pipeline) - 4096, 2048)
    ckpt, variables = weights * 48 // 100, weights * 48 // 100
    return [
        ('', None), ('checkpoint', None),
        ('checkpoint/checkpoint', CHECKPOINT_TEXT),
        ('checkpoint/ckpt-0.data-00000-of-00001', ckpt),
        ('checkpoint/ckpt-0.index', 1024 + weights // 5000),
        ('pipeline.config', pipeline.encode()),
        ('saved_model', None),
        ('saved_model/saved_model.pb', weights - ckpt - variables),
        ('saved_model/assets', None),
        ('saved_model/variables', None),
        ('saved_model/variables/variables.data-00000-of-00001', variables),
        ('saved_model/variables/variables.index', 1024 + weights // 5000),
    ]


def _write_tar(out, top, members, seed):
    with tarfile.open(fileobj=out, mode='w', format=tarfile.GNU_FORMAT) as tar:
        for index, (rel, content) in enumerate(members):
            info = tarfile.TarInfo(top + '/' + rel if rel else top)
            info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, '', ''
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(content, bytes):
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
            else:
                info.size, info.mode = content, 0o644
                tar.addfile(info, io.BufferedReader(RandomReader(content, seed * 1000003 + index)))


class _HashingWriter(object):
    def __init__(self, fh):
        self.fh, self.sha256, self.size = fh, hashlib.sha256(), 0

    def write(self, data):
        self.sha256.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def flush(self):
        self.fh.flush()


def build_archive(out_dir, key, size=2 * 1024 * 1024, seed=0, top_dir=None, family=None):
    """Write (or reuse) ``<out_dir>/<key>.tar.gz``; returns its path."""
    entry = catalog_entry(key) or {}
    top = top_dir or entry.get('top_dir') or key
    family = family or entry.get('family') or 'ssd'
    params = dict(version=VERSION, size=int(size), seed=seed, top_dir=top, family=family)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / (key + '.tar.gz')
    sidecar = Path(str(path) + '.json')
    if path.exists() and sidecar.exists():
        cached = json.loads(sidecar.read_text())
        if cached.get('params') == params and cached.get('size') == path.stat().st_size:
            return path
    members = _layout(int(size), pipeline_config(family, entry.get('input_size')))
    tmp = path.with_name('.%s.%d.tmp' % (path.name, os.getpid()))
    with open(tmp, 'wb') as raw:
        writer = _HashingWriter(raw)
        with gzip.GzipFile(fileobj=writer, mode='wb', compresslevel=1, mtime=0, filename='') as gz:
            _write_tar(gz, top, members, seed + zlib.crc32(key.encode()))
    os.replace(tmp, path)
    sidecar.write_text(json.dumps(dict(params=params, sha256=writer.sha256.hexdigest(), size=writer.size)))
    return path


def archive_info(path):
    """{'sha256': ..., 'size': ...} of an archive built here (read from its sidecar)."""
    data = json.loads(Path(str(path) + '.json').read_text())
    return {'sha256': data['sha256'], 'size': data['size']}


def build_zoo(out_dir, keys=DEFAULT_KEYS, size=2 * 1024 * 1024, seed=0):
    return dict((key, build_archive(out_dir, key, size=size, seed=seed)) for key in keys)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    build = sub.add_parser('build', help='build (or reuse) archives')
    build.add_argument('--out', required=True)
    serve = sub.add_parser('serve', help='build, then serve on 127.0.0.1 until stopped')
    serve.add_argument('--dir', required=True)
    serve.add_argument('--port', type=int, default=0)
    for cmd in (build, serve):
        cmd.add_argument('--size', default='2M', help='approximate bytes per archive (K/M/G suffixes)')
        cmd.add_argument('--seed', type=int, default=0)
        cmd.add_argument('keys', nargs='*', default=list(DEFAULT_KEYS), metavar='KEY')
    args = parser.parse_args(argv)
    out = args.out if args.command == 'build' else args.dir
    for key, path in build_zoo(out, args.keys, parse_size(args.size), args.seed).items():
        info = archive_info(path)
        print('%s %d %s' % (key, info['size'], info['sha256']), flush=True)
    if args.command == 'serve':
        from zoo_server import ZooServer, serve_until_stopped
        serve_until_stopped(ZooServer(out, port=args.port))


if __name__ == '__main__':
    main()
