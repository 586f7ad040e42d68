# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print how long each test tier took, from the JUnit XML report of one pytest run (.ci/run writes it).

A tier is a folder under tests/ (tests/unit, tests/integration, tests/fleet...) or a test module directly in tests/
(tests/test_ecosystem.py). A test's time is pytest's: setup + call + teardown, so a session fixture counts in the
first test that uses it. Usage: python3 .ci/tier-durations.py REPORT.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def tier_of(case):
    """'tests/unit' for classname 'tests.unit.plugins.test_x', 'tests/test_ecosystem.py' for 'tests.test_ecosystem'."""
    parts = (case.get('classname') or '').split('.')
    if len(parts) >= 2 and parts[0] == 'tests':
        if parts[1].startswith('test_'):
            return 'tests/%s.py' % parts[1]
        return 'tests/%s' % parts[1]
    return case.get('classname') or '?'


def tiers(report):
    """{tier: [seconds, tests, failed or errored, skipped]} from a JUnit XML file."""
    result = {}
    for case in ET.parse(report).getroot().iter('testcase'):
        row = result.setdefault(tier_of(case), [0.0, 0, 0, 0])
        row[0] += float(case.get('time') or 0)
        row[1] += 1
        row[2] += 1 if case.find('failure') is not None or case.find('error') is not None else 0
        row[3] += 1 if case.find('skipped') is not None else 0
    return result


def main(argv):
    if len(argv) != 2:
        sys.exit('usage: python3 .ci/tier-durations.py REPORT.xml')
    rows = tiers(argv[1])
    print('%-28s %9s %6s %7s %8s' % ('tier', 'seconds', 'tests', 'failed', 'skipped'))
    for name, (seconds, count, failed, skipped) in sorted(rows.items(), key=lambda item: -item[1][0]):
        print('%-28s %9.1f %6d %7d %8d' % (name, seconds, count, failed, skipped))
    print('%-28s %9.1f %6d' % ('all tiers', sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())))


if __name__ == '__main__':
    main(sys.argv)
