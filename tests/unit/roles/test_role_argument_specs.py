"""Every role's defaults/main.yml and every entry point of its meta/argument_specs.yml say the same thing.

prometheus.prometheus runs the same lint in CI (.github/scripts/lint_arguments_spec.sh: the keys of defaults/main.yml
equal the options of the main entry point). Here, for every role and every entry point:

- the main entry point documents exactly the variables of defaults/main.yml;
- every option of any entry point is a default of the role, with the same default value, and the role's defaults
  pass the entry point's own validation (Ansible's ArgumentSpecValidator, as validate_argument_spec runs it: types,
  elements, choices, sub-options);
- every public variable of the role (``<role>_...``, not starting with ``_``) that the files an entry point runs
  read (its task files, followed through import_tasks/include_tasks, their templates, the role's vars/ and, for
  main, handlers/) is an option of that entry point, so ``ansible-doc -t role`` and the run-time validation cover it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

REPO = Path(__file__).resolve().parents[3]
ROLES = sorted(path for path in (REPO / 'roles').iterdir() if (path / 'meta' / 'argument_specs.yml').is_file())
INCLUDES = ('import_tasks', 'include_tasks')


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def entry_points():
    return [pytest.param(role, entry, id='%s:%s' % (role.name, entry))
            for role in ROLES for entry in load(role / 'meta' / 'argument_specs.yml')['argument_specs']]


def spec(role, entry):
    return load(role / 'meta' / 'argument_specs.yml')['argument_specs'][entry]


def _tasks(node):
    """Every task mapping of a task file, blocks opened."""
    for task in node or ():
        if not isinstance(task, dict):
            continue
        yield task
        for section in ('block', 'rescue', 'always'):
            yield from _tasks(task.get(section))


def _target(value):
    return value.get('file') if isinstance(value, dict) else value


def files_run_by(role, entry):
    """The task files (followed through includes), their templates, vars/ and, for main, handlers/."""
    todo, tasks, templates = [role / 'tasks' / ('%s.yml' % entry)], [], []
    while todo:
        path = todo.pop()
        if path in tasks:
            continue
        tasks.append(path)
        for task in _tasks(load(path) if path.exists() else []):
            for key, value in task.items():
                short = key.rsplit('.', 1)[-1]
                if short in INCLUDES:
                    todo.append(role / 'tasks' / _target(value))
                elif short == 'template' and isinstance(value, dict):
                    templates.append(role / 'templates' / value['src'])
    extra = [role / 'vars' / 'main.yml'] + ([role / 'handlers' / 'main.yml'] if entry == 'main' else [])
    return tasks + templates + [path for path in extra if path.exists()]


def facts_set_by(role):
    """Variables the role publishes with set_fact (outputs such as workstation_report), not inputs."""
    names = set()
    for path in (role / 'tasks').glob('*.yml'):
        for task in _tasks(load(path)):
            for key, value in task.items():
                if key.rsplit('.', 1)[-1] == 'set_fact' and isinstance(value, dict):
                    names.update(value)
    return names


def variables_read(role, paths):
    """The role's public variable names written in ``paths`` (neither ``_private`` nor a ``plugin.name``)."""
    pattern = re.compile(r'(?<![\w.])%s_[a-z0-9_]+' % re.escape(role.name))
    found = {}
    for path in paths:
        for name in pattern.findall(path.read_text()):
            found.setdefault(name, path.relative_to(REPO).as_posix())
    return found


@pytest.mark.parametrize('role', [pytest.param(role, id=role.name) for role in ROLES])
def test_main_entry_point_documents_exactly_the_defaults(role):
    defaults = set(load(role / 'defaults' / 'main.yml'))
    options = set(spec(role, 'main').get('options', {}))
    assert sorted(defaults - options) == [], 'in defaults/main.yml but not in the main entry point'
    assert sorted(options - defaults) == [], 'in the main entry point but not in defaults/main.yml'


@pytest.mark.parametrize('role, entry', entry_points())
def test_entry_point_options_are_the_defaults(role, entry):
    defaults = load(role / 'defaults' / 'main.yml')
    options = spec(role, entry).get('options', {})
    assert sorted(set(options) - set(defaults)) == [], 'options with no default in defaults/main.yml'
    differ = dict((name, (option.get('default'), defaults[name])) for name, option in options.items()
                  if option.get('default') != defaults[name])
    assert differ == {}, '{option: (argument_specs default, defaults/main.yml)} differ'
    values = dict((name, defaults[name]) for name in options)
    result = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
    assert [str(error) for error in result.errors] == []


@pytest.mark.parametrize('role, entry', entry_points())
def test_every_variable_an_entry_point_reads_is_one_of_its_options(role, entry):
    options = set(spec(role, entry).get('options', {}))
    outputs = facts_set_by(role)
    read = variables_read(role, files_run_by(role, entry))
    missing = dict((name, where) for name, where in read.items() if name not in options and name not in outputs)
    assert missing == {}, '{variable: first file reading it} not documented in this entry point'
