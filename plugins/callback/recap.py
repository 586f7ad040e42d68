# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: recap
type: aggregate
short_description: Per-host recap of labfleet.zoo.model at the end of a play run
version_added: 0.1.0
description:
  - Collects the results of every M(labfleet.zoo.model) task (and the models of every M(labfleet.zoo.workspace)
    task) and, when the playbook ends, prints one compact table
    under the usual PLAY RECAP, one line per host, with how many models were V(installed), V(repaired),
    V(attributes) (intact, only their owner, group or mode restored), V(unchanged) (already fine; with
    O(labfleet.zoo.model#module:state=absent), nothing to remove), V(removed), how many V(failed) (a failed loop item
    counts once), the bytes downloaded, and where they came from (V(mirror) or V(upstream), with the server's host
    name and port).
  - A source counts as a mirror when it starts with one of the task's O(labfleet.zoo.model#module:mirrors),
    as upstream otherwise.
  - Prints nothing when the run had no M(labfleet.zoo.model) result, and stays silent when the stdout callback
    writes JSON (its name ends with V(json) or V(jsonl)), so that machine-readable output stays parsable.
  - In check mode the counts are what a real run would do, and no byte is downloaded.
  - Enable it in C(ansible.cfg) with C(callbacks_enabled = labfleet.zoo.recap) (this repository's C(ansible.cfg)
    does), or with the E(ANSIBLE_CALLBACKS_ENABLED) environment variable.
author:
  - labfleet.zoo contributors (@labfleet)
requirements:
  - enabled with C(callbacks_enabled) in C(ansible.cfg)
seealso:
  - module: labfleet.zoo.model
"""

from urllib.parse import urlsplit

import ansible.constants as C
from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary as words
from ansible_collections.labfleet.zoo.plugins.module_utils._catalog import MODELS

MODULES = ('labfleet.zoo.model', 'model')
# labfleet.zoo.workspace returns one model result per model (and per model removed) in one task.
WORKSPACE = ('labfleet.zoo.workspace', 'workspace')
# state=absent with nothing to remove did nothing: it counts as unchanged.
COUNTED_AS = {words.ABSENT: words.UNCHANGED}
# The table's count columns: every action of labfleet.zoo.model, then the failed ones.
COLUMNS = tuple(action for action in words.MODEL_ACTIONS if action not in COUNTED_AS) + (words.FAILED,)
UPSTREAM_HOSTS = frozenset(urlsplit(entry['url']).netloc for entry in MODELS)


def human_bytes(count):
    """1536 -> '1.5 KiB'; 0 -> '0 B'."""
    size = float(count)
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if size < 1024 or unit == 'GiB':
            return '%d B' % count if unit == 'B' else '%.1f %s' % (size, unit)
        size /= 1024
    return '%.1f TiB' % size


def where(source, mirrors):
    """('mirror' | 'upstream', host[:port]) of the URL that served an archive."""
    host = urlsplit(source).netloc or 'local file'
    if any(source.startswith(m.rstrip('/') + '/') for m in mirrors or ()):
        return 'mirror', host
    if host in UPSTREAM_HOSTS or not mirrors:
        return 'upstream', host
    return 'mirror', host


class HostRecap(object):
    """What labfleet.zoo.model did on one host."""

    def __init__(self):
        self.counts = dict((column, 0) for column in COLUMNS)
        self.bytes = 0
        self.sources = {}

    def add(self, result, mirrors, failed=False):
        """Count one result; ``failed`` is the event's (callbacks receive results without their ``failed`` key)."""
        if failed:
            self.counts[words.FAILED] += 1
            return
        action = COUNTED_AS.get(result.get('action'), result.get('action'))
        if action in self.counts:
            self.counts[action] += 1
        downloaded = int(result.get('bytes_downloaded') or 0)
        self.bytes += downloaded
        if downloaded and result.get('source'):
            key = where(result['source'], mirrors)
            self.sources[key] = self.sources.get(key, 0) + downloaded

    def origin(self):
        if not self.sources:
            return '-'
        return ', '.join('%s %s' % key for key, _count in sorted(self.sources.items(), key=lambda kv: -kv[1]))


def _attr(obj, name):
    """``obj.name`` on ansible-core 2.19+, ``obj._name`` before (TaskResult's public properties are new)."""
    value = getattr(obj, name, None)
    return value if value is not None else getattr(obj, '_' + name)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'labfleet.zoo.recap'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.hosts = {}
        self.check_mode = False

    def _collect(self, result, item, failed=False):
        task = _attr(result, 'task')
        data = _attr(result, 'result')
        if item is False and isinstance(data.get('results'), list):
            return  # a loop's aggregate result: its items were counted one by one
        action = getattr(task, 'resolved_action', None)
        workspace = action in WORKSPACE or task.action in WORKSPACE
        if not workspace and action not in MODULES and task.action not in MODULES:
            return
        args = (data.get('invocation') or {}).get('module_args') or {}
        mirrors = args.get('mirrors')
        if mirrors is None:
            mirrors = task.args.get('mirrors') if isinstance(task.args.get('mirrors'), list) else []
        recap = self.hosts.setdefault(_attr(result, 'host').get_name(), HostRecap())
        parts = (data.get('models') or []) + (data.get('removed') or []) if workspace else None
        if parts is None or (not parts and failed):
            recap.add(data, mirrors, failed=failed)  # a model task, or a workspace that failed before any model
        for part in parts or ():
            recap.add(part, mirrors, failed=part.get('action') == words.FAILED)
        self.check_mode = self.check_mode or task.check_mode is True or bool(context.CLIARGS.get('check'))

    def v2_runner_on_ok(self, result):
        self._collect(result, False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._collect(result, False, failed=True)

    def v2_runner_item_on_ok(self, result):
        self._collect(result, True)

    def v2_runner_item_on_failed(self, result):
        self._collect(result, True, failed=True)

    def lines(self):
        """The recap table, as lines of text."""
        header = ('host',) + COLUMNS + ('downloaded', 'from')
        rows = [header]
        total = HostRecap()
        for host in sorted(self.hosts):
            recap = self.hosts[host]
            rows.append((host,) + tuple(str(recap.counts[c]) for c in COLUMNS)
                        + (human_bytes(recap.bytes), recap.origin()))
            for action, count in recap.counts.items():
                total.counts[action] += count
            total.bytes += recap.bytes
            for key, count in recap.sources.items():
                total.sources[key] = total.sources.get(key, 0) + count
        if len(self.hosts) > 1:
            rows.append(('TOTAL (%d hosts)' % len(self.hosts),) + tuple(str(total.counts[c]) for c in COLUMNS)
                        + (human_bytes(total.bytes), total.origin()))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        out = []
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:])]
            out.append('  '.join(cells + [row[-1]]).rstrip())
        return out

    def v2_playbook_on_stats(self, stats):
        if not self.hosts or str(C.DEFAULT_STDOUT_CALLBACK).endswith(('json', 'jsonl')):
            return
        title = 'LABFLEET.ZOO MODELS RECAP%s ' % (' (CHECK MODE: what a real run would do)' if self.check_mode else '')
        self._display.banner(title)
        for line in self.lines():
            self._display.display(line)
        self._display.display('')
