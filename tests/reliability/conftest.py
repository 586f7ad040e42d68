"""Fixtures of the reliability suite (issue 5): the seed, printed so that any run can be replayed."""

from __future__ import annotations

import pytest

import scenarios

_SEED = scenarios.default_seed()


@pytest.fixture(scope='session')
def seed():
    """The suite's seed: $LABFLEET_ZOO_SEED, else a fresh one (printed at the end of the run)."""
    return _SEED


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line('labfleet.zoo reliability suite: seed %d (replay with %s=%d)'
                                % (_SEED, scenarios.SEED_ENV, _SEED))
