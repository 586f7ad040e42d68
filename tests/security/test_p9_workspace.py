"""The whole workspace as root (labfleet.zoo.workspace, the workstation role's one task) in a tree the student owns:
whatever link, hard link or file the student plants where the workspace's folders and files go, nothing outside
is written, created, chowned, chmod-ed or deleted, the student's own work stays, and the outcome is a clean message
or a run that leaves the planted entry alone. Root runs the real module through the ansible CLI."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.lab import PC, run
from ansible_collections.labfleet.zoo.tests.support.trees import snapshot

pytestmark = pytest.mark.slow

PROJECT = 'faces_cubes'
TRAINING = '../training/%s' % PROJECT      # relative to dest (pre_trained), where the student's shell starts


def params(lab, upstream, **kw):
    out = dict(root=str(lab.home / 'tod_tf2'), user=lab.user, projects=[{'name': PROJECT, 'classes': ['a', 'b']}],
               profile='pc', models=[PC], upstream=upstream.url, timeout=5, retries=1)
    out.update(kw)
    return out


ATTACKS = {
    # where the student plants it: (shell script as the student, the path the message must name or None)
    'training-folder-link': ('ln -s {outside}/dir %s' % TRAINING, 'training/%s' % PROJECT),
    'images-folder-link': ('mkdir -p ../images && ln -s {outside}/dir ../images/%s' % PROJECT, 'images/%s' % PROJECT),
    'images-train-file': ('mkdir -p ../images/%s && : > ../images/%s/train' % (PROJECT, PROJECT), 'train'),
    'model-training-link': ('mkdir -p %s && ln -s {outside}/dir %s/%s' % (TRAINING, TRAINING, PC), PC),
    'label-map-link': ('mkdir -p %s && ln -s {outside}/victim.txt %s/label_map.pbtxt' % (TRAINING, TRAINING),
                       'label_map.pbtxt'),
    'label-map-hard-link': ('mkdir -p %s && ln {outside}/shared.txt %s/label_map.pbtxt' % (TRAINING, TRAINING), None),
    'pipeline-config-link': ('mkdir -p %s/%s && ln -s {outside}/victim.txt %s/%s/pipeline.config'
                             % (TRAINING, PC, TRAINING, PC), 'pipeline.config'),
    'run-record-link': ('ln -s {outside}/victim.txt ../.labfleet-zoo-provisioned.json', None),
    'workspace-root-link': ('mv ../../tod_tf2 ../../tod_tf2.old && ln -s {outside}/dir ../../tod_tf2', 'tod_tf2'),
}


@pytest.mark.parametrize('attack', sorted(ATTACKS), ids=sorted(ATTACKS))
def test_planted_entries_are_never_followed(lab, upstream, attack):
    script, named = ATTACKS[attack]
    lab.as_student(script.format(outside=lab.outside))
    lab.remember_outside()
    outside_before = snapshot(lab.outside)
    notes = lab.home / ('tod_tf2.old' if attack == 'workspace-root-link' else 'tod_tf2') / 'training' / 'notes.txt'
    result = run(params(lab, upstream), module='labfleet.zoo.workspace')
    assert snapshot(lab.outside) == outside_before, lab.changes_outside()
    assert notes.read_text() == 'my work\n'
    assert 'Traceback' not in result.text and 'MODULE FAILURE' not in result.text, result.text[-3000:]
    if named:
        assert result.failed and named in result.msg, result
    if result.failed:
        assert result.msg and len(result.msg) < 4000, result
    for entry in ('victim.txt', 'shared.txt'):
        assert (lab.outside / entry).stat().st_uid == 0


def test_a_clean_workspace_belongs_to_the_student_and_a_rerun_changes_nothing(lab, upstream):
    outside_before = snapshot(lab.outside)
    first = run(params(lab, upstream), module='labfleet.zoo.workspace')
    assert not first.failed and first.result['changed'], first
    ws = lab.home / 'tod_tf2'
    for path in [ws, ws / 'images' / PROJECT / 'train', ws / 'training' / PROJECT / 'label_map.pbtxt',
                 ws / 'training' / PROJECT / PC / 'pipeline.config', ws / '.labfleet-zoo-provisioned.json',
                 ws / 'pre_trained' / PC / 'pipeline.config']:
        st = os.lstat(str(path))
        assert (st.st_uid, st.st_gid) == (lab.uid, lab.gid), path
    again = run(params(lab, upstream), module='labfleet.zoo.workspace')
    assert not again.failed and not again.result['changed'], again
    assert snapshot(lab.outside) == outside_before
