"""inventory/lab as a teacher copies it: with its `teachers` group (the lab mirror), and without one (no mirror).

The variables are templated by Ansible itself (ad hoc debug: no connection is made).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.labfleet.zoo.tests.support.repo import BIN, REPO
from ansible_collections.labfleet.zoo.tests.support.runner import env as ansible_env

LAB = REPO / 'inventory' / 'lab'
WORKSTATIONS = ('pc01', 'pc02', 'pc03', 'pi01', 'pi02')


def copy_lab(tmp_path, teachers=True):
    inventory = tmp_path / 'ma_salle'
    shutil.copytree(str(LAB), str(inventory), ignore=shutil.ignore_patterns('.zoo.lock.yml'))
    if not teachers:
        hosts = yaml.safe_load((inventory / 'hosts.yml').read_text())
        del hosts['all']['children']['teachers']
        (inventory / 'hosts.yml').write_text('---\n' + yaml.safe_dump(hosts, sort_keys=False))
        (inventory / 'group_vars' / 'teachers.yml').unlink()
    return inventory


def templated(inventory, variable, pattern='student_pcs:raspberry_pis'):
    """{host: value of variable} as Ansible templates it for each host of pattern."""
    proc = subprocess.run([str(BIN / 'ansible'), '-i', str(inventory), pattern, '-m', 'ansible.builtin.debug',
                           '-a', 'var=%s' % variable], cwd=str(REPO), env=ansible_env(), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    hosts = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']
    return dict((host, result[variable]) for host, result in hosts.items())


@pytest.mark.parametrize('teachers, mirrors', [(True, ['http://192.168.10.10:8080']), (False, [])],
                         ids=['with-teachers', 'without-teachers'])
def test_workstation_mirrors(tmp_path, teachers, mirrors):
    inventory = copy_lab(tmp_path, teachers)
    assert templated(inventory, 'workstation_mirrors') == dict((host, mirrors) for host in WORKSTATIONS)
    assert templated(inventory, 'workstation_checksums') == dict((host, {}) for host in WORKSTATIONS)


@pytest.mark.parametrize('teachers, index', [(True, 'http://192.168.10.10:8080/simple/'), (False, '')],
                         ids=['with-teachers', 'without-teachers'])
def test_the_pis_install_from_the_mirror_wheelhouse_pinned_by_the_lock(tmp_path, teachers, index):
    inventory = copy_lab(tmp_path, teachers)
    assert templated(inventory, 'workstation_pi_index') == dict((host, index) for host in WORKSTATIONS)
    assert templated(inventory, 'workstation_pi_wheels') == dict((host, {}) for host in WORKSTATIONS)
    wheels = {'aarch64-py3.11-glibc2.36': {'numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.whl': {
        'sha256': 'ab' * 32, 'size': 3}}}
    (inventory / '.zoo.lock.yml').write_text('---\n' + yaml.safe_dump({'models': {}, 'wheels': wheels}))
    assert templated(inventory, 'workstation_pi_wheels', 'pi01') == {'pi01': wheels}


def test_the_provisioning_plays_select_their_hosts_without_teachers(tmp_path):
    inventory = copy_lab(tmp_path, teachers=False)
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), '--list-hosts',
                           str(REPO / 'playbooks' / 'provision.yml')], cwd=str(REPO),
                          env=ansible_env(stdout_callback='default'), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'hosts (0)' in proc.stdout and proc.stdout.count('hosts (5)') == 1, proc.stdout  # the workstations' play
