"""Each fact once, and a test that fails when a copy drifts: the hand-written URL options against Ansible's own, and
every module's DOCUMENTATION (doc fragments resolved by Ansible's own merge) against the argument spec it really
passes to AnsibleModule; the action words of each RETURN against _vocabulary."""

from __future__ import annotations

import importlib
import re

import pytest
import yaml

from ansible.utils.plugin_docs import add_fragments

from ansible_collections.labfleet.zoo.plugins.module_utils import _options, _vocabulary
from ansible_collections.labfleet.zoo.tests.support.modules import argument_spec_of

MODULES = ('model', 'archive', 'model_info', 'pipeline_config', 'workspace')
# Fields of an argument spec entry that DOCUMENTATION states, with their defaults when left out.
FIELDS = (('type', 'str'), ('default', None), ('choices', None), ('elements', None), ('required', False))
# Options whose values are secrets: no_log in the spec (DOCUMENTATION has no no_log field to compare).
SECRETS = frozenset(('url_password',))


def test_hand_written_url_options_equal_ansibles():
    from ansible.module_utils.urls import url_argument_spec
    assert _options.url_argument_spec() == url_argument_spec()


def test_url_options_passed_to_open_url_are_the_url_options_but_url_and_force():
    assert set(_options.URL_OPTIONS) == set(_options.url_argument_spec()) - {'url', 'force'}


class _Fragments(object):
    """The fragment loader of Ansible's add_fragments: ansible.builtin.X and labfleet.zoo.X, by import."""

    @staticmethod
    def get(name):
        namespace, _sep, short = name.rpartition('.')
        package = {'ansible.builtin': 'ansible.plugins.doc_fragments',
                   'labfleet.zoo': 'ansible_collections.labfleet.zoo.plugins.doc_fragments'}.get(namespace)
        if package is None:
            return None
        try:
            fragment = importlib.import_module('%s.%s' % (package, short)).ModuleDocFragment
        except ImportError:
            return None
        fragment.ansible_name = name
        return fragment


def documentation_of(name):
    module = importlib.import_module('ansible_collections.labfleet.zoo.plugins.modules.' + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    add_fragments(doc, module.__file__, fragment_loader=_Fragments, is_module=True)
    return doc


def assert_documented(where, options, spec):
    """DOCUMENTATION's ``options`` (sub-options under ``suboptions``) against the spec's (under ``options``)."""
    assert sorted(options) == sorted(spec), where
    for option in sorted(spec):
        documented = tuple(options[option].get(field, absent) for field, absent in FIELDS)
        wanted = tuple(spec[option].get(field, absent) for field, absent in FIELDS)
        assert documented == wanted, '%s %s: documented %s, argument spec %s' % (where, option, documented, wanted)
        if options[option].get('suboptions') or spec[option].get('options'):
            assert_documented('%s.%s' % (where, option), options[option].get('suboptions') or {},
                              spec[option].get('options') or {})


@pytest.mark.parametrize('name', MODULES)
def test_documentation_equals_the_argument_spec(name, monkeypatch):
    spec, _rules = argument_spec_of(name, monkeypatch)
    assert_documented(name, documentation_of(name)['options'], spec)
    assert set(o for o in spec if spec[o].get('no_log')) == SECRETS & set(spec)


@pytest.mark.parametrize('name', ['model', 'archive'])
def test_download_modules_share_one_spec_and_one_fragment(name, monkeypatch):
    spec, rules = argument_spec_of(name, monkeypatch)
    shared = _options.download_argument_spec()
    assert dict((k, spec[k]) for k in shared) == shared
    assert rules == dict(_options.download_rules(), supports_check_mode=True)
    doc = documentation_of(name)
    assert {'labfleet.zoo._download', 'ansible.builtin.url'} <= set(yaml.safe_load(
        importlib.import_module('ansible_collections.labfleet.zoo.plugins.modules.' + name).DOCUMENTATION
    )['extends_documentation_fragment'])
    assert set(shared) <= set(doc['options'])


@pytest.mark.parametrize('name, words', [
    ('model', _vocabulary.MODEL_ACTIONS),
    ('archive', _vocabulary.ARCHIVE_ACTIONS),
    ('pipeline_config', _vocabulary.CONFIG_ACTIONS),
])
def test_documented_actions_are_the_vocabulary(name, words):
    module = importlib.import_module('ansible_collections.labfleet.zoo.plugins.modules.' + name)
    text = ' '.join(yaml.safe_load(module.RETURN)['action']['description'])
    assert sorted(set(re.findall(r'V\(([a-z_]+)\)', text))) == sorted(words)


def test_documented_model_states_are_the_vocabulary():
    module = importlib.import_module('ansible_collections.labfleet.zoo.plugins.modules.model_info')
    text = ' '.join(yaml.safe_load(module.RETURN)['models']['contains']['state']['description'])
    assert sorted(set(re.findall(r'V\(([a-z_]+)\)', text))) == sorted(_vocabulary.MODEL_STATES)


@pytest.mark.parametrize('name', MODULES)
def test_attributes_tell_the_truth_about_force(name, monkeypatch):
    """Every attribute has its support stated; a module with a force option is not fully idempotent, and says why."""
    spec, _rules = argument_spec_of(name, monkeypatch)
    attributes = documentation_of(name)['attributes']
    assert all('support' in attributes[a] for a in ('check_mode', 'diff_mode', 'idempotent', 'platform')), attributes
    idempotent = attributes['idempotent']
    if 'force' in spec:
        assert idempotent['support'] == 'partial' and 'O(force=true)' in ' '.join(idempotent['details'])
    else:
        assert idempotent['support'] == 'full'
