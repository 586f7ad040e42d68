"""The workstation role's variables are checked on each host by labfleet.zoo.workspace itself.

playbooks/provision.yml and reprovision.yml import the role with ``rolespec_validate: false``: Ansible's
validation task would be one more worker per host on the controller (about a second on a 30-host lab) for a check
the module makes anyway, in the same execution, against the same types and choices. That holds only while:

- every option of the role's main entry point feeds exactly one option of the module task (tasks/main.yml) that has
  the same type, elements, choices, required and sub-options (the defaults are the role's, passed by the task);
- a value the role's spec rejects, the module's spec rejects too (Ansible's ArgumentSpecValidator on both);
- the playbooks that skip the role's validation import only this role, whose per-host task is that module task.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.labfleet.zoo.tests.support.modules import argument_spec_of

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / 'roles' / 'workstation'
MODULE_TASK = 'Provision the workspace'
FIELDS = (('type', 'str'), ('elements', None), ('choices', None), ('required', False))
# A value of the wrong kind for each type that has one (Ansible turns anything into a str), a choice not listed.
WRONG = {'int': 'many', 'bool': 'maybe', 'list': {'a': 1}, 'dict': 'text'}


def role_options():
    specs = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())
    return specs['argument_specs']['main']['options']


def module_task():
    tasks = yaml.safe_load((ROLE / 'tasks' / 'main.yml').read_text())
    task = [t for t in tasks if t.get('name') == MODULE_TASK]
    assert len(task) == 1, 'tasks/main.yml has no single task named %r' % MODULE_TASK
    return task[0]['labfleet.zoo.workspace']


def fed_by():
    """{role variable: module option} from the module task's templates."""
    out = {}
    for option, template in module_task().items():
        for variable in sorted(set(re.findall(r'\b(workstation_\w+)', str(template)))):
            assert variable not in out, '%s feeds both %s and %s' % (variable, out[variable], option)
            out[variable] = option
    return out


def assert_same(where, role, module):
    assert tuple(role.get(f, d) for f, d in FIELDS) == tuple(module.get(f, d) for f, d in FIELDS), \
        '%s: role %s, module %s' % (where, role, module)
    role_sub, module_sub = role.get('options') or {}, module.get('options') or {}
    assert sorted(role_sub) == sorted(module_sub), '%s: sub-options differ' % where
    for name in role_sub:
        assert_same('%s.%s' % (where, name), role_sub[name], module_sub[name])


@pytest.fixture(name='module_spec')
def module_spec_fixture(monkeypatch):
    return argument_spec_of('workspace', monkeypatch)[0]


def test_every_role_variable_feeds_one_module_option():
    assert sorted(fed_by()) == sorted(role_options())


@pytest.mark.parametrize('variable', sorted(role_options()))
def test_the_module_checks_what_the_role_spec_checks(variable, module_spec):
    option = fed_by()[variable]
    assert_same('%s -> %s' % (variable, option), role_options()[variable], module_spec[option])


def bad_values(spec):
    if spec.get('choices'):
        yield 'not-a-choice'
    if spec.get('type', 'str') in WRONG:
        yield WRONG[spec['type']]
    if spec.get('elements') == 'dict':
        yield [{'name': 'faces'}]           # a sub-option missing


@pytest.mark.parametrize('variable', [v for v in sorted(role_options()) if list(bad_values(role_options()[v]))])
def test_what_the_role_spec_rejects_the_module_rejects(variable, module_spec):
    role_spec = role_options()[variable]
    option = fed_by()[variable]
    for value in bad_values(role_spec):
        by_role = ArgumentSpecValidator({variable: role_spec}).validate({variable: value})
        by_module = ArgumentSpecValidator({option: module_spec[option]}).validate({option: value})
        assert by_role.error_messages, '%s=%r: the role spec accepts it (a useless bad value)' % (variable, value)
        assert by_module.error_messages, '%s=%r: the role rejects it, the module accepts it' % (variable, value)


@pytest.mark.parametrize('playbook', ['provision.yml', 'reprovision.yml'])
def test_playbooks_skip_the_role_validation_only_for_this_role(playbook):
    skipped = []
    for play in yaml.safe_load((REPO / 'playbooks' / playbook).read_text()):
        for task in play.get('tasks') or ():
            imported = task.get('ansible.builtin.import_role') or task.get('import_role')
            if imported and imported.get('rolespec_validate') is False:
                skipped.append(imported['name'])
    assert skipped == ['labfleet.zoo.workstation']
