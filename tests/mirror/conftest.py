"""Fixtures of the mirror tests: the "upstream" zoo server and the lab with its mirror (support/mirror.py)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.fleet import ARCHIVE_SIZE, MODELS, free_port
from ansible_collections.labfleet.zoo.tests.support.mirror import MirrorFleet
from ansible_collections.labfleet.zoo.tests.support.nginx import Nginx
from ansible_collections.labfleet.zoo.tests.support.zoo import served


@pytest.fixture(scope='session')
def upstream(tmp_path_factory):
    """The "internet": the fleet's four models as small synthetic archives on 127.0.0.1, counting bytes per file."""
    with served(tmp_path_factory.mktemp('upstream_zoo'), MODELS, size=ARCHIVE_SIZE) as server:
        yield server


@pytest.fixture(scope='session')
def mirror_fleet(tmp_path_factory, upstream):
    if os.geteuid() != 0:
        pytest.skip('the mirror tests need root: Unix users, sshd, nginx')
    the_fleet = MirrorFleet(tmp_path_factory.mktemp('mirror_fleet'), upstream.url, free_port())
    nginx = Nginx(the_fleet.dir / 'nginx', the_fleet.site, the_fleet.nginx_port)
    the_fleet.nginx = nginx
    try:
        the_fleet.start()
        yield the_fleet
    finally:
        nginx.stop()
        the_fleet.stop()
