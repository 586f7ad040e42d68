"""Fixtures of the mirror tests: the "upstream" zoo server and the lab with its mirror (see mirror_lab.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mirror_lab import MirrorFleet, Nginx  # noqa: E402  (puts tests/fleet on sys.path for harness)
from harness import ARCHIVE_SIZE, MODELS, free_port  # noqa: E402


@pytest.fixture(scope='session')
def upstream(tmp_path_factory):
    """The "internet": the fleet's four models as small synthetic archives on 127.0.0.1, counting bytes per file."""
    from synthetic_zoo import build_archive
    from zoo_server import ZooServer
    root = tmp_path_factory.mktemp('upstream_zoo')
    for key in MODELS:
        build_archive(root, key, size=ARCHIVE_SIZE)
    with ZooServer(root) as server:
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
