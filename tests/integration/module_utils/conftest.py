"""The module_utils tests that need a real HTTP server: the session's small zoo (tests/conftest.py) served on
127.0.0.1 by tools/fixtures/zoo_server.py, whose faults (cuts, stalls, Range refused, 5xx) are real."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support.zoo import reset
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer


@pytest.fixture(scope='session')
def _session_server(zoo_root):
    with ZooServer(str(zoo_root)) as server:
        yield server


@pytest.fixture
def server(_session_server):
    """The session's server, with counters, plans and the ignore-Range switch reset for each test."""
    reset(_session_server)
    yield _session_server
    reset(_session_server)
