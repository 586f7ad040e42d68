"""Property 2: a folder we did not create is never deleted or replaced; the archive's top directory must be the
catalog's. Root runs the real module on the student's dest."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.lab import KEY, PC, run
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot

pytestmark = pytest.mark.slow


def student_folder(lab, name):
    """A folder of the student's own at the model's path, e.g. a copy extracted by hand, with their notes."""
    lab.as_student('mkdir -p {n}/checkpoint && echo mine > {n}/checkpoint/ckpt-0.index && '
                   'echo "my notes" > {n}/NOTES.txt'.format(n=name))
    return snapshot(lab.model(name))


def test_a_students_folder_at_the_model_path_is_set_aside_not_deleted(lab, upstream):
    before = student_folder(lab, KEY)
    out = run(lab.params(url=upstream.url_for(KEY + '.tar.gz')))
    assert not out.failed and out.result['action'] == 'installed', out
    aside = out.result['set_aside']
    assert len(aside) == 1 and aside[0].startswith(str(lab.work)), out
    assert snapshot(aside[0]) == before
    assert any('not an install of labfleet.zoo' in w and aside[0] in w for w in out.result['warnings']), out
    assert lab.changes_outside() == []


def test_check_mode_sets_nothing_aside(lab, upstream):
    before = student_folder(lab, KEY)
    out = run(lab.params(url=upstream.url_for(KEY + '.tar.gz')), check=True)
    assert not out.failed and out.result['changed'], out
    assert snapshot(lab.model(KEY)) == before and not lab.work.exists()


def test_state_absent_leaves_a_folder_that_is_not_ours(lab, upstream):
    before = student_folder(lab, KEY)
    out = run(lab.params(url=upstream.url_for(KEY + '.tar.gz'), state='absent'))
    assert not out.failed and out.result['changed'] is False, out
    assert any('left alone' in w for w in out.result['warnings']), out
    assert snapshot(lab.model(KEY)) == before


def test_files_a_student_added_inside_an_install_survive_removal_and_force(lab, upstream):
    url = upstream.url_for(KEY + '.tar.gz')
    lab.install(url)
    lab.as_student('echo "my results" > %s/checkpoint/results.txt' % KEY)
    out = run(lab.params(url=url, force=True))
    assert not out.failed and out.result['action'] == 'installed', out
    kept = out.result['kept'][0]
    assert open(os.path.join(kept, 'tree', 'checkpoint', 'results.txt')).read() == 'my results\n'
    assert sorted(os.listdir(os.path.join(kept, 'tree'))) == ['checkpoint']  # the install's own files: gone
    lab.as_student('echo "again" > %s/NOTES.txt' % KEY)
    gone = run(lab.params(url=url, state='absent'))
    assert not gone.failed and gone.result['action'] == 'removed', gone
    assert not lab.model(KEY).exists()
    assert open(os.path.join(gone.result['kept'][0], 'tree', 'NOTES.txt')).read() == 'again\n'


def test_archive_top_directory_must_be_the_catalogs(lab, upstream):
    out = run(lab.params(name=PC, url=upstream.url_for('wrongtop.tar.gz')))
    assert out.failed, out
    assert "'not_the_catalog_top'" in out.msg and repr(PC) in out.msg, out
    assert os.listdir(str(lab.dest)) == ['.labfleet-zoo']
    assert sorted(os.listdir(str(lab.work))) == [PC + '.lock']


def test_a_model_with_the_same_top_dir_of_another_key_is_not_replaced(lab, upstream):
    """A url install whose archive's top directory is another model's folder fails, naming both."""
    lab.install(upstream.url_for(KEY + '.tar.gz'))
    before = snapshot(lab.model(KEY))
    out = run(lab.params(url=upstream.url_for('other_name.tar.gz')))
    assert out.failed and 'would replace model %s' % KEY in out.msg, out
    assert snapshot(lab.model(KEY)) == before
