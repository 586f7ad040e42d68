"""A real lab on one machine: one Unix user per simulated host, one sshd on 127.0.0.1, a synthetic zoo over HTTP.

Needs root (useradd, sshd). Every simulated host is ``ansible_host=127.0.0.1 ansible_port=<port>
ansible_user=<user>``; the Raspberry Pis get the Pi profile through the role's documented override
(``workstation_profile: pi`` in group_vars), since the machine is x86_64.

The sshd is this harness's own: config, host key, pid file and log in its folder, started with
``/usr/sbin/sshd -D -f <config>`` and stopped by pid. The users are created fresh (an old one of the same name is
deleted with its home first) and deleted at the end.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SSHD = '/usr/sbin/sshd'
PCS = ('lfpc01', 'lfpc02', 'lfpc03', 'lfpc04')
PIS = ('lfpi01', 'lfpi02')
PC_MODEL = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'
PI_MODEL = 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'
PC_EXTRA = 'efficientdet_d0_coco17_tpu-32'       # host_vars of PCS[0]: also an EfficientDet
PI_CHOICE = 'ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8'   # host_vars of PIS[1]: instead of the 320x320
MODELS = (PC_MODEL, PI_MODEL, PC_EXTRA, PI_CHOICE)
ARCHIVE_SIZE = 64 * 1024
OUTPUT = REPO / 'tests' / 'output'
LOCK = '/run/lock/labfleet-zoo-fleet.lock'


def expected_models(host, pcs=PCS, pis=PIS):
    """The catalog names a host must end with, from the profile defaults and the host_vars below."""
    if host in pis:
        return [PI_CHOICE] if host == pis[1] else [PI_MODEL]
    return [PC_MODEL, PC_EXTRA] if host == pcs[0] else [PC_MODEL]


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


def _run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, text=True)


class Fleet(object):
    """The simulated lab. ``start()`` brings it up, ``stop()`` removes everything it made."""

    def __init__(self, workdir, mirror_url):
        self.dir = Path(workdir)
        self.mirror_url = mirror_url
        self.hosts = PCS + PIS
        self.port = None
        self.proc = None
        self.inventory = self.dir / 'inventory'
        self.key = self.dir / 'id_ed25519'

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def start(self):
        if os.geteuid() != 0:
            raise RuntimeError('the fleet harness needs root (useradd, sshd)')
        # The Unix users are machine-wide: fleets of concurrent test runs take turns.
        self._lock = open(LOCK, 'w')
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
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_masters()
        for user in self.hosts:
            self._drop_user(user)
        if getattr(self, '_lock', None) is not None:
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
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('sshd exited: %s' % (self.dir / 'sshd.log').read_text())
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('sshd did not listen on 127.0.0.1:%d' % self.port)

    def _write_inventory(self):
        ssh_args = ('-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes '
                    '-o LogLevel=ERROR')

        def host(user):
            return {'ansible_host': '127.0.0.1', 'ansible_port': self.port, 'ansible_user': user}

        hosts = {'all': {
            'vars': {'ansible_python_interpreter': '/usr/bin/python3',
                     'ansible_ssh_private_key_file': str(self.key),
                     'ansible_ssh_common_args': ssh_args},
            'children': {'student_pcs': {'hosts': dict((u, host(u)) for u in PCS)},
                         'raspberry_pis': {'hosts': dict((u, host(u)) for u in PIS)}},
        }}
        files = {
            'hosts.yml': hosts,
            'group_vars/all.yml': {'workstation_mirrors': [self.mirror_url]},
            # The documented override: this machine is x86_64, these hosts play Raspberry Pis.
            'group_vars/raspberry_pis.yml': {'workstation_profile': 'pi'},
            'host_vars/%s.yml' % PCS[0]: {'workstation_models_extra': [PC_EXTRA]},
            'host_vars/%s.yml' % PIS[1]: {'workstation_models': [PI_CHOICE]},
        }
        for name, data in files.items():
            path = self.inventory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('---\n' + yaml.safe_dump(data, sort_keys=False))

    # -- facts about a host -----------------------------------------------------------------------------------------

    def home(self, user):
        return Path(pwd.getpwnam(user).pw_dir)

    def workspace(self, user):
        return self.home(user) / 'tod_tf2'

    def snapshot(self, user):
        """{relative path: (kind, size, mtime_ns, bytes or None)} of a host's workspace; {} when there is none."""
        root = self.workspace(user)
        out = {}
        if not root.exists():
            return out
        for dirpath, dirnames, filenames in os.walk(str(root)):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                rel = os.path.relpath(path, str(root))
                if name in filenames:
                    with open(path, 'rb') as handle:
                        out[rel] = ('file', st.st_size, st.st_mtime_ns, handle.read())
                else:
                    out[rel] = ('dir', 0, st.st_mtime_ns, None)
        return out

    # -- running the README's command -------------------------------------------------------------------------------

    def env(self, **extra):
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_FORKS='10', ANSIBLE_NOCOLOR='1',
                   ANSIBLE_SSH_CONTROL_PATH_DIR=str(self.dir / 'cp'), ANSIBLE_LOCAL_TEMP=str(self.dir / 'tmp'),
                   ANSIBLE_RETRY_FILES_ENABLED='0')
        env.update(extra)
        return env

    def provision(self, *args, playbook=None, json_output=True, timeout=900):
        """``python tools/provision.py [playbook] -i <fleet inventory> args...``; returns a Run."""
        cmd = [sys.executable, str(REPO / 'tools' / 'provision.py')]
        if playbook:
            cmd.append(str(REPO / 'playbooks' / playbook))
        cmd += ['-i', str(self.inventory)] + list(args)
        env = self.env(ANSIBLE_STDOUT_CALLBACK='test_json' if json_output else 'default',
                       ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'tests' / 'callback_plugins'))
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=str(REPO), env=env, capture_output=True, text=True, timeout=timeout, check=False)
        return Run(cmd, proc, time.monotonic() - start, json_output)


class Run(object):
    """One ansible-playbook run: return code, wall time, and the per-host recap (and tasks with json)."""

    def __init__(self, cmd, proc, seconds, json_output):
        self.cmd, self.rc, self.seconds = cmd, proc.returncode, seconds
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.out = None
        if json_output:
            try:
                self.out = json.loads(proc.stdout)
            except ValueError:
                tail = (proc.stdout[-3000:], proc.stderr[-3000:])
                raise AssertionError('no JSON from %s:\n%s\n%s' % ((' '.join(cmd),) + tail))
            self.stats = self.out['stats']
        else:
            self.stats = parse_recap(proc.stdout)

    def changed(self):
        return dict((host, stats['changed']) for host, stats in self.stats.items())

    def problems(self):
        return dict((host, stats) for host, stats in self.stats.items()
                    if stats.get('failures') or stats.get('unreachable') or stats.get('failed'))

    def results(self, host, task_suffix):
        """The results (one per loop item) of tasks whose name ends with ``task_suffix`` on ``host``."""
        out = []
        for play in self.out['plays']:
            for task in play['tasks']:
                if task['task']['name'].endswith(task_suffix) and host in task['hosts']:
                    res = task['hosts'][host]
                    out.extend(res.get('results', [res]))
        return out

    def describe(self):
        return '%s\nrc=%s\n%s\n%s' % (' '.join(self.cmd), self.rc, self.stdout[-6000:], self.stderr[-3000:])


def parse_recap(text):
    """{host: {ok, changed, unreachable, failed, ...}} from the PLAY RECAP of the default callback."""
    stats = {}
    lines = text.splitlines()
    try:
        start = max(i for i, line in enumerate(lines) if line.startswith('PLAY RECAP'))
    except ValueError:
        return stats
    for line in lines[start + 1:]:
        if ':' not in line or '=' not in line:
            continue
        host, _sep, rest = line.partition(':')
        stats[host.strip()] = dict((k, int(v)) for k, v in (pair.split('=') for pair in rest.split()))
    return stats


_TIMINGS = {}


def record_timing(name, seconds):
    """Fleet wall times of this session, written to tests/output/fleet_timings.txt (and printed with -s)."""
    _TIMINGS[name] = seconds
    OUTPUT.mkdir(parents=True, exist_ok=True)
    text = ''.join('%s: %.1f s (%d hosts over SSH)\n' % (key, value, len(PCS + PIS)) for key, value in _TIMINGS.items())
    (OUTPUT / 'fleet_timings.txt').write_text(text)
    print('\n%s: %.1f s' % (name, seconds))
