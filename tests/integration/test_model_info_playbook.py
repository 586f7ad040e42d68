"""labfleet.zoo.model_info through ansible-playbook against localhost: read-only in every mode, same truth as model."""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.runner import run_playbook, task_results, write_play

pytestmark = pytest.mark.slow

MISSPELLED_PC_MODEL = PC_MODEL[:2] + PC_MODEL[3] + PC_MODEL[2] + PC_MODEL[4:]   # two letters swapped (fatser_...)


def info_play(tmp_path, dest, verify='quick'):
    return write_play(tmp_path / 'info.yml', [{
        'name': 'Check the models', 'register': 'info',
        'labfleet.zoo.model_info': {'dest': str(dest), 'name': [PC_MODEL, PI_MODEL], 'verify': verify},
    }])


def test_rhythm_damage_and_repair(zoo, tmp_path):
    dest = tmp_path / 'pre_trained'
    install = write_play(tmp_path / 'install.yml', [{
        'name': 'Install the PC model', 'labfleet.zoo.model': {'name': PC_MODEL, 'dest': str(dest),
                                                               'mirrors': [zoo.server.url]},
    }])
    assert run_playbook(install)[0] == 0
    play = info_play(tmp_path, dest)
    results = []
    for check in (True, False, True, False):   # check → real → check → real: never changed, same answer
        rc, out = run_playbook(play, check=check, diff=True)
        assert rc == 0 and out['stats']['localhost']['changed'] == 0
        results.append(task_results(out)[0][1])
    for res in results:
        assert [(m['name'], m['state'], m['wanted']) for m in res['models']] == \
            [(PC_MODEL, 'intact', True), (PI_MODEL, 'missing', True)]
        assert res['intact'] is False and res['models'][0]['sha256'] == zoo.sha256[PC_MODEL]
    victim = dest / PC_MODEL / 'saved_model' / 'saved_model.pb'
    victim.write_bytes(b'\0' * victim.stat().st_size)   # same size: only verify=full sees it
    quick = task_results(run_playbook(play)[1])[0][1]
    full = task_results(run_playbook(info_play(tmp_path, dest, 'full'))[1])[0][1]
    assert quick['models'][0]['state'] == 'intact'
    assert full['models'][0]['state'] == 'damaged'
    assert full['models'][0]['problems'] == ['saved_model/saved_model.pb: content differs (sha256)']
    repair = write_play(tmp_path / 'repair.yml', [{
        'name': 'Repair', 'register': 'repair',
        'labfleet.zoo.model': {'name': PC_MODEL, 'dest': str(dest), 'mirrors': [zoo.server.url], 'verify': 'full'},
    }])
    assert task_results(run_playbook(repair)[1])[0][1]['action'] == 'repaired'
    assert task_results(run_playbook(info_play(tmp_path, dest, 'full'))[1])[0][1]['models'][0]['state'] == 'intact'


def test_failures_name_the_cause(tmp_path):
    play = write_play(tmp_path / 'bad.yml', [{
        'name': 'Check an unknown model', 'ignore_errors': True,
        'labfleet.zoo.model_info': {'dest': str(tmp_path), 'name': [MISSPELLED_PC_MODEL]},
    }, {
        'name': 'Check a relative folder', 'ignore_errors': True,
        'labfleet.zoo.model_info': {'dest': 'pre_trained'},
    }])
    rc, out = run_playbook(play)
    first, second = [res for _name, res in task_results(out)]
    assert first['failed'] and PC_MODEL in first['msg']
    assert second['failed'] and 'dest must be an absolute path' in second['msg']


def test_ansible_doc():
    proc = runner.doc('labfleet.zoo.model_info')
    assert proc.returncode == 0, proc.stderr
    for word in ('dest', 'verify', 'ATTRIBUTES', 'check_mode', 'RETURN VALUES', 'installed_at', 'free_bytes'):
        assert word in proc.stdout, word
