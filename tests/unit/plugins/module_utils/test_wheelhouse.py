"""The wheelhouse's pure parts: wheel file names, pinned requirement lines, the pip download command per platform,
the PEP 503 pages (the download itself, against a real index: tests/integration/test_wheelhouse.py)."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _lab, _wheelhouse

NUMPY = 'numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl'


@pytest.mark.parametrize('filename, expected', [
    (NUMPY, ('numpy', '2.4.6')),
    ('typing_extensions-4.16.0-py3-none-any.whl', ('typing-extensions', '4.16.0')),
    ('ai_edge_litert-2.3.0-1-cp311-cp311-manylinux_2_27_aarch64.whl', ('ai-edge-litert', '2.3.0')),   # build tag
])
def test_a_wheel_file_name_gives_its_distribution_and_version(filename, expected):
    assert _lab.wheel_requirement(filename) == expected


@pytest.mark.parametrize('filename', [NUMPY + '\n', '../' + NUMPY, 'numpy-2.4.6.tar.gz', 'numpy 2-x-y-z.whl',
                                      '.numpy-2-cp311-cp311-any.whl', 'n' * 250 + '-1-py3-none-any.whl'],
                         ids=['newline', 'slash', 'sdist', 'space', 'dot', 'too-long'])
def test_anything_else_is_not_a_wheel_file_name(filename):
    with pytest.raises(ValueError, match='is not a wheel file name'):
        _lab.wheel_requirement(filename)


def test_pinned_lines_hold_every_hash_of_a_distribution_on_one_line():
    other = NUMPY.replace('aarch64.manylinux_2_28_aarch64', 'x86_64')
    lines = _wheelhouse.pinned_lines({NUMPY: {'sha256': 'ab' * 32, 'size': 1}, other: {'sha256': 'cd' * 32},
                                      'tqdm-4.70.1-py3-none-any.whl': 'ef' * 32})
    assert lines == ['numpy==2.4.6 --hash=sha256:%s --hash=sha256:%s' % ('ab' * 32, 'cd' * 32),
                     'tqdm==4.70.1 --hash=sha256:%s' % ('ef' * 32)]
    with pytest.raises(ValueError, match="the pinned wheel .* has no sha256"):
        _wheelhouse.pinned_lines({NUMPY: {'sha256': 'AB' * 32}})


def test_the_download_command_names_the_platform_and_pins_when_told():
    cmd = _wheelhouse.download_command('/usr/bin/python3', 'armv7l-py3.11-glibc2.36', '/tmp/d')
    assert cmd[:3] == ['/usr/bin/python3', '-m', 'pip'] and '--only-binary=:all:' in cmd
    assert cmd[cmd.index('--python-version') + 1] == '3.11' and cmd[cmd.index('--abi') + 1] == 'cp311'
    tags = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == '--platform']
    assert 'manylinux_2_36_armv7l' in tags and 'manylinux_2_17_armv7l' in tags and 'linux_armv7l' in tags
    assert '--no-deps' in cmd and cmd[-1] == 'tflite-runtime==2.14.0'      # 32-bit: the distribution's numpy
    assert '--index-url' not in cmd                                           # pip's own configuration
    pinned = _wheelhouse.download_command('/usr/bin/python3', 'aarch64-py3.11-glibc2.36', '/tmp/d',
                                          index_url='http://127.0.0.1:1/simple/', requirements_file='/tmp/d/r.txt')
    assert pinned[-5:] == ['--no-cache-dir', '--require-hashes', '--no-deps', '-r', '/tmp/d/r.txt']
    assert pinned[pinned.index('--index-url') + 1] == 'http://127.0.0.1:1/simple/'


def test_the_index_pages_escape_and_link_inside_the_wheelhouse():
    pages = _wheelhouse.index_pages({NUMPY: 'ab' * 32, 'ai_edge_litert-2.3.0-cp311-cp311-manylinux_2_27_aarch64.whl':
                                     'cd' * 32})
    assert sorted(pages) == ['simple/ai-edge-litert/index.html', 'simple/index.html', 'simple/numpy/index.html']
    assert '<a href="numpy/">numpy</a>' in pages['simple/index.html']
    assert '<a href="../../wheels/%s#sha256=%s">' % (NUMPY, 'ab' * 32) in pages['simple/numpy/index.html']
