"""Raspberry Pis for real: playbooks/provision.yml (the README's command) on a Debian bookworm arm64 userland and an
armhf one, each run under qemu-user and reached over SSH as root, provisioning the student ``eleve``'s workspace.

No profile is forced: each Pi finds its own from its userland (aarch64, 64-bit -> ai-edge-litert; armv7l, 32-bit ->
tflite-runtime), gets the SSD model, its training folders and pipeline.config, owned by the student of its own
/etc/passwd, and its TFLite runtime in ~/tod_tf2/.venv-tflite, made by that student from the lab mirror's
wheelhouse (this machine: the role labfleet.zoo.mirror, a real nginx), which fetched each wheel once from an
"upstream" PEP 503 index on 127.0.0.1 (the real PyPI's wheels, cached once: support/wheels.py) and pinned it in the
lab's lock; a rerun changes nothing and downloads nothing.
The Pi 4/5 on 32-bit Raspberry Pi OS (aarch64 kernel, 32-bit userland) cannot be emulated:
tests/unit/plugins/module_utils/test_lab.py covers it on its facts.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog, _lab
from ansible_collections.labfleet.zoo.tests.support.fleet import record_timing
from ansible_collections.labfleet.zoo.tests.support.mirror import TEACHER
from ansible_collections.labfleet.zoo.tests.support.repo import OUTPUT, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.runner import WORKSPACE_TASK

# The first test's setup builds both userlands when .cache/arm has none (about 7 minutes): past pytest.ini's 600 s.
pytestmark = [pytest.mark.arm, pytest.mark.ssh, pytest.mark.slow, pytest.mark.timeout(1800)]

PROJECT = 'faces_cubes'
# Debian bookworm: Python 3.11, glibc 2.36 on both; the runtime of each from _lab.PI_RUNTIME_WHEELS.
USERLANDS = {'pi64': ('aarch64', 64, 'ai-edge-litert 2.3.0'), 'pi32': ('armv7l', 32, 'tflite-runtime 2.14.0')}
# What each venv imports: the runtime's Interpreter, and numpy from pip (64-bit) or from python3-numpy (32-bit).
IMPORTS = {'pi64': ('ai_edge_litert.interpreter', '2.', 'false'),
           'pi32': ('tflite_runtime.interpreter', '1.24.', 'true')}
PLATFORMS = {'pi64': 'aarch64-py3.11-glibc2.36', 'pi32': 'armv7l-py3.11-glibc2.36'}
# Lab sizes of the figures (printed, not asserted): Pis of each userland.
LAB_SIZES = (1, 15, 30)
# nginx's combined log: "GET /wheels/<file> HTTP/1.1" <status> <bytes> "<referer>" "<pip's user agent, JSON>"
ACCESS = re.compile(r'"GET /wheels/([^ "]+) HTTP/[0-9.]+" (\d+) \d+ "[^"]*" "pip/[^ ]+ (\{.*\})"$')


def wheel_gets(fleet):
    """{(wheel file, the CPU pip ran on): count} of the wheels nginx served, from its access log."""
    found = {}
    for line in fleet.access_log.read_text().splitlines():
        match = ACCESS.search(line)
        if match and match.group(2) == '200':
            agent = json.loads(match.group(3).replace('\\x22', '"'))     # nginx logs a quote as \x22
            key = (match.group(1), agent['cpu'])
            found[key] = found.get(key, 0) + 1
    return found


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


@pytest.mark.parametrize('host', sorted(USERLANDS))
def test_each_pi_gets_its_runtime_in_a_venv_its_student_made_and_it_imports(first_run, pis, host):
    (result,) = first_run.run.results(host, WORKSPACE_TASK)
    runtime = result['runtime']
    package, version = USERLANDS[host][2].split()
    module, numpy, system_site = IMPORTS[host]
    assert (runtime['action'], runtime['package'], runtime['version'], runtime['imports']) == (
        'installed', package, version, True), runtime
    assert runtime['numpy'].startswith(numpy), runtime
    assert result['summary'][-1] == 'TFLite runtime: installed, imports', result['summary']
    venv = pis.workspace(host) / _lab.PI_VENV
    uid, gid = pis.student_ids(host)
    # Made by the student: the venv, its packages and the marker; root wrote nothing there.
    for path in [venv, venv / _lab.PI_VENV_MARKER] + list((venv / 'lib').glob('python3.*/site-packages/*')):
        st = os.lstat(str(path))
        assert (st.st_uid, st.st_gid) == (uid, gid), path
    assert 'include-system-site-packages = %s' % system_site in (venv / 'pyvenv.cfg').read_text()
    marker = json.loads((venv / _lab.PI_VENV_MARKER).read_text())
    assert (marker['package'], marker['version'], marker['imports']) == (package, version, True)
    # Independently of the module's own check: the student's shell imports it.
    out = pis.userlands[host].run('su', '-s', '/bin/sh', '-c', '/home/eleve/tod_tf2/.venv-tflite/bin/python -c '
                                  '"import %s as m; print(m.Interpreter.__name__)"' % module, 'eleve')
    assert out.stdout.strip() == 'Interpreter', out


def test_the_mirror_fetched_each_wheel_once_and_pinned_it_in_the_lock(first_run, pis, pi_wheels):
    wanted = sorted(name for names in pi_wheels.by_platform.values() for name in names)
    assert sorted(first_run.wheel_requests) == wanted
    assert set(first_run.wheel_requests.values()) == {1}, first_run.wheel_requests
    (house,) = first_run.fill.results(TEACHER, 'write their index')
    assert house['changed'] and house['bytes_downloaded'] == sum(pi_wheels.size(name) for name in wanted), house
    pinned = pis.lock('wheels')
    assert sorted(pinned) == sorted(PLATFORMS.values())
    for platform, names in pi_wheels.by_platform.items():
        assert sorted(pinned[platform]) == sorted(names)
        for name in names:
            assert pinned[platform][name] == {'sha256': pi_wheels.files[name], 'size': pi_wheels.size(name)}
            assert (pis.mirror_root / 'wheels' / name).read_bytes() == (pi_wheels.folder / name).read_bytes()
    write_figures(house)


def write_figures(house):
    """tests/output/pis_figures.txt: the wheelhouse per platform as measured, and the wheel bytes through the
    school's link for N Pis of each userland, with the mirror (each wheel once) and without (each Pi fetches its
    own)."""
    sizes = dict((platform, p['size']) for platform, p in house['platforms'].items())
    lines = ['wheelhouse %s: %d wheels, %.1f MB' % (platform, p['files'], p['size'] / 1e6)
             for platform, p in sorted(house['platforms'].items())]
    for n in LAB_SIZES:
        lines.append('wheel bytes upstream for %d Pi(s) of each userland: %.1f MB with the mirror, %.1f MB without'
                     % (n, sum(sizes.values()) / 1e6, n * sum(sizes.values()) / 1e6))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'pis_figures.txt').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))


@pytest.mark.parametrize('host', sorted(USERLANDS))
def test_each_pi_got_every_wheel_of_its_platform_from_the_mirror_with_pinned_hashes(first_run, pis, pi_wheels, host):
    (result,) = first_run.run.results(host, WORKSPACE_TASK)
    platform = PLATFORMS[host]
    assert (result['runtime']['platform'], result['runtime']['index']) == (
        platform, pis.nginx.url + '/simple/'), result['runtime']
    assert result['runtime']['pinned'] == len(set(_lab.wheel_requirement(n) for n in pi_wheels.by_platform[platform]))
    cpu = platform.split('-')[0]
    served = wheel_gets(pis)
    assert dict((name, n) for (name, on), n in served.items() if on == cpu) == dict(
        (name, 1) for name in pi_wheels.by_platform[platform]), served
    requirements = (pis.workspace(host) / _lab.PI_VENV / 'labfleet-zoo-requirements.txt').read_text()
    assert requirements.count('--hash=sha256:') == len(pi_wheels.by_platform[platform]), requirements


def test_a_rerun_changes_nothing_and_downloads_nothing(first_run, pis, pi_zoo, pi_wheels):
    assert first_run.requests >= 1
    pi_zoo.reset_counters()
    pi_wheels.reset_counters()
    served = wheel_gets(pis)
    rerun = pis.provision()
    record_timing('rerun', rerun.seconds, len(pis.hosts), tier='pis')
    assert rerun.rc == 0 and not rerun.problems(), rerun.describe()
    assert rerun.changed() == dict((host, 0) for host in list(USERLANDS) + [TEACHER]), rerun.describe()
    assert pi_zoo.request_count() == 0 and pi_wheels.request_count() == 0
    assert wheel_gets(pis) == served
    for host in USERLANDS:
        (result,) = rerun.results(host, WORKSPACE_TASK)
        assert (result['runtime']['action'], result['runtime']['imports']) == ('unchanged', True), result
    (house,) = rerun.results(TEACHER, 'write their index')
    assert set(p['action'] for p in house['platforms'].values()) == {'unchanged'}, house


def test_the_report_shows_each_pi_with_its_runtime(first_run, pis, tmp_path):
    out = tmp_path / 'lab-report.html'
    run = pis.provision('-e', 'report_output=%s' % out, playbook='report.yml')
    assert run.rc == 0 and not run.problems(), run.describe()
    page = out.read_text()
    for host, (_machine, _bits, runtime) in sorted(USERLANDS.items()):
        row = page.split('data-host="%s"' % host, 1)[1].split('</tr>', 1)[0]
        assert 'TFLite %s · imports' % runtime in row, row
