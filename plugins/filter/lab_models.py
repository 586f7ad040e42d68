# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which zoo models a workstation gets, and which ones the whole lab needs: one rule, used by the workstation role
(each host its own list) and by the mirror role (the union over the lab). Documented in workstation_models.yml and
lab_models.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# The workstation role's variables that choose the models (its defaults fill in what the inventory does not set).
SELECTION_VARS = ('workstation_profile', 'workstation_models', 'workstation_models_pc', 'workstation_models_pi',
                  'workstation_models_extra')


def _unique(names):
    out = []
    for name in names:
        if name not in out:
            out.append(name)
    return out


def _names(value, what):
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise AnsibleFilterError('%s must be a list of model names, got %r' % (what, value))
    return list(value)


def workstation_models(profile, pc=None, pi=None, models=None, extra=None):
    """The catalog names of one workstation, in order: ``models`` if not empty, else the profile's list; plus
    ``extra``. A profile that is not known (None, ``unknown``) counts with both profiles' lists."""
    base = _names(models, 'workstation_models')
    if not base:
        by_profile = {'pc': _names(pc, 'workstation_models_pc'), 'pi': _names(pi, 'workstation_models_pi')}
        base = by_profile.get(profile, by_profile['pc'] + by_profile['pi'])
    return _unique(base + _names(extra, 'workstation_models_extra'))


def lab_models(hosts, hostvars, defaults, arch_profiles=None, extra=None):
    """[{key, hosts}] for every model some host of ``hosts`` gets, in first-seen order, plus ``extra``.

    Each host's selection variables come from ``hostvars`` (inventory, host_vars, extra vars), else ``defaults``
    (the workstation role's defaults). Profile ``auto`` is decided from the host's ``ansible_facts.architecture``
    through ``arch_profiles``; a host whose facts are unknown counts with both profiles' lists.
    """
    found = {}
    for host in hosts:
        variables = hostvars[host]

        def get(name, variables=variables):
            if name in variables:
                return variables[name]
            if name in defaults:
                return defaults[name]
            raise AnsibleFilterError('lab_models: %s is set neither for %s nor in the defaults given' % (name, host))

        profile = get('workstation_profile')
        if profile == 'auto':
            facts = variables['ansible_facts'] if 'ansible_facts' in variables else {}
            profile = (arch_profiles or {}).get((facts or {}).get('architecture'))
        chosen = workstation_models(profile, pc=get('workstation_models_pc'), pi=get('workstation_models_pi'),
                                    models=get('workstation_models'), extra=get('workstation_models_extra'))
        for key in chosen:
            found.setdefault(key, []).append(host)
    for key in _names(extra, 'extra'):
        found.setdefault(key, [])
    return [{'key': key, 'hosts': found_hosts} for key, found_hosts in found.items()]


class FilterModule(object):

    def filters(self):
        return {'workstation_models': workstation_models, 'lab_models': lab_models}
