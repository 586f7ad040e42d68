"""Session fixtures of the Pi tests: real arm64 and armhf userlands under qemu-user, their lab mirror (this machine, a
real nginx), the "upstream" synthetic zoo and wheel index, the first run."""

from __future__ import annotations

import os

import pytest

from ansible_collections.labfleet.zoo.tests.support.arm import PiLab, qemu_version
from ansible_collections.labfleet.zoo.tests.support.fleet import ARCHIVE_SIZE, free_port, record_timing
from ansible_collections.labfleet.zoo.tests.support.mirror import TEACHER
from ansible_collections.labfleet.zoo.tests.support.nginx import Nginx
from ansible_collections.labfleet.zoo.tests.support.repo import PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.wheels import served_wheels
from ansible_collections.labfleet.zoo.tests.support.zoo import served

# One Pi of each userland: a Pi 3/4/5 on 64-bit Raspberry Pi OS, a Pi 2/3 on 32-bit.
ARCHES = {'pi64': 'arm64', 'pi32': 'armhf'}


@pytest.fixture(scope='session')
def pi_zoo(tmp_path_factory):
    with served(tmp_path_factory.mktemp('pi_zoo'), [PI_MODEL], size=ARCHIVE_SIZE) as server:
        yield server


@pytest.fixture(scope='session')
def pi_wheels():
    """The mirror's "PyPI": the Pis' runtime wheels, fetched once into .cache/wheels, served on 127.0.0.1."""
    with served_wheels() as server:
        yield server


@pytest.fixture(scope='session')
def pis(tmp_path_factory, pi_zoo, pi_wheels):
    if os.geteuid() != 0:
        pytest.skip('the ARM userlands need root (mmdebstrap, chroot, mount, binfmt_misc)')
    lab = PiLab(tmp_path_factory.mktemp('pis'), pi_zoo.url, free_port(), ARCHES, pi_wheels.url)
    lab.nginx = Nginx(lab.dir / 'nginx', lab.site, lab.nginx_port)
    try:
        lab.start()
        for arch, seconds in sorted(lab.build_seconds.items()):
            record_timing('%s rootfs build (%s; 0 = cached in .cache/arm)' % (arch, qemu_version()), seconds, None,
                          tier='pis')
        yield lab
    finally:
        lab.nginx.stop()
        lab.stop()


class FirstRun(object):
    def __init__(self, fill, run, requests, wheel_requests):
        self.fill, self.run, self.requests, self.wheel_requests = fill, run, requests, wheel_requests


@pytest.fixture(scope='session')
def first_run(pis, pi_zoo, pi_wheels):
    """The evening before class: fill the mirror (teacher only), start nginx on its server block, provision."""
    pi_zoo.reset_counters()
    pi_wheels.reset_counters()
    fill = pis.provision('--limit', TEACHER)
    assert fill.rc == 0 and not fill.problems(), fill.describe()
    record_timing('mirror fill (archive and wheelhouse from the upstreams)', fill.seconds, None, tier='pis')
    pis.nginx.start()
    run = pis.provision()
    assert run.rc == 0 and not run.problems(), run.describe()
    record_timing('first run', run.seconds, len(pis.hosts), tier='pis')
    return FirstRun(fill, run, pi_zoo.request_count(), pi_wheels.wheel_requests())
