"""Students' files: a forced reinstall and a reprovision after damage (playbooks/provision.yml and reprovision.yml
on this machine) keep every file a student made or edited byte-identical."""

from __future__ import annotations

import random
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.reliability.common import MiB, Outcome, verify
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, REPO
from ansible_collections.labfleet.zoo.tests.support.runner import WORKSPACE_TASK
from ansible_collections.labfleet.zoo.tests.support.trees import files_state
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer


def run_playbook(playbook, extra_vars):
    """ansible-playbook on the repo's inventory (this machine); returns (rc, [(task, result)], text)."""
    run = runner.playbook(playbook, extra_vars, inventory=None, strict=False)
    return run.rc, run.tasks(), run.text


def _plant_student_files(ws, rng, model):
    files = {
        'images/faces_cubes/train/img_0001.jpg': rng.randbytes(150 * 1024),
        'images/faces_cubes/train/img_0001.xml': b'<annotation><object><name>one</name></object></annotation>\n',
        'images/faces_cubes/test/img_0100.jpg': rng.randbytes(90 * 1024),
        'images/faces_cubes/test/img_0100.xml': b'<annotation><object><name>two</name></object></annotation>\n',
        'training/faces_cubes/train.record': rng.randbytes(300 * 1024),
        'training/faces_cubes/test.record': rng.randbytes(80 * 1024),
        'training/faces_cubes/%s/ckpt-3.index' % model: rng.randbytes(4096),
        'training/faces_cubes/%s/ckpt-3.data-00000-of-00001' % model: rng.randbytes(500 * 1024),
        'training/faces_cubes/%s/notes.md' % model: b'# my run\nloss went down\n',
        'pre_trained/README-student.txt': b'do not delete\n',
    }
    for rel, data in files.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # A student's own edit of the pipeline.config the role wrote (kept: workstation_enforce_pipeline is false).
    config = ws / 'training' / 'faces_cubes' / model / 'pipeline.config'
    config.write_bytes(config.read_bytes() + b'# batch_size lowered by the student for the Pi\n')
    return sorted(files) + [str(config.relative_to(ws))]


def _model_results(tasks):
    return [r for name, res in tasks if name.endswith(WORKSPACE_TASK) for r in res.get('models', [])]


def student_data(work, seed, quick=False):
    """Forced reinstall and reprovision (full verify, after damage) keep every student file byte-identical."""
    out = Outcome('student data', seed)
    rng = random.Random(seed + 7)
    work = Path(work)
    root = work / 'zoo'
    info = archive_info(build_archive(root, PC_MODEL, size=MiB, seed=9))
    ws = work / 'tod_tf2'
    with ZooServer(str(root)) as server:
        extra = {'workstation_root': str(ws), 'workstation_mirrors': [server.url]}
        rc, tasks, text = run_playbook(REPO / 'playbooks' / 'provision.yml', extra)
        if not out.check(rc == 0, 'first provisioning failed: %s' % text[-1500:]):
            return out.done()
        planted = _plant_student_files(ws, rng, PC_MODEL)
        model = ws / 'pre_trained' / PC_MODEL
        skip = {str(model)}
        before = files_state(ws, skip)
        steps = [('forced reinstall', 'provision.yml', {'workstation_force': True}),
                 ('reprovision after damage', 'reprovision.yml', {})]
        for step, playbook, more in steps[:1] if quick else steps:
            if step.startswith('reprovision'):
                victim = model / 'checkpoint' / 'ckpt-0.index'
                victim.write_bytes(b'\0' * victim.stat().st_size)  # same size: only a full check sees it
            server.reset_counters()
            rc, tasks, text = run_playbook(REPO / 'playbooks' / playbook, dict(extra, **more))
            if not out.check(rc == 0, '%s failed: %s' % (step, text[-1500:])):
                continue
            results = _model_results(tasks)
            actions = [r.get('action') for r in results]
            out.check(actions in (['installed'], ['repaired']) and server.request_count() >= 1,
                      '%s: the model was not reinstalled (actions %s, %d requests)'
                      % (step, actions, server.request_count()))
            out.note('%s: model %s, %d requests' % (step, actions, server.request_count()))
            out.add('installs attempted')
            if out.check(not verify(model, info['sha256']), '%s: model not verified after' % step):
                out.add('installs verified')
            after = files_state(ws, skip)
            changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
            student_changed = [p for p in changed if p in planted]
            out.add('student files changed', len(student_changed))
            out.check(not student_changed, '%s: student files changed: %s' % (step, student_changed))
            out.note('%s: %d files outside the model folder differ (%s)' % (step, len(changed), changed[:5]))
        out.figures['student files checked'] = len(planted)
        out.figures.setdefault('student files changed', 0)
    return out.done()
