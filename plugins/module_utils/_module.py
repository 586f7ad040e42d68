# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one tail of every labfleet.zoo module, and its one error funnel.

A module builds its argument spec and its AnsibleModule, then hands :func:`run` a ``work()`` that calls into the
domain module_utils and returns ``(result, warnings)``. :func:`run` ends the task.

Invariants:
- The only module_utils file that touches AnsibleModule: the domain module_utils are given plain values (params,
  check mode, the ``_fs.Attrs`` of :func:`file_attrs`) and never an AnsibleModule.
- ZooError and OSError become ``fail_json(msg=...)`` here and only here: a ZooError with its own text, an OSError
  as ``cannot <what the module was doing>: <reason> (<file>)`` (``_fs.os_error``), never a traceback. Anything else
  is a bug and is left to Ansible's own report.
- The passwords written in the task's URLs are no_log values before any work starts.
- The result's ``diff`` is returned only when the task runs with diff; warnings are given in order. A result with
  ``failed`` (parts failed after others were done) ends the task as failed, with its ``msg`` and every part.
- Imports nothing a no-op rerun of labfleet.zoo.model does not already load (``_fetch`` only when URLs are given).
"""

from __future__ import annotations

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError


def file_attrs(module):
    """The task's owner/group/mode as ``_fs.Attrs`` (symbolic modes parsed by AnsibleModule's own parser)."""
    params = module.params
    return _fs.attrs_from(params.get('owner'), params.get('group'), params.get('mode'),
                          symbolic=module._symbolic_mode_to_octal)


def run(module, work, doing, urls=()):
    """Run ``work()`` -> (result, warnings) and end the task; ``doing`` ('install x in /y') names the work in the
    message of an OSError; the passwords in ``urls`` (None entries skipped) are hidden from every output."""
    urls = [url for url in urls if url]
    if urls:
        from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import secrets_of
        module.no_log_values.update(secrets_of(urls))
    try:
        result, warnings = work()
    except ZooError as e:
        module.fail_json(msg=str(e))
    except OSError as e:
        module.fail_json(msg='cannot %s: %s' % (doing, _fs.os_error(e)))
    else:
        for warning in warnings:
            module.warn(warning)
        if not module._diff:
            result.pop('diff', None)
        if result.get('failed'):  # a module whose parts failed after others were done: their results go along
            module.fail_json(**result)
        module.exit_json(**result)
