"""Synthetic zoos served on 127.0.0.1 (tools/fixtures): the archives a test session installs from."""

from __future__ import annotations

import contextlib

from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer

MiB = 1024 * 1024

# The module_utils tests' small archives (key -> bytes of random payload), built once per session.
SMALL_ARCHIVES = {
    'fetchme': 3 * MiB,            # fetch tests: several cut offsets fit in it
    'small_model': 512 * 1024,     # install tests
    'other_model': 512 * 1024,
}
# An archive whose top directory differs from its file name (url-only installs).
ODD_TOP = ('odd_name', 'the_real_top')


def build_small_zoo(root):
    """SMALL_ARCHIVES and the ODD_TOP archive, built in ``root``."""
    for key, size in SMALL_ARCHIVES.items():
        build_archive(root, key, size=size, seed=len(key))
    build_archive(root, ODD_TOP[0], size=256 * 1024, seed=7, top_dir=ODD_TOP[1])


def archive_table(root):
    """{key: {'path', 'filename', 'sha256', 'size'...}} of the archives in ``root``."""
    out = {}
    for path in sorted(root.glob('*.tar.gz')):
        info = dict(archive_info(path))
        info.update(path=path, filename=path.name)
        out[path.name[:-len('.tar.gz')]] = info
    return out


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
