# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which profile a workstation has, which zoo models it gets, and which ones the whole lab needs: one rule, used by
the workstation role (each host its own list) and by the mirror role (the union over the lab), so that neither role
reads the other's files. Documented in workstation_profile.yml, workstation_models.yml and lab_models.yml beside this
file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# uname -m (ansible_facts.architecture) -> profile. A 32-bit Raspberry Pi OS on a Pi 4/400/5 reports aarch64 (its
# kernel is 64-bit): still a Pi.
ARCH_PROFILES = {'x86_64': 'pc', 'amd64': 'pc', 'armv6l': 'pi', 'armv7l': 'pi', 'aarch64': 'pi', 'arm64': 'pi'}
UNKNOWN = 'unknown'

# The course's choice for a host that sets none of the variables that choose its models: the defaults of the role
# labfleet.zoo.workstation. roles/workstation/defaults/main.yml shows the same values to teachers (and ansible-doc);
# tests/unit/roles/test_role_selection_defaults.py fails when the two disagree.
SELECTION_DEFAULTS = {
    'workstation_profile': 'auto',
    'workstation_models_pc': ['faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'],
    'workstation_models_pi': ['ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'],
    'workstation_models': [],
    'workstation_models_extra': [],
}


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


def workstation_profile(architecture, profile='auto'):
    """``profile`` unless it is ``auto``; else the profile of ``architecture`` (``unknown`` when it has none)."""
    if profile != 'auto':
        return profile
    return ARCH_PROFILES.get(architecture, UNKNOWN)


def workstation_models(profile, pc=None, pi=None, models=None, extra=None):
    """The catalog names of one workstation, in order: ``models`` if not empty, else the profile's list; plus
    ``extra``. A profile that is not known (None, ``unknown``) counts with both profiles' lists."""
    base = _names(models, 'workstation_models')
    if not base:
        by_profile = {'pc': _names(pc, 'workstation_models_pc'), 'pi': _names(pi, 'workstation_models_pi')}
        base = by_profile.get(profile, by_profile['pc'] + by_profile['pi'])
    return _unique(base + _names(extra, 'workstation_models_extra'))


def lab_models(hosts, hostvars, defaults=None, extra=None):
    """[{key, hosts}] for every model some host of ``hosts`` gets, in first-seen order, plus ``extra``.

    Each host's selection variables come from ``hostvars`` (inventory, host_vars, extra vars), else ``defaults``,
    else SELECTION_DEFAULTS (the workstation role's defaults). Profile ``auto`` is decided from the host's
    ``ansible_facts.architecture`` as the workstation role decides it; a host whose facts are unknown counts with both
    profiles' lists.
    """
    found = {}
    for host in hosts:
        variables = hostvars[host]

        def get(name, variables=variables):
            for source in (variables, defaults or {}):
                if name in source:
                    return source[name]
            return SELECTION_DEFAULTS[name]

        facts = variables['ansible_facts'] if 'ansible_facts' in variables else {}
        profile = workstation_profile((facts or {}).get('architecture'), get('workstation_profile'))
        chosen = workstation_models(profile, pc=get('workstation_models_pc'), pi=get('workstation_models_pi'),
                                    models=get('workstation_models'), extra=get('workstation_models_extra'))
        for key in chosen:
            found.setdefault(key, []).append(host)
    for key in _names(extra, 'extra'):
        found.setdefault(key, [])
    return [{'key': key, 'hosts': found_hosts} for key, found_hosts in found.items()]


class FilterModule(object):

    def filters(self):
        return {'workstation_profile': workstation_profile, 'workstation_models': workstation_models,
                'lab_models': lab_models}
