"""What a module of this collection really passes to AnsibleModule (its main() run until AnsibleModule is built)."""

from __future__ import annotations

import importlib

import pytest

from ansible.module_utils.testing import patch_module_args


class _Captured(Exception):
    pass


def argument_spec_of(name, monkeypatch):
    """(argument_spec, other AnsibleModule keyword arguments) that labfleet.zoo.<name>'s main() really passes."""
    module = importlib.import_module('ansible_collections.labfleet.zoo.plugins.modules.' + name)
    seen = {}

    def capture(**kwargs):
        seen.update(kwargs)
        raise _Captured()

    monkeypatch.setattr(module, 'AnsibleModule', capture)
    with patch_module_args({}):
        with pytest.raises(_Captured):
            module.main()
    return seen.pop('argument_spec'), seen
