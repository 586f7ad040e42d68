"""Fixtures of the reliability suite (issue 5): the seed, printed so that any run can be replayed; and its report.

    pytest tests/reliability                                   the suite (asserts what must hold)
    pytest tests/reliability --reliability-report [--quick]    the same scenarios as one table of figures instead
           [--seed N] [--work DIR] [--only NAME,...] [--hostile-k EXPR] [-v]

(the report: tests/support/reliability/report.py; its exit status is 0 when every property held, 1 otherwise).
"""

from __future__ import annotations

import pytest

from ansible_collections.labfleet.zoo.tests.support.reliability import report
from ansible_collections.labfleet.zoo.tests.support.reliability.common import SEED_ENV, default_seed

_SEED = default_seed()
_REPORT = pytest.StashKey[str]()


def pytest_addoption(parser):
    group = parser.getgroup('reliability', 'the reliability report (tests/support/reliability/report.py)')
    group.addoption('--reliability-report', action='store_true',
                    help='run the scenarios and the hostile lab and print one table of figures instead of the tests')
    group.addoption('--seed', type=int, default=None, help='report: replay a run (default: $%s or a fresh seed)'
                    % SEED_ENV)
    group.addoption('--quick', action='store_true', help='report: smaller archives, fewer timed kills (still >= 20 '
                    'faults and >= 10 kills)')
    group.addoption('--work', default=None, help='report: scratch folder (default: a temporary one, removed afterwards)')
    group.addoption('--only', default=None, help='report: comma-separated scenarios: %s' % ','.join(report.NAMES))
    group.addoption('--hostile-k', metavar='EXPR', default=None,
                    help='report: run only the hostile-lab attacks matching this pytest -k expression (default: all '
                         'of tests/security)')


def _reporting(config):
    return config.getoption('reliability_report', default=False)


@pytest.fixture(scope='session')
def seed():
    """The suite's seed: $LABFLEET_ZOO_SEED, else a fresh one (printed at the end of the run)."""
    return _SEED


def pytest_configure(config):
    only = config.getoption('only', default=None)
    unknown = sorted(set(only.split(',')) - set(report.NAMES)) if only and _reporting(config) else []
    if unknown:
        raise pytest.UsageError('--only: unknown scenario(s) %s (known: %s)'
                                % (', '.join(unknown), ', '.join(report.NAMES)))


def pytest_collection_modifyitems(config, items):
    if _reporting(config):   # the report runs the scenarios itself, once, at the end of the session
        config.hook.pytest_deselected(items=list(items))
        items[:] = []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    config = session.config
    if not _reporting(config):
        return
    only = config.getoption('only')
    capture = config.pluginmanager.getplugin('capturemanager')
    with capture.global_and_fixture_disabled():   # the scenarios' progress lines, as they run
        text, status = report.report(seed=config.getoption('seed'), quick=config.getoption('quick'),
                                     work=config.getoption('work'), only=only.split(',') if only else None,
                                     hostile_k=config.getoption('hostile_k'),
                                     verbose=config.getoption('verbose') > 0)
    config.stash[_REPORT] = text
    session.exitstatus = status


def pytest_terminal_summary(terminalreporter, config):
    if _reporting(config):
        for line in config.stash.get(_REPORT, '').splitlines():
            terminalreporter.write_line(line)
        return
    terminalreporter.write_line('labfleet.zoo reliability suite: seed %d (replay with %s=%d)'
                                % (_SEED, SEED_ENV, _SEED))
