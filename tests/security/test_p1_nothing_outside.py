"""Property 1: nothing outside the model's folder and <dest>/.labfleet-zoo/ is written, created, chowned, chmod-ed
or deleted, whatever the marker says and whatever links the student plants. Root runs the real module."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.lab import KEY, PC, run

pytestmark = pytest.mark.slow


def installed(lab, upstream):
    """KEY installed for the student (as root), then the attack; returns the model folder."""
    result = lab.install(upstream.url_for(KEY + '.tar.gz'))
    assert result['action'] == 'installed'
    return lab.model(KEY)


def rerun(lab, upstream, **kw):
    return run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), **kw))


def edit_marker(lab, folder, change):
    """The student rewrites the marker with ``change(record)`` (as the student: it is their file)."""
    record = json.loads((folder / '.labfleet-zoo.json').read_text())
    change(record)
    text = json.dumps(record).replace("'", "'\\''")
    lab.as_student("printf '%%s' '%s' > '%s/.labfleet-zoo.json'" % (text, folder))


@pytest.mark.parametrize('evil', [
    lambda lab: '../../../../outside/victim.txt',
    lambda lab: str(lab.outside / 'victim.txt'),
    lambda lab: 'checkpoint/../../../../../outside/victim.txt',
    lambda lab: 'checkpoint/\x00/victim.txt',
], ids=['dotdot', 'absolute', 'dotdot-inside', 'nul'])
def test_marker_listing_a_path_outside_is_no_marker(lab, upstream, evil):
    folder = installed(lab, upstream)
    size = (lab.outside / 'victim.txt').stat().st_size

    def change(record):
        record['files'][evil(lab)] = [size, '0' * 64]
        record['dirs'].append(evil(lab))
    edit_marker(lab, folder, change)
    out = rerun(lab, upstream, mode='0666', verify='full')
    assert not out.failed, out
    assert out.result['changed'] and out.result['action'] == 'installed', out  # the folder was not ours anymore
    assert len(out.result['set_aside']) == 1, out  # the student's edited folder is kept, not deleted
    assert lab.changes_outside() == []


def test_subfolder_replaced_by_a_link_out_is_never_followed(lab, upstream):
    folder = installed(lab, upstream)
    lab.as_student('mv %s/checkpoint %s/checkpoint.mine && ln -s %s %s/checkpoint'
                   % (folder, folder, lab.outside, folder))
    out = rerun(lab, upstream, mode='0600', verify='full')
    assert not out.failed, out
    assert out.result['action'] == 'repaired', out
    assert any('not a real folder' in p or 'instead of a directory' in p for p in out.result['problems']), out
    assert lab.changes_outside() == []
    assert (folder / 'checkpoint').is_dir() and not (folder / 'checkpoint').is_symlink()


def test_file_replaced_by_a_link_out_is_not_chowned_through(lab, upstream):
    folder = installed(lab, upstream)
    lab.as_student('rm %s/pipeline.config && ln -s %s %s/pipeline.config'
                   % (folder, lab.outside / 'victim.txt', folder))
    out = rerun(lab, upstream, mode='0666')
    assert not out.failed, out
    assert any('pipeline.config: not a regular file' in p for p in out.result['problems']), out
    assert lab.changes_outside() == []


def test_hard_link_to_a_root_file_is_never_chowned(lab, upstream):
    """The student may hard-link a file of root's that it can write (fs.protected_hardlinks allows it); the same
    size as an installed file makes it look intact to a quick check: owner/mode must still not reach it."""
    folder = installed(lab, upstream)
    size = (folder / 'pipeline.config').stat().st_size
    shared = lab.outside / 'shared.txt'
    shared.write_bytes(b'y' * size)
    lab.remember_outside()
    lab.as_student('rm %s/pipeline.config && ln %s %s/pipeline.config' % (folder, shared, folder))
    out = rerun(lab, upstream, mode='0600')
    assert not out.failed, out
    assert any('hard links' in p for p in out.result['problems']), out
    assert lab.changes_outside() == []
    st = shared.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o666)


def test_model_folder_replaced_by_a_link_to_a_crafted_tree(lab, upstream):
    """A link at the model's path to a folder with a copied marker: set aside as a link, never entered."""
    folder = installed(lab, upstream)
    decoy = lab.outside / 'dir'
    for entry in os.listdir(str(folder)):
        src = folder / entry
        if src.is_file():
            (decoy / entry).write_bytes(src.read_bytes())
    lab.remember_outside()
    lab.as_student('mv %s %s.mine && ln -s %s %s' % (folder, folder, decoy, folder))
    out = rerun(lab, upstream, mode='0600')
    assert not out.failed, out
    assert out.result['action'] == 'installed', out
    aside = out.result['set_aside'][0]
    assert os.path.islink(aside) and os.readlink(aside) == str(decoy)
    assert folder.is_dir() and not folder.is_symlink()
    assert lab.changes_outside() == []


def test_work_folder_replaced_by_a_link_is_refused(lab, upstream):
    lab.as_student('ln -s %s .labfleet-zoo' % (lab.outside / 'dir'))
    out = rerun(lab, upstream)
    assert out.failed
    assert 'is a symbolic link' in out.msg and 'Remove it' in out.msg, out
    assert 'Traceback' not in out.text
    assert lab.changes_outside() == []


@pytest.mark.parametrize('plant', ['ln -s {outside}/dir/created .labfleet-zoo/{key}.lock',
                                   'ln -s {outside}/victim.txt .labfleet-zoo/{key}.lock',
                                   'mkfifo .labfleet-zoo/{key}.lock',
                                   'touch .labfleet-zoo/{key}.lock'],
                         ids=['dangling-symlink', 'symlink', 'fifo', 'student-file'])
def test_planted_lock_file_is_replaced_never_followed_never_waited_on(lab, upstream, plant):
    """Whatever the student put at the lock's name (the student owns .labfleet-zoo here, as after runs made
    without become): it is replaced, said so, and the install goes on; its target is never touched."""
    lab.as_student('mkdir .labfleet-zoo && ' + plant.format(outside=lab.outside, key=KEY))
    out = rerun(lab, upstream, timeout=2)
    assert not out.failed and out.result['action'] == 'installed', out
    assert any('not the lock file labfleet.zoo made' in w for w in out.result['warnings']), out
    st = os.lstat(str(lab.work / (KEY + '.lock')))
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o600
    assert not (lab.outside / 'dir' / 'created').exists()
    assert lab.changes_outside() == []


def test_a_folder_at_the_lock_name_is_refused(lab, upstream):
    lab.as_student('mkdir -p .labfleet-zoo/%s.lock/inside' % KEY)
    out = rerun(lab, upstream)
    assert out.failed and 'is a folder' in out.msg and 'Remove it' in out.msg, out
    assert (lab.work / (KEY + '.lock') / 'inside').is_dir()


def test_planted_links_in_the_work_folder_are_not_followed(lab, upstream):
    """Links named like our staging/old entries point outside: the run ignores them and deletes nothing there."""
    lab.as_student('mkdir .labfleet-zoo && ln -s {o}/dir .labfleet-zoo/{k}.staging.aaaa && '
                   'ln -s {o}/dir .labfleet-zoo/{k}.old.bbbb && mkdir .labfleet-zoo/{k}.old.cccc && '
                   'ln -s {o}/dir .labfleet-zoo/{k}.old.cccc/tree'.format(o=lab.outside, k=KEY))
    out = rerun(lab, upstream)
    assert not out.failed and out.result['action'] == 'installed', out
    assert sorted(os.listdir(str(lab.work))) == sorted([KEY + '.lock', KEY + '.staging.aaaa', KEY + '.old.bbbb',
                                                        KEY + '.old.cccc'])
    assert lab.changes_outside() == []


def test_dest_itself_may_be_a_link_the_admin_made(lab, upstream):
    real = lab.home / 'tod_tf2' / 'models-on-big-disk'
    real.mkdir()
    os.chown(str(real), lab.uid, lab.gid)
    link = lab.home / 'tod_tf2' / 'linked'
    link.symlink_to(real)
    out = run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), dest=str(link)))
    assert not out.failed and out.result['action'] == 'installed', out
    assert (real / KEY / 'pipeline.config').is_file()
    assert (real / KEY).stat().st_uid == lab.uid


def test_catalog_install_as_root_gives_the_student_the_tree(lab, upstream):
    out = run(lab.params(name=PC, url=upstream.url_for(PC + '.tar.gz'), mode='u=rw,g=r,o=r'))
    assert not out.failed, out
    for dirpath, dirnames, filenames in os.walk(str(lab.model(PC))):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            st = os.lstat(name)
            assert (st.st_uid, st.st_gid) == (lab.uid, lab.gid), name
            if os.path.isfile(name):
                assert st.st_mode & 0o777 == 0o644, name
            else:
                assert st.st_mode & 0o777 == 0o755, name
    again = run(lab.params(name=PC, url=upstream.url_for(PC + '.tar.gz'), mode='u=rw,g=r,o=r'))
    assert not again.failed and again.result['changed'] is False, again


def pipeline_params(lab, src, dest, **kw):
    out = dict(src=str(src), dest=str(dest), num_classes=6, owner=lab.user, group=lab.group)
    out.update(kw)
    return out


@pytest.mark.parametrize('plant,words', [
    ('mkdir -p training/p && ln -s {outside}/dir training/p/m', 'link made by another user'),
    ('mkdir -p training/p/m && ln -s {outside}/victim.txt training/p/m/pipeline.config', 'not a regular file'),
    ('mkdir -p training/p/m && ln {outside}/shared.txt training/p/m/pipeline.config', None),
], ids=['folder-link', 'file-link', 'hard-link'])
def test_pipeline_config_never_writes_through_a_students_link(lab, upstream, plant, words):
    """The training folders are the student's too: a link planted on the way to dest is refused, never followed; a
    hard link is replaced by a new file (the name is rewritten, the linked file never is)."""
    folder = installed(lab, upstream)
    (lab.outside / 'shared.txt').write_bytes((folder / 'pipeline.config').read_bytes())
    lab.remember_outside()
    lab.as_student(plant.format(outside=lab.outside))
    dest = lab.dest / 'training' / 'p' / 'm' / 'pipeline.config'
    out = run(pipeline_params(lab, folder / 'pipeline.config', dest, enforce=True),
              module='labfleet.zoo.pipeline_config', diff=True)
    if words:
        assert out.failed and words in out.msg, out
    else:
        assert not out.failed and out.result['action'] == 'enforced', out
        assert dest.stat().st_nlink == 1 and dest.stat().st_uid == lab.uid
    assert 'root owns me' not in out.text  # nothing of root's file was read into a diff either
    assert lab.changes_outside() == []


def test_pipeline_config_does_not_read_a_linked_src(lab, upstream):
    folder = installed(lab, upstream)
    lab.as_student('rm %s/pipeline.config && ln -s %s %s/pipeline.config' % (folder, lab.outside / 'victim.txt',
                                                                             folder))
    out = run(pipeline_params(lab, folder / 'pipeline.config', lab.dest / 'train.config'),
              module='labfleet.zoo.pipeline_config', diff=True)
    assert out.failed and 'not a regular file' in out.msg, out
    assert 'root owns me' not in out.text
    assert lab.changes_outside() == [] and not (lab.dest / 'train.config').exists()


def test_dest_swapped_for_a_students_link_is_refused(lab, upstream):
    """The student owns ~/tod_tf2 and may swap pre_trained for a link: root follows the admin's links only."""
    lab.as_student('cd .. && mv pre_trained pre_trained.mine && ln -s %s pre_trained' % (lab.outside / 'dir'))
    for state in ('present', 'absent'):
        out = rerun(lab, upstream, state=state)
        assert out.failed and 'link made by another user' in out.msg, out
    info = run({'dest': str(lab.dest), 'verify': 'full'}, module='labfleet.zoo.model_info')
    assert not info.failed and info.result['models'] == [], info
    assert lab.changes_outside() == []
