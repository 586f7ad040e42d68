"""Synthetic zoos served on 127.0.0.1 (tools/fixtures): the archives a test session installs from."""

from __future__ import annotations

import contextlib

from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer


@contextlib.contextmanager
def served(root, keys, size, seed=0):
    """Synthetic archives of ``keys`` (``size`` bytes each) built in ``root`` and served while the block runs."""
    for key in keys:
        build_archive(root, key, size=size, seed=seed)
    with ZooServer(root) as server:
        yield server


def reset(server):
    """Back to serving normally: no planned fault, Range honoured, counters at zero."""
    server.ignore_range = False
    server.clear_plans()
    server.reset_counters()
