#!/usr/bin/env python
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many bytes crossed the internet link for a lab run, per model, against the naive per-host download.

    ANSIBLE_STDOUT_CALLBACK=ansible.posix.json python tools/teacher/provision.py -i inventory/lab > run.json
    python tools/teacher/fleet_bytes.py run.json [more-runs.json ...]

Reads the JSON log of one or more runs (the ``ansible.posix.json`` stdout callback's format, which the test suite's
``test_json`` callback shares) and the results of ``labfleet.zoo.workspace`` and ``labfleet.zoo.model``
(workstations) and ``labfleet.zoo.archive`` (the mirror) in it. A download whose ``source`` is not one of the task's ``mirrors`` came from upstream. The naive
figure is what the same workstations would have pulled from upstream without a mirror: the archive size once per
workstation that downloaded it. A download that fell back from a failing mirror counts its whole archive as upstream.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys


def _results(document):
    """(host, result, module args) of every task result in a run log: loop items flattened, and each model of a
    labfleet.zoo.workspace result (the workstation role's one task) with that task's arguments."""
    for play in document.get('plays', ()):
        for task in play.get('tasks', ()):
            for host, result in task.get('hosts', {}).items():
                for item in result.get('results', [result]):
                    args = (item.get('invocation') or {}).get('module_args') or {}
                    for model in item.get('models') or ():
                        yield host, model, args
                    yield host, item, args


def _download(result, args):
    """(kind, model, size, bytes, from_upstream) of a labfleet.zoo model/archive result, else None."""
    if not isinstance(result, dict) or 'bytes_downloaded' not in result or result.get('failed'):
        return None
    item = result.get('item')
    model = result.get('key') or (item.get('key') if isinstance(item, dict) and item.get('key') else None)
    model = model or args.get('name')
    if not model:
        return None
    kind = 'mirror' if 'size' in result and 'files' not in result else 'workstation'
    size = result.get('archive_size') or result.get('size') or 0
    received = result.get('bytes_downloaded') or 0
    source = result.get('source') or ''
    mirrors = [m.rstrip('/') + '/' for m in args.get('mirrors') or ()]
    upstream = bool(received) and not any(source.startswith(m) for m in mirrors)
    if upstream and result.get('failed_sources'):
        received = size
    return kind, model, size, received, upstream


def tally(documents):
    """{model: counters} over the runs: size, workstations that downloaded, bytes from upstream and from mirrors."""
    table = collections.OrderedDict()
    for document in documents:
        for _host, result, args in _results(document):
            found = _download(result, args)
            if not found:
                continue
            kind, model, size, received, upstream = found
            row = table.setdefault(model, collections.Counter())
            row['size'] = max(row['size'], size)
            if kind == 'workstation' and received:
                row['hosts'] += 1
            row['upstream' if upstream else 'mirror'] += received
    return table


def render(table, names):
    header = ('model', 'archive bytes', 'hosts', 'naive upstream', 'upstream', 'from mirror', 'saved')
    rows = []
    totals = collections.Counter()
    for model in sorted(table):
        row = table[model]
        naive = row['size'] * row['hosts']
        values = (row['size'], row['hosts'], naive, row['upstream'], row['mirror'], naive - row['upstream'])
        for key, value in zip(('size', 'hosts', 'naive', 'upstream', 'mirror', 'saved'), values):
            totals[key] += value
        rows.append((model,) + tuple('{:,}'.format(v) for v in values))
    rows.append(('total', '') + tuple('{:,}'.format(totals[k]) for k in ('hosts', 'naive', 'upstream', 'mirror', 'saved')))
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = ['Bytes from upstream per model (%s): with the mirror vs each workstation downloading itself'
             % ', '.join(os.path.basename(n) for n in names)]
    for number, row in enumerate([header] + rows):
        if number in (1, len(rows)):
            lines.append('  '.join('-' * w for w in widths))
        lines.append('  '.join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('runs', nargs='+', metavar='RUN.json', help="a run's JSON log ('-' for standard input)")
    parser.add_argument('--json', action='store_true', help='print the table as JSON')
    args = parser.parse_args(argv)
    documents = []
    for name in args.runs:
        try:
            text = sys.stdin.read() if name == '-' else open(name).read()
            documents.append(json.loads(text))
        except (OSError, ValueError) as e:
            parser.error('cannot read the run log %s: %s' % (name, e))
    table = tally(documents)
    if not table:
        print('fleet_bytes.py: no labfleet.zoo download in %s' % ', '.join(args.runs), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(dict((model, dict(row, naive=row['size'] * row['hosts'])) for model, row in table.items()),
                         indent=1, sort_keys=True))
    else:
        print(render(table, args.runs))
    return 0


if __name__ == '__main__':
    sys.exit(main())
