"""The words of install actions and states are defined once (plugins/module_utils/_vocabulary.py).

The recap callback imports them; the roles and the report template get them from the labfleet.zoo.vocabulary
lookup, so none of their files spells one of those words as a quoted literal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.labfleet.zoo.plugins.lookup import vocabulary
from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary

REPO = Path(__file__).resolve().parents[3]
WORDS = sorted(set(value for value in vars(_vocabulary).values() if isinstance(value, str) and value.isalpha()))
ROLE_FILES = sorted(path for path in (REPO / 'roles').rglob('*') if path.suffix in ('.yml', '.j2') and path.is_file())


@pytest.mark.parametrize('path', ROLE_FILES, ids=[p.relative_to(REPO / 'roles').as_posix() for p in ROLE_FILES])
def test_no_role_file_spells_a_word_of_the_vocabulary(path):
    found = re.findall(r'''(['"])(%s)\1''' % '|'.join(WORDS), path.read_text())
    assert [word for _quote, word in found] == []


def test_the_lookup_gives_every_word_and_list():
    words = vocabulary.words()
    for word in WORDS:
        assert word in words.values()
    assert words['model_actions'] == list(_vocabulary.MODEL_ACTIONS)
    assert words['model_states'] == list(_vocabulary.MODEL_STATES)
    assert words['changing'] == sorted(_vocabulary.CHANGING)


def test_the_lookup_documentation_names_every_word():
    doc = yaml.safe_load(vocabulary.DOCUMENTATION)
    named = set(re.findall(r'V\((\w+)\)', ' '.join(doc['description'])))
    assert named == set(WORDS)
