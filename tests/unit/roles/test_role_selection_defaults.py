"""The model-selection rule's defaults and the workstation role's defaults are one fact.

plugins/filter/lab_models.py holds the course's choice (SELECTION_DEFAULTS) for the mirror, which must know what a
workstation that sets nothing gets; roles/workstation/defaults/main.yml shows the same values to teachers and to
ansible-doc. A copy changed alone fails here. No role reads another role's files to agree with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.labfleet.zoo.plugins.filter.lab_models import SELECTION_DEFAULTS
from ansible_collections.labfleet.zoo.plugins.module_utils._lab import ARCH_PROFILES

REPO = Path(__file__).resolve().parents[3]
WORKSTATION_DEFAULTS = yaml.safe_load((REPO / 'roles' / 'workstation' / 'defaults' / 'main.yml').read_text())


@pytest.mark.parametrize('name', sorted(SELECTION_DEFAULTS))
def test_the_selection_rule_defaults_are_the_workstation_role_defaults(name):
    assert SELECTION_DEFAULTS[name] == WORKSTATION_DEFAULTS[name], \
        '%s: plugins/filter/lab_models.py and roles/workstation/defaults/main.yml disagree' % name


def test_every_model_choosing_variable_of_the_role_has_a_rule_default():
    choosing = set(name for name in WORKSTATION_DEFAULTS if name in ('workstation_profile', 'workstation_pi_runtime')
                   or re.match(r'^workstation_models(_|$)', name))
    assert choosing == set(SELECTION_DEFAULTS)


def test_profile_documentation_names_the_map():
    """The role's documentation of workstation_profile names every architecture of the map with its profile."""
    specs = yaml.safe_load((REPO / 'roles' / 'workstation' / 'meta' / 'argument_specs.yml').read_text())
    text = ' '.join(specs['argument_specs']['main']['options']['workstation_profile']['description'])
    for profile in ('pc', 'pi'):
        named = re.search(r'((?:C\([\w]+\)[, ]*)+) gives? V\(%s\)' % profile, text)
        assert named, text
        assert set(re.findall(r'C\((\w+)\)', named.group(1))) <= set(a for a, p in ARCH_PROFILES.items() if p == profile)


def test_the_filter_documentation_states_the_whole_map():
    doc = yaml.safe_load((REPO / 'plugins' / 'filter' / 'workstation_profile.yml').read_text())['DOCUMENTATION']
    text = ' '.join(doc['description'])
    stated = {}
    for profile, archs in re.findall(r'V\((pc|pi)\) for ((?:C\(\w+\)(?:, | and )?)+)', text):
        stated.update((arch, profile) for arch in re.findall(r'C\((\w+)\)', archs))
    assert stated == ARCH_PROFILES


def test_no_role_reads_another_roles_files():
    found = []
    for path in sorted((REPO / 'roles').rglob('*')):
        if path.is_file() and path.suffix in ('.yml', '.j2'):
            text = path.read_text()
            if re.search(r'role_path\s*}}\s*/\.\.|roles/(?!%s/)\w+/(defaults|vars|tasks)/' % path.relative_to(
                    REPO / 'roles').parts[0], text):
                found.append(path.relative_to(REPO).as_posix())
    assert found == []
