# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: lock
short_description: The pinned zoo archives (or Pi wheels) of the lab's lock file
version_added: 0.1.0
description:
  - Reads the lab's lock file (C(.zoo.lock.yml), kept with the inventory), where the role P(labfleet.zoo.mirror#role)
    records the sha256 and size of every zoo archive at its first download.
  - "Returns its entries, C({<model>: {sha256, size, url, recorded, etag, last_modified}}), or with O(checksums)
    the digests in the form M(labfleet.zoo.model) takes, C({<model>: 'sha256:<hex>'}), ready for
    C(workstation_checksums)."
  - "With O(wheels), the Raspberry Pis' runtime wheels that M(labfleet.zoo.wheelhouse) recorded,
    C({<platform>: {<wheel file>: {sha256, size}}}), ready for C(workstation_pi_wheels)."
  - A missing lock file gives an empty mapping (nothing is pinned yet); a malformed one fails, naming the file.
author:
  - labfleet.zoo contributors (@labfleet)
options:
  _terms:
    description: The path of the lock file (one).
    type: list
    elements: path
    required: true
  checksums:
    description: "Return C({<model>: 'sha256:<hex>'}) instead of the entries."
    type: bool
    default: false
  wheels:
    description: "Return the C(wheels) section, C({<platform>: {<wheel file>: {sha256, size}}}), instead of the
      archives' entries."
    type: bool
    default: false
notes:
  - Runs on the controller. The file is read each time the lookup is templated, so a play sees what an earlier play
    of the same run recorded.
seealso:
  - module: labfleet.zoo.archive
  - module: labfleet.zoo.wheelhouse
"""

EXAMPLES = r"""
- name: Pin every workstation's archives to the lab's lock (inventory group_vars/all.yml)
  ansible.builtin.set_fact:
    workstation_checksums: "{{ lookup('labfleet.zoo.lock', inventory_dir ~ '/.zoo.lock.yml', checksums=true) }}"

- name: Show when each archive was recorded
  ansible.builtin.debug:
    msg: "{{ lookup('labfleet.zoo.lock', inventory_dir ~ '/.zoo.lock.yml') | dict2items | map(attribute='value.recorded') }}"

- name: Pin the Pis' runtime wheels to the lab's lock (inventory group_vars/all.yml)
  ansible.builtin.set_fact:
    workstation_pi_wheels: "{{ lookup('labfleet.zoo.lock', inventory_dir ~ '/.zoo.lock.yml', wheels=true) }}"
"""

RETURN = r"""
_raw:
  description: "One mapping, C({<model>: entry}), C({<model>: 'sha256:<hex>'}) with O(checksums), or
    C({<platform>: {<wheel file>: entry}}) with O(wheels)."
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.plugin_utils import _lock


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleLookupError('give the path of one lock file, got %d terms' % len(terms))
        if self.get_option('checksums') and self.get_option('wheels'):
            raise AnsibleLookupError('give checksums=true or wheels=true, not both')
        try:
            if self.get_option('wheels'):
                return [_lock.wheels(terms[0])]
            models = _lock.read(terms[0])
        except ZooError as e:
            raise AnsibleLookupError(str(e))
        return [_lock.checksums(models) if self.get_option('checksums') else models]
