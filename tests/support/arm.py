"""Real Raspberry Pi userlands for the tests: Debian bookworm root filesystems for arm64 and armhf run under
qemu-user, each one a host that Ansible reaches over SSH (an sshd of the userland's own, started inside its chroot
on a loopback port), logged in as root, with a student account ``eleve`` whose workspace the tests provision.

- Built once per work tree with mmdebstrap (a few minutes each: every package script runs emulated) into
  ``.cache/arm/<arch>-<digest>.tar`` (never in git; the digest names what is in it, so a change of the package list
  builds anew), and extracted fresh for each test session. ``PiLab.build_seconds`` says what each build cost (0
  when the tarball was there).
- Needs root and binfmt_misc: ``ensure_binfmt()`` mounts it and registers qemu-aarch64 and qemu-arm with the F flag
  (the interpreter is opened once, so nothing is copied into a rootfs). .ci/run installs qemu-user-static (10.x:
  7.2 crashes some TFLite models under arm64 emulation), mmdebstrap and zstd.
- Debian packages come from the mirror this machine's apt already uses (``debian_mirror()``).
- A userland's /proc, /sys, /dev and /dev/pts are mounted in a private mount namespace of its sshd (unshare): this
  machine never sees them, and they go with the last process of that namespace, even when a test session is
  killed, so no later rm -rf (pytest's clean-up of old temporary folders, ``stop()``) can delete this machine's
  devices through a bind mount of /dev. ``stop()`` still deletes the tree only when /proc/self/mounts shows nothing
  mounted below it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support.fleet import Fleet, free_port, stop_process, wait_listening
from ansible_collections.labfleet.zoo.tests.support.mirror import WithMirror
from ansible_collections.labfleet.zoo.tests.support.repo import REPO

SUITE = 'bookworm'
CACHE = REPO / '.cache' / 'arm'
STUDENT = 'eleve'
BINFMT = Path('/proc/sys/fs/binfmt_misc')
# What a Raspberry Pi OS Lite has that the course needs (python3-venv: the TFLite runtime's venv), sshd for Ansible;
# python3-numpy on armhf, where PyPI has no armv7l numpy wheel (the runtime's venv sees it).
PACKAGES = ('python3', 'python3-venv', 'openssh-server', 'ca-certificates')
ARCHES = {
    'arm64': {'machine': 'aarch64', 'bits': 64, 'qemu': 'qemu-aarch64', 'extra': ()},
    'armhf': {'machine': 'armv7l', 'bits': 32, 'qemu': 'qemu-arm', 'extra': ('python3-numpy',)},
}
MOUNTS = (('proc', '-t proc proc'), ('sys', '-t sysfs sysfs'), ('dev', '--bind /dev'), ('dev/pts', '--bind /dev/pts'))
# Programs run inside a userland start from a clean environment: none of this machine's PIP_*, PYTHON* settings.
CLEAN_ENV = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': '/root', 'LANG': 'C.UTF-8'}


def packages(arch):
    return PACKAGES + ARCHES[arch]['extra']


def debian_mirror():
    """The first Debian archive URI this machine's apt uses (deb822 sources or sources.list)."""
    for path in sorted(Path('/etc/apt/sources.list.d').glob('*.sources')) + [Path('/etc/apt/sources.list')]:
        if not path.is_file():
            continue
        text = path.read_text()
        uris = re.findall(r'^URIs:\s*(\S+)', text, re.M) + re.findall(r'^deb\s+(?:\[[^]]*\]\s+)?(\S+)', text, re.M)
        for uri in uris:
            if not uri.rstrip('/').endswith('-security'):
                return uri
    raise RuntimeError('no Debian archive in /etc/apt/sources.list{,.d}: cannot build the ARM userlands')


def ensure_binfmt():
    """binfmt_misc mounted, qemu-aarch64 and qemu-arm registered (from qemu-user-static's binfmt.d files)."""
    if not (BINFMT / 'register').exists():
        subprocess.run(['mount', '-t', 'binfmt_misc', 'binfmt_misc', str(BINFMT)], check=True, capture_output=True)
    for spec in ARCHES.values():
        name = spec['qemu']
        if (BINFMT / name).exists():
            continue
        conf = Path('/usr/lib/binfmt.d/%s.conf' % name)
        if not conf.is_file():
            raise RuntimeError('%s is missing: install qemu-user-static (bookworm-backports, 10.x)' % conf)
        line = [text for text in conf.read_text().splitlines() if text.startswith(':')][0]
        (BINFMT / 'register').write_text(line)


def qemu_version():
    out = subprocess.run(['qemu-aarch64-static', '--version'], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0] if out else 'qemu-aarch64-static missing'


def tarball(arch):
    digest = hashlib.sha256(repr((SUITE, arch, packages(arch))).encode()).hexdigest()[:12]
    return CACHE / ('%s-%s.tar' % (arch, digest))


def build(arch):
    """(the userland's tarball, seconds spent building it: 0 when it was cached). Concurrent sessions take turns."""
    path = tarball(arch)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(str(CACHE / ('.%s.lock' % arch)), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return path, 0.0
        ensure_binfmt()
        started = time.monotonic()
        partial = path.with_suffix('.partial.tar')
        log = path.with_suffix('.log')
        cmd = ['mmdebstrap', '--arch=%s' % arch, '--variant=minbase', '--include=%s' % ','.join(packages(arch)),
               SUITE, str(partial), 'deb %s %s main' % (debian_mirror(), SUITE)]
        with open(str(log), 'w') as out:
            done = subprocess.run(cmd, env=CLEAN_ENV, stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
        if done.returncode != 0:
            if partial.exists():
                partial.unlink()
            raise RuntimeError('mmdebstrap %s failed (%d): see %s' % (arch, done.returncode, log))
        os.replace(str(partial), str(path))
        return path, time.monotonic() - started


def mounted_below(path):
    """The mount points at or below ``path`` (from /proc/self/mounts; octal escapes decoded)."""
    root = os.path.realpath(str(path))
    out = []
    with open('/proc/self/mounts') as mounts:
        for line in mounts:
            point = re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), line.split()[1])
            if point == root or point.startswith(root + '/'):
                out.append(point)
    return out


def processes_inside(root):
    """The pids whose root directory is ``root`` (what runs in a userland's chroot)."""
    root, out = os.path.realpath(str(root)), []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                if os.readlink('/proc/%s/root' % pid) == root:
                    out.append(int(pid))
            except OSError:
                pass
    return out


class Userland(object):
    """One emulated Pi: ``start()`` extracts a fresh rootfs, mounts, makes the student and starts sshd."""

    def __init__(self, workdir, arch, name, pubkey):
        self.arch, self.name = arch, name
        self.dir = Path(workdir) / name
        self.root = self.dir / 'rootfs'
        self.pubkey = pubkey
        self.port = None
        self.proc = None
        self._log = None

    def start(self):
        source, _seconds = build(self.arch)
        ensure_binfmt()
        self.root.mkdir(parents=True)
        subprocess.run(['tar', '--numeric-owner', '-xpf', str(source), '-C', str(self.root)], check=True)
        shutil.copy('/etc/resolv.conf', str(self.root / 'etc' / 'resolv.conf'))
        self.run('useradd', '--create-home', '--shell', '/bin/bash', STUDENT)
        ssh = self.root / 'root' / '.ssh'
        ssh.mkdir(mode=0o700, exist_ok=True)
        (ssh / 'authorized_keys').write_text(self.pubkey)
        (ssh / 'authorized_keys').chmod(0o600)
        # A host key of its own (openssh-server's keys in the tarball are the same for every userland), made by
        # this machine's ssh-keygen (native: the emulated one takes seconds).
        for old in (self.root / 'etc' / 'ssh').glob('ssh_host_*'):
            old.unlink()
        key = self.root / 'etc' / 'ssh' / 'ssh_host_ed25519_key'
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(key)], check=True)
        (self.root / 'run' / 'sshd').mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        log = self.dir / 'sshd.log'
        self._log = open(str(log), 'w')
        # In a mount namespace of its own: the mounts, then chroot and sshd in place of the shell (same pid).
        script = 'set -e; r=$1; shift; %s; exec chroot "$r" /usr/sbin/sshd "$@"' % '; '.join(
            'mount %s "$r/%s"' % (how, rel) for rel, how in MOUNTS)
        self.proc = subprocess.Popen(
            ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script,
             'sh', str(self.root), '-D', '-e', '-p', str(self.port),
             '-o', 'ListenAddress=127.0.0.1', '-o', 'HostKey=/etc/ssh/ssh_host_ed25519_key',
             '-o', 'PermitRootLogin=prohibit-password', '-o', 'PasswordAuthentication=no', '-o', 'UsePAM=no',
             '-o', 'MaxSessions=50', '-o', 'MaxStartups=50'],
            env=CLEAN_ENV, stdout=subprocess.DEVNULL, stderr=self._log)
        wait_listening(self.proc, self.port, log, 'sshd of the %s userland' % self.arch)
        return self

    def run(self, *cmd, check=True):
        """A command inside the userland (emulated), as root, in a clean environment."""
        return subprocess.run(['chroot', str(self.root)] + list(cmd), env=CLEAN_ENV, capture_output=True, text=True,
                              check=check)

    def host_vars(self):
        return {'ansible_host': '127.0.0.1', 'ansible_port': self.port, 'ansible_user': 'root',
                'workstation_user': STUDENT}

    def home(self):
        return self.root / 'home' / STUDENT

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM, 10)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if not self.root.exists():
            return
        for pid in processes_inside(self.root):      # sessions sshd left (Ansible's ControlPersist, a hung module)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for point in sorted(mounted_below(self.root), key=len, reverse=True):
            subprocess.run(['umount', '--lazy', point], capture_output=True, check=False)
        left = mounted_below(self.root)
        if left:
            raise RuntimeError('still mounted below %s: %s (not deleted)' % (self.root, left))
        shutil.rmtree(str(self.dir))


class PiLab(WithMirror, Fleet):
    """A lab of real emulated Pis (``arches``: {host name: 'arm64' or 'armhf'}) and its mirror (this machine, the
    role labfleet.zoo.mirror: zoo archives from ``upstream_url``, the Pis' wheels from the PEP 503 index
    ``pi_upstream_url``), provisioned as the lab is (the README's command, inventory/lab's wiring) with no profile
    override: each Pi finds its own, its model from the mirror, its TFLite runtime from the mirror's wheelhouse."""

    pi_group_vars = {}

    def __init__(self, workdir, upstream_url, nginx_port, arches, pi_upstream_url, host_vars=None):
        super(PiLab, self).__init__(workdir, None, (), tuple(arches), None, host_vars)
        self._mirror(upstream_url, nginx_port, pi_upstream_url)
        self.arches = dict(arches)
        self.userlands = {}
        self.build_seconds = {}     # {arch: seconds its tarball took to build in this session, 0 when cached}

    def start(self):
        if os.geteuid() != 0:
            raise RuntimeError('the ARM userlands need root (mmdebstrap, chroot, mount, binfmt_misc)')
        self.dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'labfleet-pis', '-f', str(self.key)],
                       check=True)
        pubkey = (self.dir / 'id_ed25519.pub').read_text()
        ensure_binfmt()
        # Both builds at once (each is mostly emulated package scripts; the cached case returns at once).
        errors = []

        def build_one(arch):
            try:
                self.build_seconds[arch] = build(arch)[1]
            except Exception as e:  # reported below, in the test session's thread
                errors.append(e)
        threads = [threading.Thread(target=build_one, args=(arch,)) for arch in sorted(set(self.arches.values()))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        for host, arch in self.arches.items():
            self.userlands[host] = Userland(self.dir, arch, host, pubkey)   # stop() undoes a start half done
            self.userlands[host].start()
        self._write_inventory()
        return self

    def stop(self):
        self._close_masters()
        errors = []
        for userland in self.userlands.values():
            try:
                userland.stop()
            except RuntimeError as e:     # the others are still stopped
                errors.append(e)
        if errors:
            raise errors[0]

    def host(self, user):
        return self.userlands[user].host_vars()

    def home(self, user):
        return self.userlands[user].home()

    def student_ids(self, host):
        """(uid, gid) of the student in a Pi's own /etc/passwd."""
        for line in (self.userlands[host].root / 'etc' / 'passwd').read_text().splitlines():
            fields = line.split(':')
            if fields[0] == STUDENT:
                return int(fields[2]), int(fields[3])
        raise KeyError(STUDENT)
