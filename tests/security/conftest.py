"""Fixtures of the hostile-lab suite (issue 10): root runs the module on a dest that a real student user owns.

Every property of the issue has its own file (test_p<N>_*.py), so that the report counts the attacks per property.
"""

from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.labfleet.zoo.tests.support import archives
from ansible_collections.labfleet.zoo.tests.support.lab import KEY, PC, HostileLab
from ansible_collections.labfleet.zoo.tests.support.zoo import reset
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    # The attacks need a second Unix user and root: in CI (root) they always run; elsewhere they are skipped.
    if os.environ.get('CI'):
        raise pytest.UsageError('tests/security must run as root in CI')
    skip = pytest.mark.skip(reason='the hostile-lab suite runs as root (a real student user attacks root)')
    for item in items:
        if 'tests/security/' in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope='session')
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp('security-zoo')
    os.chmod(str(root), 0o755)
    paths = {KEY: build_archive(root, KEY, size=600 * 1024, seed=11),
             PC: build_archive(root, PC, size=700 * 1024, seed=12)}
    shutil.copyfile(str(paths[KEY]), str(root / 'other_name.tar.gz'))  # same top directory, another name
    (root / 'wrongtop.tar.gz').write_bytes(archives.tgz(archives.zoo_tree('not_the_catalog_top')))
    return root, dict((k, dict(archive_info(p), path=p)) for k, p in paths.items())


@pytest.fixture(scope='session')
def _servers(zoo):
    with ZooServer(str(zoo[0])) as upstream, ZooServer(str(zoo[0])) as mirror:
        yield upstream, mirror


@pytest.fixture
def upstream(_servers):
    reset(_servers[0])
    yield _servers[0]
    reset(_servers[0])


@pytest.fixture
def mirror(_servers):
    reset(_servers[1])
    yield _servers[1]
    reset(_servers[1])


@pytest.fixture
def lab():
    lab = HostileLab()
    try:
        yield lab
    finally:
        lab.close()
