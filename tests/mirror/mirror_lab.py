"""The lab with its mirror, for real (helpers of tests/mirror): an "upstream" zoo server, the role labfleet.zoo.mirror on a teacher host
(this machine, local connection), a real nginx serving the mirror, and the SSH fleet of tests/fleet (6 workstations,
two profiles, host_vars).

The fleet is tests/fleet/harness.py's (imported, not copied) with its own Unix users (``lm*``), so that it can live
beside the fleet tests' users in one pytest session.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'fleet'))

import harness  # noqa: E402
from harness import PC_EXTRA, PI_CHOICE, Fleet  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NGINX = '/usr/sbin/nginx'
TEACHER = 'lmteacher'
PCS = ('lmpc01', 'lmpc02', 'lmpc03', 'lmpc04')
PIS = ('lmpi01', 'lmpi02')
# The Unix users are machine-wide: mirror fleets of concurrent test runs take turns (a lock of their own, since
# the fleet tests' lock is held by their session fixture for the whole session).
LOCK = '/run/lock/labfleet-zoo-mirror-fleet.lock'
# The documented wiring of inventory/lab/group_vars/all.yml, used as is (ansible_user aside: one user per host here).
LAB_WIRING = ('lab_mirror_host', 'lab_mirror_url', 'workstation_mirrors', 'workstation_checksums')


def expected_models(host):
    """The models a host of this fleet gets (the same host_vars as tests/fleet: first PC, second Pi)."""
    return harness.expected_models(host, PCS, PIS)


class Nginx(object):
    """Our own nginx master (``nginx -c <conf> -g 'daemon off;'``) whose http block includes the role's server block."""

    def __init__(self, workdir, site, port):
        self.dir, self.site, self.port = Path(workdir), Path(site), port
        self.proc = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self):
        harness.ensure_package(NGINX, 'nginx')
        temp = self.dir / 'temp'
        temp.mkdir(parents=True, exist_ok=True)
        conf = self.dir / 'nginx.conf'
        conf.write_text('\n'.join([
            'user root;',    # the mirror folder is under pytest's private (0700) temporary folder
            'worker_processes 2;',
            'pid %s;' % (self.dir / 'nginx.pid'),
            'error_log %s;' % (self.dir / 'error.log'),
            'events { worker_connections 256; }',
            'http {',
            '    include /etc/nginx/mime.types;',
            '    default_type application/octet-stream;',
            '    client_body_temp_path %s/body;' % temp,
            '    proxy_temp_path %s/proxy;' % temp,
            '    fastcgi_temp_path %s/fastcgi;' % temp,
            '    uwsgi_temp_path %s/uwsgi;' % temp,
            '    scgi_temp_path %s/scgi;' % temp,
            '    include %s;' % self.site,
            '}',
            '',
        ]))
        subprocess.run([NGINX, '-t', '-q', '-c', str(conf)], check=True, capture_output=True, text=True)
        self.proc = subprocess.Popen([NGINX, '-c', str(conf), '-g', 'daemon off;'])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('nginx exited: %s' % (self.dir / 'error.log').read_text())
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('nginx did not listen on 127.0.0.1:%d' % self.port)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)    # graceful: workers finish, then exit
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class MirrorFleet(Fleet):
    """harness.Fleet with its own users, a ``teachers`` group (this machine) and the lab inventory's wiring."""

    def __init__(self, workdir, upstream_url, nginx_port):
        super(MirrorFleet, self).__init__(workdir, None)
        self.hosts = PCS + PIS
        self.upstream_url = upstream_url
        self.nginx_port = nginx_port
        self.mirror_root = self.dir / 'mirror'
        self.site = self.dir / 'nginx-site' / 'labfleet-zoo-mirror.conf'
        self.access_log = self.dir / 'nginx-access.log'
        self.lock_file = self.inventory / '.zoo.lock.yml'

    def start(self):
        saved, harness.LOCK = harness.LOCK, LOCK
        try:
            return super(MirrorFleet, self).start()
        finally:
            harness.LOCK = saved

    def _write_inventory(self):
        super(MirrorFleet, self)._write_inventory()
        hosts = yaml.safe_load((self.inventory / 'hosts.yml').read_text())
        children = hosts['all']['children']
        for group, names in (('student_pcs', PCS), ('raspberry_pis', PIS)):
            children[group]['hosts'] = dict((name, {'ansible_host': '127.0.0.1', 'ansible_port': self.port,
                                                    'ansible_user': name}) for name in names)
        children['teachers'] = {'hosts': {TEACHER: {'ansible_connection': 'local', 'ansible_host': '127.0.0.1'}}}
        lab = yaml.safe_load((REPO / 'inventory' / 'lab' / 'group_vars' / 'all.yml').read_text())
        wiring = dict((key, lab[key]) for key in LAB_WIRING)
        wiring.update(workstation_upstream=self.upstream_url, workstation_download_retries=1)
        self.site.parent.mkdir(parents=True, exist_ok=True)
        teachers = {
            'mirror_root': str(self.mirror_root), 'mirror_port': self.nginx_port, 'mirror_listen_address': '127.0.0.1',
            'mirror_upstream': self.upstream_url, 'mirror_download_retries': 1,
            # The test runs its own nginx master (tests/mirror/conftest.py Nginx) with the role's server block.
            'mirror_nginx_service': False, 'mirror_nginx_site': str(self.site),
            'mirror_nginx_access_log': str(self.access_log),
        }
        for host_vars in ('host_vars/lfpc01.yml', 'host_vars/lfpi02.yml'):
            (self.inventory / host_vars).unlink()
        files = {
            'hosts.yml': hosts,
            'group_vars/all.yml': wiring,
            'group_vars/teachers.yml': teachers,
            'host_vars/%s.yml' % PCS[0]: {'workstation_models_extra': [PC_EXTRA]},
            'host_vars/%s.yml' % PIS[1]: {'workstation_models': [PI_CHOICE]},
        }
        for name, data in files.items():
            (self.inventory / name).write_text('---\n' + yaml.safe_dump(data, sort_keys=False, width=1000))

    def lock(self):
        return yaml.safe_load(self.lock_file.read_text())['models']
