"""The integration targets (tests/integration/targets/<module>/) through ansible-playbook, one test per target.

Each target is a role in ansible-test's layout (aliases, meta/main.yml, defaults, tasks) that runs its module in the
check → real → check → real rhythm, with diff runs and failure cases, and asserts what it sees. This runner gives
them what ansible-test would not: the synthetic zoo on 127.0.0.1 (the ``zoo`` fixture), the Pis' wheel index
(``wheel_index``) and a fresh ``output_dir``.
"""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, REPO
from ansible_collections.labfleet.zoo.tests.support.runner import run_playbook, task_results
from ansible_collections.labfleet.zoo.tests.support.wheels import served_wheels

TARGETS = REPO / 'tests' / 'integration' / 'targets'
MODULES = sorted(p.stem for p in (REPO / 'plugins' / 'modules').glob('*.py') if not p.name.startswith('_'))


def target_names():
    """Every target ansible-test would list: a folder with ``aliases``, minus the hidden setup_ ones."""
    return sorted(p.parent.name for p in TARGETS.glob('*/aliases') if not p.parent.name.startswith('setup_'))


def test_every_module_has_a_target_in_the_standard_shape():
    assert set(MODULES) <= set(target_names()), 'modules without an integration target: %s' % (
        sorted(set(MODULES) - set(target_names())))
    for name in target_names():
        for part in ('aliases', 'meta/main.yml', 'tasks/main.yml'):
            assert (TARGETS / name / part).is_file(), '%s/%s missing' % (name, part)


@pytest.fixture(scope='module')
def wheel_index():
    """The Pis' runtime wheels as a PEP 503 index on 127.0.0.1, for the wheelhouse target."""
    with served_wheels() as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize('target', target_names())
def test_target(target, zoo, wheel_index, tmp_path):
    """Run the target as ansible-test does (a play with the target as its role) and require every task to pass."""
    output_dir = tmp_path / 'output'
    output_dir.mkdir()
    play = tmp_path / 'play.yml'
    play.write_text('- name: Run the %s target\n  hosts: localhost\n  gather_facts: false\n  roles:\n'
                    '    - role: %s\n' % (target, TARGETS / target))
    rc, out = run_playbook(play, {
        'output_dir': str(output_dir), 'zoo_mirror': zoo.server.url, 'zoo_model': PC_MODEL,
        'zoo_sha256': zoo.sha256[PC_MODEL], 'zoo_missing_url': zoo.server.url_for('no_such_model.tar.gz'),
        'wheel_index': wheel_index.url,
    })
    # Task names come as '<role path> : <name>'; a failed assert names its false condition.
    results = [(name.rpartition(' : ')[2], res) for name, res in task_results(out)]
    failed = [(name, res.get('assertion') or res.get('msg')) for name, res in results
              if res.get('failed') and not res.get('ignored')]
    assert rc == 0 and not failed, failed or out['stats']
    names = [name for name, _res in results]
    assert 'Check that the synthetic zoo is set up' in names, 'the setup_zoo dependency did not run'
    checks = [name for name, res in results if name.startswith('Check ') and not res.get('skipped')]
    assert len(checks) >= 4, 'the target asserted too little: %s' % checks
