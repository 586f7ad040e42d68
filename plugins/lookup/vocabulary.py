# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: vocabulary
short_description: The words labfleet.zoo uses for what its modules found and did
version_added: 0.1.0
description:
  - Returns one mapping with the words the modules return for an install's action and a model's state, as the
    collection defines them once (the recap callback P(labfleet.zoo.recap#callback) imports the same definitions),
    so that templates and roles compare with these names instead of spelling the words again.
  - "Each word under its own name: V(installed), V(repaired), V(attributes) (only owner, group or mode were
    restored), V(unchanged), V(removed), V(absent) (M(labfleet.zoo.model)); V(downloaded) (M(labfleet.zoo.archive));
    V(intact), V(damaged), V(missing) (M(labfleet.zoo.model_info)); V(created), V(updated), V(enforced), V(kept)
    (M(labfleet.zoo.pipeline_config)); V(present), V(mismatch) (states in a diff); V(failed) (a task that failed)."
  - "And the lists: C(model_actions), C(archive_actions), C(model_states), C(config_actions), and C(changing) (the
    actions that changed something on the host, sorted)."
author:
  - labfleet.zoo contributors (@labfleet)
options: {}
notes:
  - Runs on the controller and takes no terms.
seealso:
  - module: labfleet.zoo.model
  - module: labfleet.zoo.model_info
"""

EXAMPLES = r"""
- name: The models of this host that are not intact
  vars:
    words: "{{ lookup('labfleet.zoo.vocabulary') }}"
  ansible.builtin.debug:
    msg: "{{ info.models | rejectattr('state', 'equalto', words.intact) | map(attribute='name') }}"
"""

RETURN = r"""
_raw:
  description: "One mapping, C({<word>: <word>, model_actions, archive_actions, model_states, config_actions, changing})."
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary


def words():
    """{name: word} for every word of _vocabulary, plus its lists (tuples as lists, sets sorted), names in lower case."""
    out = {}
    for name, value in vars(_vocabulary).items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            out[name.lower()] = value
        elif isinstance(value, tuple):
            out[name.lower()] = list(value)
        elif isinstance(value, frozenset):
            out[name.lower()] = sorted(value)
    return out


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if terms:
            raise AnsibleLookupError('the vocabulary lookup takes no terms, got %d' % len(terms))
        return [words()]
