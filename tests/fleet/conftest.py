"""Session fixtures of the fleet tests: the synthetic zoo on 127.0.0.1, the simulated lab, its first provisioning."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.fleet import ARCHIVE_SIZE, MODELS, Fleet, record_timing
from ansible_collections.labfleet.zoo.tests.support.zoo import served


@pytest.fixture(scope='session')
def fleet_zoo(tmp_path_factory):
    """The four models of the fleet as tiny synthetic archives, served on 127.0.0.1."""
    with served(tmp_path_factory.mktemp('fleet_zoo'), MODELS, size=ARCHIVE_SIZE) as server:
        yield server


@pytest.fixture(scope='session')
def fleet(tmp_path_factory, fleet_zoo):
    if os.geteuid() != 0:
        pytest.skip('the fleet tests need root: they create Unix users and start sshd')
    the_fleet = Fleet.lab(tmp_path_factory.mktemp('fleet'), fleet_zoo.url)
    try:
        the_fleet.start()
        yield the_fleet
    finally:
        the_fleet.stop()


class Provisioned(object):
    """The fresh fleet's --check run, its snapshots around it, and the first real run."""

    def __init__(self, check, before, after_check, requests_during_check, first):
        self.check, self.before, self.after_check = check, before, after_check
        self.requests_during_check = requests_during_check
        self.first = first


@pytest.fixture(scope='session')
def provisioned(fleet, fleet_zoo):
    """Runs once: --check --diff on the fresh fleet, then the first real provisioning (timed)."""
    before = dict((host, fleet.snapshot(host)) for host in fleet.hosts)
    fleet_zoo.reset_counters()
    check = fleet.provision('--check', '--diff')
    requests = fleet_zoo.request_count()
    after_check = dict((host, fleet.snapshot(host)) for host in fleet.hosts)
    first = fleet.provision()
    assert first.rc == 0 and not first.problems(), first.describe()
    record_timing('first_run_seconds', first.seconds, len(fleet.hosts))
    return Provisioned(check, before, after_check, requests, first)
