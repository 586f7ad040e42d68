"""The lab with its mirror, for real: the fleet (support/fleet.py) with its own Unix users (``lm*``), plus a teacher
host (this machine, local connection) running the role labfleet.zoo.mirror, served by a real nginx
(support/nginx.py), against an "upstream" zoo server on 127.0.0.1 (and, for the Pis of support/arm.py, an
"upstream" PEP 503 index of their wheels: support/wheels.py)."""

from __future__ import annotations

import yaml

from ansible_collections.labfleet.zoo.tests.support.fleet import Fleet, lab_host_vars, lab_hosts
from ansible_collections.labfleet.zoo.tests.support.repo import REPO

TEACHER = 'lmteacher'
PCS, PIS = lab_hosts('lm')
# The Unix users are machine-wide: mirror fleets of concurrent test runs take turns (a lock of their own, since
# the fleet tests' lock is held by their session fixture for the whole session).
LOCK = '/run/lock/labfleet-zoo-mirror-fleet.lock'
# The documented wiring of inventory/lab/group_vars/all.yml, used as is (ansible_user aside: one user per host here).
LAB_WIRING = ('lab_mirror_host', 'lab_mirror_url', 'workstation_mirrors', 'workstation_checksums',
              'workstation_pi_index', 'workstation_pi_wheels')


class WithMirror(object):
    """A fleet (Fleet or one of its kinds) with a ``teachers`` group (this machine) running the mirror role and the
    lab inventory's wiring; ``nginx`` is set by the caller (support/nginx.py on ``site`` and ``nginx_port``)."""

    def _mirror(self, upstream_url, nginx_port, pi_upstream_url=''):
        self.upstream_url, self.pi_upstream_url = upstream_url, pi_upstream_url
        self.nginx_port = nginx_port
        self.nginx = None
        self.mirror_root = self.dir / 'mirror'
        self.site = self.dir / 'nginx-site' / 'labfleet-zoo-mirror.conf'
        self.access_log = self.dir / 'nginx-access.log'
        self.lock_file = self.inventory / '.zoo.lock.yml'

    def inventory_files(self):
        files = super(WithMirror, self).inventory_files()
        files['hosts.yml']['all']['children']['teachers'] = {
            'hosts': {TEACHER: {'ansible_connection': 'local', 'ansible_host': '127.0.0.1'}}}
        lab = yaml.safe_load((REPO / 'inventory' / 'lab' / 'group_vars' / 'all.yml').read_text())
        wiring = dict((key, lab[key]) for key in LAB_WIRING)
        wiring.update(workstation_upstream=self.upstream_url, workstation_download_retries=1)
        self.site.parent.mkdir(parents=True, exist_ok=True)
        files['group_vars/all.yml'] = wiring
        files['group_vars/teachers.yml'] = {
            'mirror_root': str(self.mirror_root), 'mirror_port': self.nginx_port, 'mirror_listen_address': '127.0.0.1',
            'mirror_upstream': self.upstream_url, 'mirror_download_retries': 1,
            # The test runs its own nginx master (support/nginx.py) with the role's server block.
            'mirror_nginx_service': False, 'mirror_nginx_site': str(self.site),
            'mirror_nginx_access_log': str(self.access_log),
        }
        if self.pi_upstream_url:
            files['group_vars/teachers.yml']['mirror_pi_upstream'] = self.pi_upstream_url
        return files

    def lock(self, section='models'):
        return yaml.safe_load(self.lock_file.read_text())[section]


class MirrorFleet(WithMirror, Fleet):
    """The fleet with its own users (the course's lab of ``lm*`` users unless told) and its mirror."""

    def __init__(self, workdir, upstream_url, nginx_port, pcs=PCS, pis=PIS, lock=LOCK, host_vars=None):
        host_vars = lab_host_vars(pcs, pis) if host_vars is None else host_vars
        super(MirrorFleet, self).__init__(workdir, None, pcs, pis, lock, host_vars)
        self._mirror(upstream_url, nginx_port)
