"""Fixtures for integration tests: a synthetic zoo on 127.0.0.1 (ansible-playbook runs: support/runner.py)."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.zoo import served
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info


class Zoo(object):
    """A synthetic zoo served on 127.0.0.1: ``server`` counts requests, ``sha256`` per key."""

    def __init__(self, root, server, keys):
        self.root, self.server = root, server
        self.sha256 = {key: archive_info(root / (key + '.tar.gz'))['sha256'] for key in keys}


@pytest.fixture(scope='session')
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp('zoo')
    keys = [PC_MODEL, PI_MODEL, 'my_detector']
    with served(root, keys, size=1024 * 1024) as server:
        yield Zoo(root, server, keys)
