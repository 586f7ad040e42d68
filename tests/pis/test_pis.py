"""Raspberry Pis for real: playbooks/provision.yml (the README's command) on a Debian bookworm arm64 userland and an
armhf one, each run under qemu-user and reached over SSH as root, provisioning the student ``eleve``'s workspace.

No profile is forced: each Pi finds its own from its userland (aarch64, 64-bit -> ai-edge-litert; armv7l, 32-bit ->
tflite-runtime), gets the SSD model, its training folders and pipeline.config, owned by the student of its own
/etc/passwd; a rerun changes nothing and downloads nothing. The Pi 4/5 on 32-bit Raspberry Pi OS (aarch64 kernel,
32-bit userland) cannot be emulated: tests/unit/plugins/module_utils/test_lab.py covers it on its facts.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog
from ansible_collections.labfleet.zoo.tests.support.fleet import record_timing
from ansible_collections.labfleet.zoo.tests.support.repo import PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.runner import WORKSPACE_TASK

# The first test's setup builds both userlands when .cache/arm has none (about 7 minutes): past pytest.ini's 600 s.
pytestmark = [pytest.mark.arm, pytest.mark.ssh, pytest.mark.slow, pytest.mark.timeout(1800)]

PROJECT = 'faces_cubes'
# Debian bookworm: Python 3.11, glibc 2.36 on both; the runtime of each from _lab.PI_RUNTIME_WHEELS.
USERLANDS = {'pi64': ('aarch64', 64, 'ai-edge-litert 2.3.0'), 'pi32': ('armv7l', 32, 'tflite-runtime 2.14.0')}


@pytest.mark.parametrize('host', sorted(USERLANDS))
def test_each_pi_finds_its_profile_in_its_own_userland(first_run, host):
    (result,) = first_run.run.results(host, WORKSPACE_TASK)
    machine, bits, runtime = USERLANDS[host]
    assert (result['profile'], result['architecture'], result['userspace_bits'], result['python'][:5],
            result['glibc'], '%s %s' % (result['pi_runtime'], result['pi_runtime_version'])) == (
        'pi', machine, bits, '3.11.', '2.36', runtime), result['summary']
    assert result['summary'][0].startswith('profile pi (%s, %d-bit userland, TFLite runtime %s)'
                                           % (machine, bits, runtime)), result['summary']


@pytest.mark.parametrize('host', sorted(USERLANDS))
def test_each_pi_gets_the_ssd_model_and_its_training_folder_owned_by_its_student(first_run, pis, host):
    assert [m['key'] for m in first_run.run.part(host, 'models')] == [PI_MODEL]
    assert [m['action'] for m in first_run.run.part(host, 'models')] == ['installed']
    root = pis.workspace(host)
    top = _catalog.get(PI_MODEL)['top_dir']
    uid, gid = pis.student_ids(host)
    config = root / 'training' / PROJECT / PI_MODEL / 'pipeline.config'
    for path in (root, root / 'pre_trained' / top / 'pipeline.config', root / 'training' / PROJECT, config,
                 root / 'training' / PROJECT / 'label_map.pbtxt', root / 'images' / PROJECT / 'train'):
        st = os.stat(str(path))
        assert (st.st_uid, st.st_gid) == (uid, gid), path
    assert 'pre_trained/%s/checkpoint/ckpt-0' % top in config.read_text()


def test_a_rerun_changes_nothing_and_downloads_nothing(first_run, pis, pi_zoo):
    assert first_run.requests >= len(USERLANDS)
    pi_zoo.reset_counters()
    rerun = pis.provision()
    record_timing('rerun', rerun.seconds, len(pis.hosts), tier='pis')
    assert rerun.rc == 0 and not rerun.problems(), rerun.describe()
    assert rerun.changed() == dict((host, 0) for host in USERLANDS), rerun.describe()
    assert pi_zoo.request_count() == 0
