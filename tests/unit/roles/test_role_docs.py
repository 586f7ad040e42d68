"""The README and the French guide point at the roles' own documentation instead of copying it.

Role variables are documented once (meta/argument_specs.yml, shown by ``ansible-doc -t role``); the documents may
name a variable, never one the roles do not have; they hold no table of variables and defaults. A collection they
tell the teacher to use is ansible-core's, this one, or listed in requirements.yml.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.labfleet.zoo.plugins.callback.recap import COLUMNS

REPO = Path(__file__).resolve().parents[3]
ROLES = sorted(path.name for path in (REPO / 'roles').iterdir() if not path.name.startswith('_'))
DOCS = [REPO / 'README.md'] + sorted((REPO / 'docs').rglob('*.md'))
IDS = [path.relative_to(REPO).as_posix() for path in DOCS]


def defaults(role):
    return yaml.safe_load((REPO / 'roles' / role / 'defaults' / 'main.yml').read_text())


def published(role):
    """Facts a role sets for other plays and roles (workstation_report, mirror_url)."""
    names = set()
    for path in (REPO / 'roles' / role / 'tasks').glob('*.yml'):
        names.update(re.findall(r'^\s+(%s_[a-z0-9_]+):' % role, path.read_text(), re.M))
    return names


@pytest.mark.parametrize('role', ROLES)
def test_the_readme_points_at_ansible_doc_for_each_role(role):
    assert 'ansible-doc -t role labfleet.zoo.%s' % role in (REPO / 'README.md').read_text()


@pytest.mark.parametrize('path', DOCS, ids=IDS)
def test_every_role_variable_named_exists(path):
    text = path.read_text()
    unknown = []
    for role in ROLES:
        known = set(defaults(role)) | published(role)
        unknown += sorted(set(re.findall(r'(?<![\w.])%s_[a-z0-9_]+' % role, text)) - known)
    assert unknown == []


@pytest.mark.parametrize('path', DOCS, ids=IDS)
def test_no_table_of_role_variables(path):
    rows = [line for line in path.read_text().splitlines()
            if re.match(r'^\|\s*`(%s)_[a-z0-9_]+`' % '|'.join(ROLES), line)]
    assert rows == [], 'a copy of argument_specs.yml: point at ansible-doc -t role instead'


@pytest.mark.parametrize('path', DOCS, ids=IDS)
def test_every_collection_used_is_installed_by_requirements(path):
    required = set(entry['name'] for entry in yaml.safe_load((REPO / 'requirements.yml').read_text())['collections'])
    fqcn = re.compile(r'(?<![\w.])((?:ansible|community)\.[a-z_]+)\.[a-z_]+')
    used = set(match.group(1) for match in fqcn.finditer(path.read_text()))
    core = {'ansible.builtin', 'ansible.module_utils', 'ansible.plugins'}  # ansible-core: its collection, its packages
    assert sorted(used - required - core) == []


@pytest.mark.parametrize('path', DOCS, ids=IDS)
def test_a_recap_shown_has_the_callbacks_columns(path):
    headers = [line.split() for line in path.read_text().splitlines() if re.match(r'^host\s+installed\b', line)]
    assert all(header == ['host'] + list(COLUMNS) + ['downloaded', 'from'] for header in headers), headers
