"""Fixtures for integration tests: a synthetic zoo on 127.0.0.1 and ansible-playbook runs."""

from __future__ import annotations

import pytest

from playbook_run import PC_MODEL
from synthetic_zoo import archive_info, build_archive
from zoo_server import ZooServer


class Zoo(object):
    """A synthetic zoo served on 127.0.0.1: ``server`` counts requests, ``sha256`` per key."""

    def __init__(self, root, server, keys):
        self.root, self.server = root, server
        self.sha256 = {key: archive_info(root / (key + '.tar.gz'))['sha256'] for key in keys}


@pytest.fixture(scope='session')
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp('zoo')
    keys = [PC_MODEL, 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8', 'my_detector']
    for key in keys:
        build_archive(root, key, size=1024 * 1024)
    with ZooServer(root) as server:
        yield Zoo(root, server, keys)
