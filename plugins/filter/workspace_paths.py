# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tod_tf2 workspace layouts for playbooks: every folder and file the workstation role makes or checks,
relative to the workspace root. Documented in workspace_paths.yml beside this file; the layouts and their invariants
live in module_utils/_lab.py, which the module labfleet.zoo.workspace uses on the target.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.labfleet.zoo.plugins.module_utils import _lab


def workspace_paths(layout, projects=None, models=None):
    """The workspace of ``layout`` for ``projects`` (names or {name, classes}) and ``models`` (names or catalog
    entries {key, top_dir}); see workspace_paths.yml for the shape."""
    try:
        return _lab.workspace_paths(layout, projects, models)
    except ValueError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):

    def filters(self):
        return {'workspace_paths': workspace_paths}
