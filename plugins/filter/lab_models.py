# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which profile a workstation has, which zoo models it gets, and which ones the whole lab needs: one rule
(module_utils/_lab.py), applied on each workstation by the module labfleet.zoo.workspace and over the lab by the
mirror role (these filters), so that neither role reads the other's files. Documented in workstation_profile.yml,
workstation_models.yml and lab_models.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.labfleet.zoo.plugins.module_utils import _lab

# The course's choice for a host that sets none of the variables that choose its models: the defaults of the role
# labfleet.zoo.workstation. roles/workstation/defaults/main.yml shows the same values to teachers (and ansible-doc);
# tests/unit/roles/test_role_selection_defaults.py fails when the two disagree.
SELECTION_DEFAULTS = {
    'workstation_profile': 'auto',
    'workstation_models_pc': ['faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'],
    'workstation_models_pi': ['ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'],
    'workstation_models': [],
    'workstation_models_extra': [],
    'workstation_pi_runtime': True,
}


def _rule(function):
    """A rule of module_utils/_lab.py as a filter: its ValueError becomes the filter's error."""
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as e:
            raise AnsibleFilterError(str(e))
    wrapped.__name__, wrapped.__doc__ = function.__name__, function.__doc__
    return wrapped


workstation_profile = _rule(_lab.workstation_profile)
workstation_models = _rule(_lab.workstation_models)


def pi_runtime(userspace_bits):
    """The TensorFlow Lite runtime of a Pi whose userland has ``userspace_bits`` (``unknown`` when none fits)."""
    try:
        return _lab.PI_RUNTIMES.get(int(userspace_bits), _lab.UNKNOWN)
    except (TypeError, ValueError):
        return _lab.UNKNOWN


# The playbooks' groups of workstations, and the profile their hosts have when the inventory says no more.
GROUP_PROFILES = {'student_pcs': 'pc', 'raspberry_pis': 'pi'}


def _hosts(hosts, hostvars, defaults, group_profiles):
    """(host, profile, get) for each of ``hosts``: ``get(name)`` is the host's value of a selection variable."""
    by_group = GROUP_PROFILES if group_profiles is None else group_profiles
    for host in hosts:
        variables = hostvars[host]

        def get(name, variables=variables):
            for source in (variables, defaults or {}):
                if name in source:
                    return source[name]
            return SELECTION_DEFAULTS[name]

        facts = (variables['ansible_facts'] if 'ansible_facts' in variables else {}) or {}
        profile = workstation_profile(facts.get('architecture'), get('workstation_profile'))
        if 'architecture' not in facts and profile == _lab.UNKNOWN:
            hinted = set(by_group[g] for g in (variables['group_names'] if 'group_names' in variables else ())
                         if g in by_group)
            profile = hinted.pop() if len(hinted) == 1 else _lab.UNKNOWN
        yield host, profile, get


def lab_models(hosts, hostvars, defaults=None, extra=None, group_profiles=None):
    """[{key, hosts}] for every model some host of ``hosts`` gets, in first-seen order, plus ``extra``.

    Each host's selection variables come from ``hostvars`` (inventory, host_vars, extra vars), else ``defaults``,
    else SELECTION_DEFAULTS (the workstation role's defaults). Profile ``auto`` is decided from the host's
    ``ansible_facts.architecture`` as the workstation decides it when facts are known; else from the host's groups
    (``group_profiles``, GROUP_PROFILES by default), so that no host is contacted for its facts; a host that is in
    none of them (or in groups of both profiles) counts with both profiles' lists.
    """
    found = {}
    for host, profile, get in _hosts(hosts, hostvars, defaults, group_profiles):
        chosen = workstation_models(profile, pc=get('workstation_models_pc'), pi=get('workstation_models_pi'),
                                    models=get('workstation_models'), extra=get('workstation_models_extra'))
        for key in chosen:
            found.setdefault(key, []).append(host)
    for key in _rule(_lab.model_names)(extra, 'extra'):
        found.setdefault(key, [])
    return [{'key': key, 'hosts': found_hosts} for key, found_hosts in found.items()]


def lab_pis(hosts, hostvars, defaults=None, group_profiles=None):
    """The hosts of ``hosts`` that install a Pi runtime: profile ``pi`` (or unknown: it may be one), decided as
    lab_models decides it, and ``workstation_pi_runtime`` not false."""
    found = []
    for host, profile, get in _hosts(hosts, hostvars, defaults, group_profiles):
        try:
            runtime = boolean(get('workstation_pi_runtime'), strict=True)
        except TypeError as e:
            raise AnsibleFilterError('%s: workstation_pi_runtime: %s' % (host, e))
        if runtime and profile in ('pi', _lab.UNKNOWN):
            found.append(host)
    return found


class FilterModule(object):

    def filters(self):
        return {'workstation_profile': workstation_profile, 'workstation_models': workstation_models,
                'lab_models': lab_models, 'lab_pis': lab_pis, 'pi_runtime': pi_runtime}
