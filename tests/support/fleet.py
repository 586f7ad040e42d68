"""A real lab on one machine: one Unix user per simulated host, one sshd on 127.0.0.1, a synthetic zoo over HTTP.

Needs root (useradd, sshd). The hosts are parameters: ``Fleet(workdir, mirror_url, pcs, pis, lock, host_vars)``,
or ``Fleet.lab(workdir, mirror_url)`` for the course's lab (4 PCs and 2 Pis, the first PC with an extra model, the
second Pi with another model instead of the default). Every simulated host is ``ansible_host=127.0.0.1 ansible_port=<port>
ansible_user=<user>``; the Raspberry Pis get the Pi profile through the role's documented override
(``workstation_profile: pi`` in group_vars), since the machine is x86_64. Fleets with other user names and another
lock live side by side in one pytest session (the fleet, mirror and report tests each have their own).

The sshd is the fleet's own: config, host key, pid file and log in its folder, started with
``/usr/sbin/sshd -D -f <config>`` and stopped by pid. The users are created fresh (an old one of the same name is
deleted with its home first) and deleted at the end.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from ansible_collections.labfleet.zoo.tests.support import runner, trees
from ansible_collections.labfleet.zoo.tests.support.repo import OUTPUT, PC_MODEL, PI_MODEL, REPO

SSHD = '/usr/sbin/sshd'
PROVISION = REPO / 'tools' / 'teacher' / 'provision.py'   # the README's command
PC_EXTRA = 'efficientdet_d0_coco17_tpu-32'                  # the lab's first PC also gets an EfficientDet
PI_CHOICE = 'ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8'  # the lab's second Pi: instead of the default 320x320
MODELS = (PC_MODEL, PI_MODEL, PC_EXTRA, PI_CHOICE)        # every model of the lab
ARCHIVE_SIZE = 64 * 1024
SSH_ARGS = '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o LogLevel=ERROR'


def lab_hosts(prefix, pcs=4, pis=2):
    """(PC names, Pi names) of a lab whose Unix users start with ``prefix``: <prefix>pc01..., <prefix>pi01..."""
    return (tuple('%spc%02d' % (prefix, n) for n in range(1, pcs + 1)),
            tuple('%spi%02d' % (prefix, n) for n in range(1, pis + 1)))


def lab_host_vars(pcs, pis):
    """The course lab's host_vars: the first PC also gets PC_EXTRA, the second Pi PI_CHOICE instead of its default."""
    return {pcs[0]: {'workstation_models_extra': [PC_EXTRA]}, pis[1]: {'workstation_models': [PI_CHOICE]}}


# tests/fleet's lab and its lock (tests/mirror and tests/report have users and locks of their own).
PCS, PIS = lab_hosts('lf')
LOCK = '/run/lock/labfleet-zoo-fleet.lock'


def ensure_sshd():
    ensure_package(SSHD, 'openssh-server')


def ensure_package(binary, package):
    """Install ``package`` when ``binary`` is missing (CI's .ci/run installs it already), starting no service."""
    if os.path.exists(binary):
        return
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    policy = Path('/usr/sbin/policy-rc.d')
    ours = not policy.exists()
    if ours:   # keep the package's maintainer scripts from starting a system service (sshd on 22, nginx on 80)
        policy.write_text('#!/bin/sh\nexit 101\n')
        policy.chmod(0o755)
    try:
        cmd = ['apt-get', 'install', '-y', '--no-install-recommends', package]
        if subprocess.run(cmd, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(['apt-get', 'update'], env=env, capture_output=True, check=True)
            subprocess.run(cmd, env=env, capture_output=True, check=True)
    finally:
        if ours:
            policy.unlink()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_listening(proc, port, log, what):
    """Wait (15 s at most) until ``proc`` listens on 127.0.0.1:``port``; its ``log`` file explains an early exit."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('%s exited: %s' % (what, Path(log).read_text()))
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('%s did not listen on 127.0.0.1:%d' % (what, port))


def stop_process(proc, sig, timeout):
    """Stop ``proc`` with ``sig``, then SIGKILL after ``timeout`` seconds."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, text=True)


class Fleet(object):
    """The simulated lab. ``start()`` brings it up, ``stop()`` removes everything it made.

    ``pcs``/``pis`` are the hosts (and Unix users) of the groups student_pcs and raspberry_pis; ``host_vars`` maps a
    host to its host_vars; ``lock`` is the file that fleets with the same users take turns on (they are machine-wide).
    """

    # The documented override: this machine is x86_64, these hosts play Raspberry Pis (tests/support/arm.py's real
    # ARM userlands need none); an x86_64 userland has no TFLite runtime wheel for a Pi: the documented opt-out.
    pi_group_vars = {'workstation_profile': 'pi', 'workstation_pi_runtime': False}

    def __init__(self, workdir, mirror_url, pcs, pis, lock, host_vars=None):
        self.dir = Path(workdir)
        self.mirror_url = mirror_url
        self.pcs, self.pis = tuple(pcs), tuple(pis)
        self.hosts = self.pcs + self.pis
        self.host_vars = dict(host_vars or {})
        self.lock_path = lock
        self.port = None
        self.proc = None
        self._lock = None
        self.inventory = self.dir / 'inventory'
        self.key = self.dir / 'id_ed25519'
        self.forks = 10        # the tests' 6 hosts at once; None = ansible.cfg's (30, the lab's whole wave)

    @classmethod
    def lab(cls, workdir, mirror_url, pcs=PCS, pis=PIS, lock=LOCK):
        """The course's lab (4 PCs and 2 Pis by default) with the lab's host_vars."""
        return cls(workdir, mirror_url, pcs, pis, lock, lab_host_vars(pcs, pis))

    def expected_models(self, host):
        """The catalog names a host must end with: its host_vars' workstation_models, else its profile's default
        model, plus its workstation_models_extra."""
        own = self.host_vars.get(host, {})
        if own.get('workstation_models'):
            return list(own['workstation_models'])
        return [PI_MODEL if host in self.pis else PC_MODEL] + list(own.get('workstation_models_extra', ()))

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def start(self):
        if os.geteuid() != 0:
            raise RuntimeError('the fleet harness needs root (useradd, sshd)')
        # The Unix users are machine-wide: fleets of concurrent test runs take turns.
        self._lock = open(self.lock_path, 'w')
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        ensure_sshd()
        self.dir.mkdir(parents=True, exist_ok=True)
        _run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'labfleet-fleet', '-f', str(self.key))
        _run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(self.dir / 'ssh_host_ed25519_key'))
        pubkey = (self.dir / 'id_ed25519.pub').read_text()
        for user in self.hosts:
            self._make_user(user, pubkey)
        self._start_sshd()
        self._write_inventory()
        return self

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, 10)
        self._close_masters()
        for user in self.hosts:
            self._drop_user(user)
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _close_masters(self):
        """Ask Ansible's ssh ControlPersist masters (started by our runs) to exit, ending their sessions."""
        folder = self.dir / 'cp'
        for sock in (folder.iterdir() if folder.is_dir() else ()):
            subprocess.run(['ssh', '-o', 'ControlPath=%s' % sock, '-O', 'exit', 'fleet'], capture_output=True,
                           timeout=10, check=False)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _drop_user(self, user):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return
        subprocess.run(['userdel', '--force', '--remove', user], capture_output=True, check=False)

    def _make_user(self, user, pubkey):
        self._drop_user(user)
        _run('useradd', '--create-home', '--shell', '/bin/bash', user)
        _run('usermod', '--password', '*', user)      # no password, but not locked: sshd accepts the key
        entry = pwd.getpwnam(user)
        ssh = Path(entry.pw_dir) / '.ssh'
        ssh.mkdir(mode=0o700)
        (ssh / 'authorized_keys').write_text(pubkey)
        (ssh / 'authorized_keys').chmod(0o600)
        for path in (ssh, ssh / 'authorized_keys'):
            os.chown(str(path), entry.pw_uid, entry.pw_gid)

    def _start_sshd(self):
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)    # privilege separation directory
        self.port = free_port()
        config = self.dir / 'sshd_config'
        config.write_text('\n'.join([
            'Port %d' % self.port,
            'ListenAddress 127.0.0.1',
            'HostKey %s' % (self.dir / 'ssh_host_ed25519_key'),
            'PidFile %s' % (self.dir / 'sshd.pid'),
            'AuthorizedKeysFile .ssh/authorized_keys',
            'PubkeyAuthentication yes',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'UsePAM no',
            'AllowUsers %s' % ' '.join(self.hosts),
            'MaxStartups 200',
            'MaxSessions 200',
            'Subsystem sftp internal-sftp',
            '',
        ]))
        _run(SSHD, '-t', '-f', str(config))
        self.proc = subprocess.Popen([SSHD, '-D', '-f', str(config), '-E', str(self.dir / 'sshd.log')])
        wait_listening(self.proc, self.port, self.dir / 'sshd.log', 'sshd')

    def host(self, user):
        """A simulated host's inventory entry: the fleet's sshd, logged in as the host's own user."""
        return {'ansible_host': '127.0.0.1', 'ansible_port': self.port, 'ansible_user': user}

    def inventory_files(self):
        """{path below the inventory folder: YAML data} of the fleet's inventory (hosts.yml, group_vars, host_vars)."""
        hosts = {'all': {
            'vars': {'ansible_python_interpreter': '/usr/bin/python3',
                     'ansible_ssh_private_key_file': str(self.key),
                     'ansible_ssh_common_args': SSH_ARGS},
            'children': {'student_pcs': {'hosts': dict((u, self.host(u)) for u in self.pcs)},
                         'raspberry_pis': {'hosts': dict((u, self.host(u)) for u in self.pis)}},
        }}
        files = {
            'hosts.yml': hosts,
            'group_vars/all.yml': {'workstation_mirrors': [self.mirror_url]},
            'group_vars/raspberry_pis.yml': self.pi_group_vars,
        }
        files.update(('host_vars/%s.yml' % host, data) for host, data in self.host_vars.items())
        return files

    def _write_inventory(self):
        for name, data in self.inventory_files().items():
            path = self.inventory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('---\n' + yaml.safe_dump(data, sort_keys=False, width=1000))

    # -- facts about a host -----------------------------------------------------------------------------------------

    def home(self, user):
        return Path(pwd.getpwnam(user).pw_dir)

    def workspace(self, user):
        return self.home(user) / 'tod_tf2'

    def snapshot(self, user):
        """{relative path: (kind, size, mtime_ns, bytes or None)} of a host's workspace; {} when there is none."""
        return trees.workspace(self.workspace(user))

    # -- running the README's command -------------------------------------------------------------------------------

    def env(self, json_output=True):
        forks = {} if self.forks is None else {'ANSIBLE_FORKS': str(self.forks)}
        return runner.env('test_json' if json_output else 'default', ANSIBLE_SSH_CONTROL_PATH_DIR=str(self.dir / 'cp'),
                          ANSIBLE_LOCAL_TEMP=str(self.dir / 'tmp'), **forks)

    def provision(self, *args, playbook=None, json_output=True, timeout=900):
        """``python tools/teacher/provision.py [playbook] -i <fleet inventory> args...``; returns a ``runner.Run``."""
        cmd = [sys.executable, PROVISION] + ([REPO / 'playbooks' / playbook] if playbook else [])
        cmd += ['-i', self.inventory] + list(args)
        return runner.run(cmd, self.env(json_output), json_output=json_output, timeout=timeout)


_TIMINGS = {}


def record_timing(name, seconds, hosts, tier='fleet'):
    """Wall times of this session, written to tests/output/<tier>_timings.txt (and printed with -s); ``hosts``
    None for what is not a run over SSH."""
    _TIMINGS.setdefault(tier, {})[name] = (seconds, hosts)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    text = ''.join('%s: %.1f s%s\n' % (key, value, ' (%d hosts over SSH)' % count if count else '')
                   for key, (value, count) in _TIMINGS[tier].items())
    (OUTPUT / ('%s_timings.txt' % tier)).write_text(text)
    print('\n%s: %.1f s' % (name, seconds))
