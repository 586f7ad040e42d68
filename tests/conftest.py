"""Fixtures shared by the unit and the integration tiers (their code lives in tests/support, imported as
``ansible_collections.labfleet.zoo.tests.support``: pytest.ini puts collections/ on sys.path, ansible-test puts the
collection's parent there)."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support.trees import can_mount, mounted_tmpfs
from ansible_collections.labfleet.zoo.tests.support.zoo import archive_table, build_small_zoo


@pytest.fixture
def tmpfs(tmp_path):
    """A freshly mounted 4 MiB tmpfs (the tests run as root); unmounted afterwards."""
    with mounted_tmpfs(tmp_path / 'tmpfs') as mnt:
        yield mnt


@pytest.fixture(scope='session')
def zoo_root(tmp_path_factory):
    """A folder of small deterministic synthetic archives (support/zoo.SMALL_ARCHIVES), built once."""
    root = tmp_path_factory.mktemp('small_zoo')
    build_small_zoo(root)
    return root


@pytest.fixture(scope='session')
def archives(zoo_root):
    """{key: {'path', 'sha256', 'size', 'filename'}} of zoo_root's archives."""
    return archive_table(zoo_root)


def pytest_collection_modifyitems(config, items):
    if not can_mount():
        skip = pytest.mark.skip(reason='mounting a tmpfs needs root')
        for item in items:
            if 'tmpfs' in getattr(item, 'fixturenames', ()):
                item.add_marker(skip)
