"""_fs and the URL helpers of _fetch: the pure functions the hostile-lab defences stand on (no servers)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import redact, same_resource, secrets_of


@pytest.mark.parametrize('rel,ok', [
    ('pipeline.config', True), ('checkpoint/ckpt-0.index', True), ('a/' * 31 + 'b', True),
    ('', False), ('/etc/passwd', False), ('../x', False), ('a/../b', False), ('a//b', False), ('./a', False),
    ('a/', False), ('a\x00b', False), ('a/' * 32 + 'b', False), ('n' * 256, False), (['a'], False),
    ('caf\udce9', False),
], ids=lambda v: repr(v)[:20])
def test_check_rel(rel, ok):
    assert _fs.check_rel(rel) is ok


def test_text_is_serialisable_and_cut():
    assert _fs.text('caf\udce9') == 'caf\ufffd'
    assert _fs.text(b'\xff') == '\ufffd'
    assert _fs.text('a\x00b') == 'a\\0b'
    long = _fs.text('x' * 5000)
    assert len(long) < 400 and long.endswith('(5000 characters in all)')


@pytest.mark.parametrize('url,shown', [
    ('http://u:pw@host:8080/a.tar.gz', 'http://***@host:8080/a.tar.gz'),
    ('https://token@host/a', 'https://***@host/a'),
    ('https://host/a', 'https://host/a'),
    ('file:///srv/a.tar.gz', 'file:///srv/a.tar.gz'),
])
def test_redact(url, shown):
    assert redact(url) == shown


def test_secrets_of_are_passwords_only():
    assert secrets_of(['http://lab:p%40ss@h/', 'http://h/', '']) == {'p%40ss', 'p@ss'}


@pytest.mark.parametrize('a,b,same', [
    ('http://d.org/x.tar.gz', 'https://d.org/x.tar.gz', True),
    ('https://d.org/x.tar.gz', 'https://d.org/x.tar.gz', True),
    ('http://d.org/x.tar.gz', 'http://mirror/x.tar.gz', False),
    ('file:///x.tar.gz', 'http:///x.tar.gz', False),
])
def test_same_resource(a, b, same):
    assert same_resource(a, b) is same


def test_remove_tree_keeps_what_another_user_owns_and_never_follows(tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'keep').write_text('x')
    tree = tmp_path / 'tree' / 'a' / 'b'
    tree.mkdir(parents=True)
    (tree / 'f').write_text('x')
    (tree / 'link').symlink_to(outside)

    def theirs(rel, _st):
        return not rel.endswith('f')  # pretend f is someone else's

    fd = os.open(str(tmp_path), os.O_RDONLY)
    try:
        assert _fs.remove_tree(fd, 'tree', mine=theirs) == ['a/b/f', 'a/b', 'a', '']
        assert _fs.remove_tree(fd, 'tree') == []
    finally:
        os.close(fd)
    assert (outside / 'keep').exists() and not (tmp_path / 'tree').exists()


@pytest.fixture
def folder_fd(tmp_path):
    fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def test_atomic_file_appears_whole_with_its_mode_whatever_the_umask(tmp_path, folder_fd):
    old = os.umask(0o077)
    try:
        with _fs.AtomicFile(folder_fd, 'f', 0o644) as out:
            out.write(b'part')
            assert sorted(os.listdir(str(tmp_path)))[0].startswith('f.') and not (tmp_path / 'f').exists()
            out.write(b' two')
    finally:
        os.umask(old)
    assert (tmp_path / 'f').read_bytes() == b'part two' and os.listdir(str(tmp_path)) == ['f']
    assert (tmp_path / 'f').stat().st_mode & 0o777 == 0o644


def test_atomic_file_error_leaves_the_old_file_and_no_temporary(tmp_path, folder_fd):
    (tmp_path / 'f').write_bytes(b'old')
    with pytest.raises(ValueError):
        with _fs.AtomicFile(folder_fd, 'f', hidden=True) as out:
            out.write(b'new')
            assert [n for n in os.listdir(str(tmp_path)) if n != 'f'][0].startswith('.f.')
            raise ValueError('stop')
    assert (tmp_path / 'f').read_bytes() == b'old' and os.listdir(str(tmp_path)) == ['f']


def test_atomic_file_replaces_a_link_never_writes_through_it(tmp_path, folder_fd):
    target = tmp_path / 'target'
    target.write_bytes(b'not yours')
    (tmp_path / 'f').symlink_to(target)
    _fs.write_atomic(folder_fd, 'f', b'mine')
    assert target.read_bytes() == b'not yours'
    assert not (tmp_path / 'f').is_symlink() and (tmp_path / 'f').read_bytes() == b'mine'


def test_atomic_file_sets_attrs_before_it_appears(tmp_path, folder_fd):
    attrs = _fs.attrs_from(mode='0600')
    _fs.write_atomic(folder_fd, 'f', b'x', 0o644, attrs)
    assert (tmp_path / 'f').stat().st_mode & 0o777 == 0o600


def test_fix_attrs_at_predicts_in_check_mode_and_refuses_links(tmp_path, folder_fd):
    (tmp_path / 'f').write_bytes(b'x')
    os.chmod(str(tmp_path / 'f'), 0o600)
    attrs = _fs.attrs_from(mode='0644')
    assert _fs.fix_attrs_at(folder_fd, 'f', attrs, check_mode=True) is True
    assert (tmp_path / 'f').stat().st_mode & 0o777 == 0o600
    assert _fs.fix_attrs_at(folder_fd, 'f', attrs) is True
    assert _fs.fix_attrs_at(folder_fd, 'f', attrs, check_mode=True) is False
    (tmp_path / 'link').symlink_to(tmp_path / 'f')
    with pytest.raises(OSError):
        _fs.fix_attrs_at(folder_fd, 'link', attrs)
