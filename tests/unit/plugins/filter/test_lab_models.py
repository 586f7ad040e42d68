"""The model-selection rule shared by the workstation and mirror roles, and the lab's lock file reader and
comparison."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.labfleet.zoo.plugins.filter.lab_models import (SELECTION_DEFAULTS, lab_models, lab_pis,
                                                                        pi_runtime, workstation_models,
                                                                        workstation_profile)
from ansible_collections.labfleet.zoo.plugins.filter.lock_changes import lock_changes
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.plugin_utils import _lock

DEFAULTS = {'workstation_profile': 'auto', 'workstation_models': [], 'workstation_models_pc': ['frcnn'],
            'workstation_models_pi': ['ssd320'], 'workstation_models_extra': []}


@pytest.mark.parametrize('architecture, profile, expected', [
    ('x86_64', 'auto', 'pc'), ('amd64', 'auto', 'pc'), ('armv6l', 'auto', 'pi'), ('armv7l', 'auto', 'pi'),
    ('aarch64', 'auto', 'pi'), ('arm64', 'auto', 'pi'), ('riscv64', 'auto', 'unknown'), (None, 'auto', 'unknown'),
    ('x86_64', 'pi', 'pi'), ('riscv64', 'pc', 'pc'),
], ids=['x86_64', 'amd64', 'armv6l', 'armv7l', 'aarch64', 'arm64', 'other', 'no-facts', 'forced-pi', 'forced-pc'])
def test_workstation_profile(architecture, profile, expected):
    assert workstation_profile(architecture, profile) == expected


@pytest.mark.parametrize('profile, models, extra, expected', [
    ('pc', [], [], ['frcnn']),
    ('pi', [], [], ['ssd320']),
    ('pi', ['ssd640'], [], ['ssd640']),
    ('pc', [], ['effdet', 'frcnn'], ['frcnn', 'effdet']),
    (None, [], [], ['frcnn', 'ssd320']),
    ('unknown', [], ['x'], ['frcnn', 'ssd320', 'x']),
], ids=['pc', 'pi', 'models-replace', 'extra-unique', 'unknown-both', 'unknown-string'])
def test_workstation_models(profile, models, extra, expected):
    assert workstation_models(profile, pc=['frcnn'], pi=['ssd320'], models=models, extra=extra) == expected


@pytest.mark.parametrize('bits, runtime', [(64, 'ai-edge-litert'), ('64', 'ai-edge-litert'), (32, 'tflite-runtime'),
                                           ('32', 'tflite-runtime'), (16, 'unknown'), (None, 'unknown'), ('', 'unknown')])
def test_pi_runtime(bits, runtime):
    """The userland's bits (ansible_facts.userspace_bits, a string in facts) choose the runtime, as on the target."""
    assert pi_runtime(bits) == runtime


def test_workstation_models_rejects_a_string():
    with pytest.raises(AnsibleFilterError, match='workstation_models_extra must be a list'):
        workstation_models('pc', pc=['a'], extra='frcnn')


def test_lab_models_union_after_profiles_and_host_vars():
    hostvars = {
        'pc01': {'ansible_facts': {'architecture': 'x86_64'}, 'workstation_models_extra': ['effdet']},
        'pc02': {'ansible_facts': {'architecture': 'x86_64'}},
        'pi01': {'ansible_facts': {'architecture': 'armv7l'}},
        'pi02': {'workstation_profile': 'pi', 'workstation_models': ['ssd640']},
        'pi03': {'workstation_profile': 'pi', 'workstation_models_pi': ['ssd320', 'ssd640']},
    }
    got = lab_models(list(hostvars), hostvars, DEFAULTS, extra=['centernet'])
    assert got == [{'key': 'frcnn', 'hosts': ['pc01', 'pc02']}, {'key': 'effdet', 'hosts': ['pc01']},
                   {'key': 'ssd320', 'hosts': ['pi01', 'pi03']}, {'key': 'ssd640', 'hosts': ['pi02', 'pi03']},
                   {'key': 'centernet', 'hosts': []}]


def test_lab_models_host_without_facts_counts_with_both_profiles():
    assert lab_models(['new'], {'new': {}}, DEFAULTS) == [
        {'key': 'frcnn', 'hosts': ['new']}, {'key': 'ssd320', 'hosts': ['new']}]


def test_lab_models_host_without_facts_takes_the_profile_of_its_group():
    """The mirror contacts no workstation: the inventory's group tells the profile; facts, when known, win."""
    hostvars = {'pc01': {'group_names': ['student_pcs']}, 'pi01': {'group_names': ['raspberry_pis', 'room_b']},
                'odd': {'group_names': ['raspberry_pis'], 'ansible_facts': {'architecture': 'x86_64'}},
                'both': {'group_names': ['student_pcs', 'raspberry_pis']}}
    assert lab_models(['pc01', 'pi01'], hostvars, DEFAULTS) == [
        {'key': 'frcnn', 'hosts': ['pc01']}, {'key': 'ssd320', 'hosts': ['pi01']}]
    assert lab_models(['odd'], hostvars, DEFAULTS) == [{'key': 'frcnn', 'hosts': ['odd']}]
    assert lab_models(['both'], hostvars, DEFAULTS) == [
        {'key': 'frcnn', 'hosts': ['both']}, {'key': 'ssd320', 'hosts': ['both']}]
    assert lab_models(['pi01'], hostvars, DEFAULTS, group_profiles={}) == [
        {'key': 'frcnn', 'hosts': ['pi01']}, {'key': 'ssd320', 'hosts': ['pi01']}]


def test_lab_models_without_defaults_uses_the_workstation_roles():
    """The mirror passes no defaults: a host that sets nothing gets the course's model of its profile."""
    hostvars = {'pc01': {'ansible_facts': {'architecture': 'x86_64'}},
                'pi01': {'ansible_facts': {'architecture': 'aarch64'}, 'workstation_models_extra': ['x']}}
    pc, = SELECTION_DEFAULTS['workstation_models_pc']
    pi, = SELECTION_DEFAULTS['workstation_models_pi']
    assert lab_models(['pc01', 'pi01'], hostvars) == [
        {'key': pc, 'hosts': ['pc01']}, {'key': pi, 'hosts': ['pi01']}, {'key': 'x', 'hosts': ['pi01']}]
    assert SELECTION_DEFAULTS['workstation_models_extra'] == [], 'the rule changed its own defaults'


def test_lock_read_missing_empty_and_valid(tmp_path):
    assert _lock.read(str(tmp_path / 'none.yml')) == {}
    (tmp_path / 'empty.yml').write_text('---\n')
    assert _lock.read(str(tmp_path / 'empty.yml')) == {}
    entry = {'sha256': 'ab' * 32, 'size': 12, 'url': 'http://x/m.tar.gz', 'recorded': '2026-01-01T00:00:00Z'}
    (tmp_path / 'lock.yml').write_text(yaml.safe_dump({'models': {'m': entry}}))
    assert _lock.read(str(tmp_path / 'lock.yml')) == {'m': entry}
    assert _lock.checksums({'m': entry}) == {'m': 'sha256:' + 'ab' * 32}


@pytest.mark.parametrize('text', ['- a list\n', 'models: [1]\n', 'models: {m: {sha256: xyz, size: 1}}\n',
                                  'models: {m: {sha256: %s}}\n' % ('ab' * 32), 'models: {m: [\n'],
                         ids=['list', 'models-list', 'bad-sha', 'no-size', 'bad-yaml'])
def test_lock_read_rejects_malformed_files_naming_them(tmp_path, text):
    path = tmp_path / 'lock.yml'
    path.write_text(text)
    with pytest.raises(ZooError, match='lock file %s' % path):
        _lock.read(str(path))


def test_lab_pis_are_the_pis_and_maybe_pis_that_install_a_runtime():
    hostvars = {
        'pc01': {'group_names': ['student_pcs']},
        'pi01': {'group_names': ['raspberry_pis']},
        'pi02': {'group_names': ['raspberry_pis'], 'workstation_pi_runtime': False},
        'pi03': {'group_names': ['raspberry_pis'], 'workstation_pi_runtime': 'no'},
        'box': {'group_names': []},                                       # either profile: it may be a Pi
        'arm': {'group_names': ['student_pcs'], 'ansible_facts': {'architecture': 'aarch64'}},  # facts win
        'forced': {'group_names': ['raspberry_pis'], 'workstation_profile': 'pc'},
    }
    assert lab_pis(list(hostvars), hostvars) == ['pi01', 'box', 'arm']
    assert lab_pis(['pi01'], hostvars, defaults={'workstation_pi_runtime': False}) == []
    assert lab_pis(['pi04'], {'pi04': {'group_names': ['raspberry_pis'], 'workstation_pi_runtime': True}},
                   defaults={'workstation_pi_runtime': False}) == ['pi04']     # its own value wins
    assert lab_pis(['box'], {'box': {}}, defaults={'workstation_pi_runtime': False}) == []
    with pytest.raises(AnsibleFilterError, match='pi01: workstation_pi_runtime'):
        lab_pis(['pi01'], {'pi01': {'group_names': ['raspberry_pis'], 'workstation_pi_runtime': 'maybe'}})


WHEEL = {'sha256': 'cd' * 32, 'size': 7}


def test_lock_wheels_section_is_read_beside_the_models(tmp_path):
    path = tmp_path / 'lock.yml'
    assert _lock.wheels(str(path)) == {}
    path.write_text(yaml.safe_dump({'models': {}}))
    assert _lock.wheels(str(path)) == {}
    wheels = {'aarch64-py3.11-glibc2.36': {'numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.whl': WHEEL}}
    path.write_text(yaml.safe_dump({'models': {}, 'wheels': wheels}))
    assert _lock.wheels(str(path)) == wheels and _lock.read(str(path)) == {}


@pytest.mark.parametrize('wheels', [['a'], {'p': ['f.whl']}, {'p': {'f.whl': {'sha256': 'xyz', 'size': 1}}},
                                    {'p': {'f.whl': {'sha256': 'cd' * 32}}}],
                         ids=['list', 'platform-list', 'bad-sha', 'no-size'])
def test_lock_wheels_rejects_malformed_sections_naming_the_file(tmp_path, wheels):
    path = tmp_path / 'lock.yml'
    path.write_text(yaml.safe_dump({'models': {}, 'wheels': wheels}))
    with pytest.raises(ZooError, match='lock file %s' % path):
        _lock.wheels(str(path))


ENTRY = {'sha256': 'ab' * 32, 'size': 100, 'url': 'http://x/m.tar.gz', 'etag': '"e1"', 'last_modified': 'Mon, 1 Jan'}


@pytest.mark.parametrize('answer, expected', [
    ({'size': 100, 'etag': '"e1"', 'last_modified': 'Mon, 1 Jan'}, []),
    ({'size': '100'}, []),
    ({}, []),
    ({'size': '101'}, ['size 100 -> 101']),
    ({'size': 'lots'}, []),
    ({'etag': '"e2"', 'last_modified': 'Tue, 2 Jan'}, ['ETag "e1" -> "e2"', 'Last-Modified Mon, 1 Jan -> Tue, 2 Jan']),
], ids=['same', 'size-as-text', 'no-headers', 'size', 'size-not-digits', 'etag-and-date'])
def test_lock_changes(answer, expected):
    assert lock_changes(ENTRY, **answer) == expected == _lock.changes(ENTRY, **answer)


def test_lock_changes_ignores_what_the_entry_did_not_record():
    entry = dict(ENTRY, etag=None, last_modified=None)
    assert lock_changes(entry, size=100, etag='"new"', last_modified='Wed') == []


def test_lock_changes_needs_an_entry():
    with pytest.raises(AnsibleFilterError, match='an entry of the lock file'):
        lock_changes('m', size=1)
