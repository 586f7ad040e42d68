"""Fixtures for the module_utils unit tests: a real tmpfs, small synthetic archives, a real HTTP server.

Nothing here mocks a fault: the server cuts, stalls and refuses for real, the tmpfs really fills up.
"""

from __future__ import annotations

import os
import subprocess

import pytest

MiB = 1024 * 1024

# Archives built once per session (key -> size in bytes of random payload).
ARCHIVES = {
    'fetchme': 3 * MiB,            # fetch tests: several cut offsets fit in it
    'small_model': 512 * 1024,     # install tests
    'other_model': 512 * 1024,
}
# An archive whose top directory differs from its file name (url-only installs).
ODD_TOP = ('odd_name', 'the_real_top')


@pytest.fixture
def tmpfs(tmp_path):
    """A freshly mounted 4 MiB tmpfs (the tests run as root); unmounted afterwards."""
    mnt = tmp_path / 'tmpfs'
    mnt.mkdir()
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(['umount', '-l', str(mnt)], check=False)


@pytest.fixture(scope='session')
def zoo_root(tmp_path_factory):
    """A folder of deterministic synthetic archives, built once: {key: Path}."""
    from synthetic_zoo import build_archive

    root = tmp_path_factory.mktemp('zoo')
    for key, size in ARCHIVES.items():
        build_archive(root, key, size=size, seed=len(key))
    build_archive(root, ODD_TOP[0], size=256 * 1024, seed=7, top_dir=ODD_TOP[1])
    return root


@pytest.fixture(scope='session')
def archives(zoo_root):
    """{key: {'path', 'sha256', 'size', 'filename'}} of the session's archives."""
    from synthetic_zoo import archive_info

    out = {}
    for path in sorted(zoo_root.glob('*.tar.gz')):
        key = path.name[:-len('.tar.gz')]
        info = dict(archive_info(path))
        info.update(path=path, filename=path.name)
        out[key] = info
    return out


@pytest.fixture(scope='session')
def _session_server(zoo_root):
    from zoo_server import ZooServer

    with ZooServer(str(zoo_root)) as server:
        yield server


@pytest.fixture
def server(_session_server):
    """The session's server, with counters, plans and the ignore-Range switch reset for each test."""
    srv = _session_server
    srv.ignore_range = False
    _clear_plans(srv)
    srv.reset_counters()
    yield srv
    srv.ignore_range = False
    _clear_plans(srv)


def _clear_plans(srv):
    plans = getattr(srv, 'clear_plans', None)
    if callable(plans):
        plans()
        return
    for attr in ('_plans', 'plans'):
        value = getattr(srv, attr, None)
        if isinstance(value, dict):
            value.clear()


def pytest_configure(config):
    config.addinivalue_line('markers', 'needs_root: mounts a tmpfs')


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason='mounting a tmpfs needs root')
        for item in items:
            if 'tmpfs' in getattr(item, 'fixturenames', ()):
                item.add_marker(skip)
