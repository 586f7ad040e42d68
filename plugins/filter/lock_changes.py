# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What changed upstream since an archive was pinned in the lab's lock file. Documented in lock_changes.yml beside
this file; the comparison itself is plugin_utils/_lock.changes."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.labfleet.zoo.plugins.plugin_utils import _lock


def lock_changes(entry, size=None, etag=None, last_modified=None):
    if not isinstance(entry, dict) or not isinstance(entry.get('size'), int):
        raise AnsibleFilterError('lock_changes: the input must be an entry of the lock file (with its size), got %r'
                                 % (entry,))
    return _lock.changes(entry, size=size, etag=etag, last_modified=last_modified)


class FilterModule(object):

    def filters(self):
        return {'lock_changes': lock_changes}
