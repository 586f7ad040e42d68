#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark labfleet.zoo.model side by side with the floor and with what Ansible users write today.

Every comparison is a ratio measured in the same run, on the same synthetic archive served by the
same 127.0.0.1 server, with A/B variants interleaved (the order rotates every round) after one
warm-up round. Absolute times are printed for context only: these machines are shared and noisy.

Sections
  cold   fresh dest each run: ``labfleet.zoo.model`` through ansible-playbook (its wall time and the
         module's own ``elapsed``) vs ``curl -s URL | tar xz -C dest`` (the baseline) vs a play doing
         ansible.builtin.get_url (checksum: sha256:...) + ansible.builtin.unarchive (remote_src: true).
  warm   no-op rerun with the model installed: our play vs a trivial one-task play (ping, the
         baseline; debug shown too) vs the get_url + unarchive play rerun (checksum + creates:).
  rss    peak RSS of the module process installing the --size-rss archive, measured two ways:
         (a) a direct runner (the module's code path without AnsiballZ: _request.from_params +
         _install.Installer.present()) started through a small launcher that reads that one
         process's ru_maxrss with os.wait4(); (b) the real module process under ansible-playbook (the
         interpreter running the AnsiballZ payload), its VmHWM polled from /proc. ansible-playbook's
         own peak RSS (main process and forked workers) is shown for context.
  fleet  an idempotent rerun over --hosts local hosts (distinct inventory names, each with its own
         dest) vs a trivial ping play (and a debug play) over the same hosts.
  profile (only with --profile) cProfile of one direct install of the --size archive, top entries.

Targets (PASS/MISS printed beside each, never asserted): cold install module time <= 1.2 x curl|tar;
warm rerun <= 1.05 x trivial play; peak RSS <= 80 MB at 1 GiB; fleet rerun <= 1.3 x trivial play.

Results are printed as a table and written as JSON (default tests/output/bench.json).
Run from anywhere with the project venv:  .venv/bin/python tools/dev/bench_install.py
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / 'collections'  # holds the checkout's collection link (make venv)
if __name__ == '__main__':  # run as a script: the link makes the imports below work
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.labfleet.zoo.tools.fixtures.checkout import ansible_env, ansible_executable, default_models  # noqa: E402
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import archive_info, build_archive, parse_size  # noqa: E402
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer  # noqa: E402

KEY = default_models('pc')[0]  # the student PCs' model (212 MB upstream with the course's defaults)
# The plays measured, as YAML files that yamllint and ansible-lint check: tools/dev/bench_plays/<name>.yml.
PLAYS = Path(__file__).resolve().parent / 'bench_plays'
PLAY_NAMES = ('install', 'get_url', 'ping', 'debug')
MB = 1000 * 1000
TARGETS = {'cold': 1.2, 'warm': 1.05, 'rss_mb': 80.0, 'fleet': 1.3}
_RESULT_LINE = re.compile(r'^(ok|changed|fatal|failed): \[([^\]]+)\](?:: [A-Z! ]+)? => (\{.*\})\s*$')

# The module's code path without AnsiballZ, for measuring the process that installs (argv: mode, params json
# [, pstats file]; PYTHONPATH: the collections folder). mode 'imports' stops after the imports (the fixed cost).
RUNNER = r'''
import json, sys
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params
if sys.argv[1] == 'imports':
    print('{}')
    sys.exit(0)
params = json.loads(sys.argv[2])
if sys.argv[1] == 'profile':
    import cProfile
    prof = cProfile.Profile()
    result = prof.runcall(lambda: Installer(from_params(params)).present())
    prof.dump_stats(sys.argv[3])
else:
    result = Installer(from_params(params)).present()
result.pop('diff', None)
print(json.dumps(result))
'''

# Starts argv[2:] and writes that one child's ru_maxrss (KiB) to argv[1]; exits with the child's status.
LAUNCHER = r'''
import json, os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], 'w') as fh:
    json.dump({'maxrss_kib': usage.ru_maxrss, 'status': status}, fh)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
'''


class BenchError(Exception):
    """A variant did not do what it is supposed to measure."""


# ---------------------------------------------------------------------------------------------- helpers

def mb(nbytes):
    return round(nbytes / MB, 1)


def size_arg(text):
    """argparse type: the synthetic zoo's own size syntax (212M = 212 MiB, 1G = 1 GiB, plain bytes)."""
    try:
        value = parse_size(text)
    except ValueError:
        raise argparse.ArgumentTypeError('not a size: %r (examples: 212M, 1G, 4096)' % text)
    if value <= 0:
        raise argparse.ArgumentTypeError('size must be positive: %r' % text)
    return value


def human(n):
    """212 MiB, 1 GiB, 4 MiB for the sizes given on the command line; MB otherwise."""
    for unit, factor in (('GiB', 2 ** 30), ('MiB', 2 ** 20)):
        if n >= factor and n % factor == 0:
            return '%d %s' % (n // factor, unit)
    return '%.1f MB' % (n / MB)


def stats(values):
    return {'runs': [round(v, 4) for v in values], 'min': round(min(values), 4),
            'median': round(statistics.median(values), 4), 'max': round(max(values), 4)}


def verdict(ratio, limit):
    return 'PASS' if ratio <= limit else 'MISS'


def machine_info(python):
    cpu = ''
    try:
        with open('/proc/cpuinfo') as fh:
            for line in fh:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ''
    try:
        with open('/proc/meminfo') as fh:
            mem = '%d MB' % (int(fh.readline().split()[1]) // 1000)
    except (OSError, ValueError, IndexError):
        pass
    version = subprocess.run([python, '-c', 'import sys, ansible.release as r; print(sys.version.split()[0], '
                              'r.__version__)'], capture_output=True, text=True, check=False).stdout.split()
    return {
        'loadavg_at_start': load_average(), 'nproc': os.cpu_count(), 'cpu': cpu or platform.processor(), 'memory': mem,
        'kernel': platform.release(), 'python': version[0] if version else '?',
        'ansible_core': version[1] if len(version) > 1 else '?',
        'curl': _first_line(['curl', '--version']), 'tar': _first_line(['tar', '--version']),
    }


def load_average():
    try:
        return ' '.join(open('/proc/loadavg').read().split()[:3])
    except OSError:
        return '?'


def _first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        return '?'


def configured_forks():
    cfg = configparser.ConfigParser()
    cfg.read(str(REPO / 'ansible.cfg'))
    return os.environ.get('ANSIBLE_FORKS') or cfg.get('defaults', 'forks', fallback='5 (ansible default)')


def fresh(path):
    """An empty directory at ``path`` (its old content deleted and flushed, outside any timing)."""
    if path.exists():
        shutil.rmtree(str(path))
        os.sync()
    path.mkdir(parents=True)
    return path


# ---------------------------------------------------------------------------------------------- processes

class Runner(object):
    """Runs the variants: ansible-playbook with a fixed environment, curl | tar, the direct runner."""

    def __init__(self, work, python):
        self.work = work
        self.python = python
        self.playbook_bin = ansible_executable('ansible-playbook', python) or 'ansible-playbook'
        self.env = ansible_env(ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0',
                               ANSIBLE_CALLBACK_RESULT_FORMAT='json', ANSIBLE_CALLBACK_FORMAT_PRETTY='false',
                               ANSIBLE_DEPRECATION_WARNINGS='0')
        self.plays = dict((name, str(PLAYS / ('%s.yml' % name))) for name in PLAY_NAMES)

    def playbook_cmd(self, play, inventory, extra):
        cmd = [self.playbook_bin, '-v', '-i', inventory, self.plays[play]]
        if inventory.endswith(','):
            cmd += ['-c', 'local', '-e', 'ansible_python_interpreter=' + self.python]
        if extra:
            cmd += ['-e', json.dumps(extra)]
        return cmd

    def playbook(self, play, inventory='localhost,', extra=None, watch=None):
        """Run one play; returns (wall seconds, {host: [task results]}). ``watch`` samples /proc meanwhile."""
        cmd = self.playbook_cmd(play, inventory, extra)
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=str(REPO), env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        sampler = watch(proc.pid) if watch else None
        out, err = proc.communicate(timeout=3600)
        wall = time.perf_counter() - started
        if sampler:
            sampler.stop()
        results = parse_results(out)
        if proc.returncode != 0:
            raise BenchError('%s failed (rc=%d):\n%s\n%s' % (play, proc.returncode, out[-3000:], err[-3000:]))
        return wall, results

    def shell(self, argv):
        started = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise BenchError('%s failed (rc=%d): %s' % (' '.join(argv), proc.returncode, proc.stderr[-2000:]))
        return wall

    def direct(self, mode, params=None, pstats=None):
        """The direct runner as one process: (result dict, its own peak RSS in bytes, wall seconds).

        The runner is started by a small launcher, not by this process: the kernel keeps the larger of the
        pre-exec and post-exec high-water marks in ru_maxrss, and this process (which may hold a server and
        archive buffers) would otherwise lend its own size to the child. The launcher waits with os.wait4()
        for that one child, which starts no children of its own.
        """
        usage_file = self.work / 'runner-rusage.json'
        argv = [self.python, '-c', LAUNCHER, str(usage_file), self.python, '-c', RUNNER, mode,
                json.dumps(params or {})]
        if pstats:
            argv.append(str(pstats))
        env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
        started = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, env=env, timeout=3600, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise BenchError('direct runner (%s) failed: %s' % (mode, proc.stderr.decode(errors='replace')[-3000:]))
        usage = json.loads(usage_file.read_text())
        return json.loads(proc.stdout.decode()), usage['maxrss_kib'] * 1024, wall


def parse_results(stdout):
    """{host: [result dict per task, in order]} from the default callback at -v with JSON results."""
    found = {}
    for line in stdout.splitlines():
        match = _RESULT_LINE.match(line)
        if match:
            try:
                result = json.loads(match.group(3))
            except ValueError:
                continue
            found.setdefault(match.group(2), []).append(dict(result, _status=match.group(1)))
    return found


class TreeSampler(object):
    """Polls /proc for a process tree's peak RSS (VmHWM) per role: main, forked workers, module python."""

    def __init__(self, root, python, interval=0.01):
        self.root, self.python, self.interval = root, os.path.basename(python), interval
        self.peak = {'main': 0, 'workers': 0, 'module': 0}
        self.module_cmd = ''
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.daemon = True
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            for pid in self._tree():
                self._sample(pid)
            time.sleep(self.interval)

    def _tree(self):
        children = {}
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                try:
                    with open('/proc/%s/stat' % entry) as fh:
                        ppid = int(fh.read().rsplit(')', 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree

    def _sample(self, pid):
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as fh:
                argv = fh.read().split(b'\0')
            with open('/proc/%d/status' % pid) as fh:
                hwm = next((int(line.split()[1]) * 1024 for line in fh if line.startswith('VmHWM:')), 0)
        except (OSError, ValueError):
            return
        if pid == self.root:
            role = 'main'
        elif any(b'ansible-playbook' in a for a in argv):
            role = 'workers'
        elif argv and os.path.basename(argv[0].decode(errors='replace')).startswith('python'):
            role = 'module'
            self.module_cmd = b' '.join(argv).decode(errors='replace')[:200]
        else:
            return
        self.peak[role] = max(self.peak[role], hwm)


# ---------------------------------------------------------------------------------------------- sections

class Bench(object):

    def __init__(self, args):
        self.args = args
        self.work = Path(args.work).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.python = args.python
        self.run = Runner(self.work, self.python)
        self.servers = []
        self.report = {'sections': {}}

    # -- fixtures
    def serve(self, size):
        """(server, archive info) for a synthetic archive of ``size`` bytes, built once and cached."""
        root = self.work / ('zoo-%d' % size)
        root.mkdir(exist_ok=True)
        archive = build_archive(root, KEY, size=size, seed=0)
        info = archive_info(archive)
        server = ZooServer(root)
        server.start()
        self.servers.append(server)
        return server, dict(info, path=str(archive), label='%s synthetic archive (%.1f MB file)'
                            % (human(size), info['size'] / MB))

    def close(self):
        for server in self.servers:
            server.stop()

    def vars_for(self, server, info, dest):
        return {'bench_key': KEY, 'bench_dest': str(dest), 'bench_mirror': server.url,
                'bench_url': server.url_for(KEY + '.tar.gz'), 'bench_sha256': info['sha256']}

    # -- the A/B loop
    def interleave(self, variants, rounds):
        """Run every variant once per round, the order rotated each round; round 0 is the warm-up.

        ``variants`` is [(name, fn)] where fn() returns seconds, or a dict of named seconds.
        """
        times = {}
        for rnd in range(rounds + 1):
            order = variants[rnd % len(variants):] + variants[:rnd % len(variants)]
            for name, fn in order:
                measured = fn()
                if rnd == 0:
                    continue
                if not isinstance(measured, dict):
                    measured = {name: measured}
                for label, seconds in measured.items():
                    times.setdefault(label, []).append(seconds)
            progress('  round %d/%d done%s' % (rnd, rounds, ' (warm-up, discarded)' if rnd == 0 else ''))
        return times

    def table(self, key, title, times, baseline, order):
        section = {'title': title, 'baseline': baseline, 'variants': {}}
        base = statistics.median(times[baseline])
        for name in order:
            entry = stats(times[name])
            # From the unrounded medians: the baseline's own ratio is exactly 1.
            entry['ratio'] = round(statistics.median(times[name]) / base, 3) if base else None
            section['variants'][name] = entry
        self.report['sections'][key] = section
        return section

    # -- 1. cold install
    def cold(self, server, info):
        dest = self.work / 'cold'

        def module():
            fresh(dest)
            wall, results = self.run.playbook('install', extra=self.vars_for(server, info, dest))
            res = results['localhost'][-1]
            if not res.get('changed') or res.get('action') != 'installed':
                raise BenchError('cold module run did not install: %r' % res)
            return {'labfleet.zoo.model play': wall, 'labfleet.zoo.model elapsed': res['elapsed']}

        def curl_tar():
            fresh(dest)
            wall = self.run.shell(['bash', '-c', 'set -o pipefail; curl -sSf "$1" | tar xz -C "$2"', 'curl|tar',
                                   server.url_for(KEY + '.tar.gz'), str(dest)])
            if not (dest / KEY / 'pipeline.config').exists():
                raise BenchError('curl | tar did not extract %s' % (dest / KEY))
            return wall

        def get_url():
            fresh(dest)
            wall, results = self.run.playbook('get_url', extra=self.vars_for(server, info, dest))
            if [r.get('changed') for r in results['localhost']] != [True, True]:
                raise BenchError('cold get_url+unarchive run did not download and extract: %r' % results)
            return wall

        variants = [('curl|tar', curl_tar), ('module', module), ('get_url+unarchive play', get_url)]
        times = self.interleave(variants, self.args.runs)
        shutil.rmtree(str(dest), ignore_errors=True)
        title = '1. cold install, %s, fresh dest each run' % info['label']
        section = self.table('cold', title, times, 'curl|tar',
                             ['curl|tar', 'labfleet.zoo.model elapsed', 'labfleet.zoo.model play',
                              'get_url+unarchive play'])
        section['targets'] = [
            target('module elapsed <= %.2f x curl|tar' % TARGETS['cold'],
                   section['variants']['labfleet.zoo.model elapsed']['ratio'], TARGETS['cold']),
            target('module play (incl. ansible-playbook start-up) <= %.2f x curl|tar' % TARGETS['cold'],
                   section['variants']['labfleet.zoo.model play']['ratio'], TARGETS['cold']),
        ]
        return section

    # -- 2. warm no-op rerun
    def warm(self, server, info):
        root = fresh(self.work / 'warm')
        plain = self.vars_for(server, info, fresh(root / 'module'))
        user = self.vars_for(server, info, fresh(root / 'get_url'))
        self.run.playbook('install', extra=plain)  # set-up: the model installed once
        self.run.playbook('get_url', extra=user)   # and what the get_url play leaves (archive + tree)
        requests_before = server.request_count()
        elapsed = []

        def module():
            before = server.request_count()
            wall, results = self.run.playbook('install', extra=plain)
            res = results['localhost'][-1]
            if res.get('changed') or res.get('action') != 'unchanged' or res.get('bytes_downloaded'):
                raise BenchError('warm module rerun was not a no-op: %r' % res)
            if server.request_count() != before:
                raise BenchError('warm module rerun made %d HTTP request(s)' % (server.request_count() - before))
            elapsed.append(res['elapsed'])
            return wall

        def get_url():
            wall, results = self.run.playbook('get_url', extra=user)
            if any(r.get('changed') for r in results['localhost']):
                raise BenchError('get_url+unarchive rerun changed something: %r' % results)
            return wall

        variants = [('trivial play (ping)', lambda: self.run.playbook('ping')[0]), ('labfleet.zoo.model play', module),
                    ('trivial play (debug)', lambda: self.run.playbook('debug')[0]),
                    ('get_url+unarchive play', get_url)]
        times = self.interleave(variants, self.args.runs)
        shutil.rmtree(str(root), ignore_errors=True)
        title = '2. warm no-op rerun, model installed, %s' % info['label']
        section = self.table('warm', title, times, 'trivial play (ping)',
                             ['trivial play (ping)', 'trivial play (debug)', 'labfleet.zoo.model play',
                              'get_url+unarchive play'])
        section['module_elapsed'] = stats(elapsed)
        section['http_requests_by_module_reruns'] = 0  # checked on every rerun above
        section['http_requests_during_section'] = server.request_count() - requests_before
        section['targets'] = floor_targets(section, times, 'module rerun', TARGETS['warm'])
        return section

    # -- 3. peak RSS
    def rss(self, server, info):
        params = {'name': KEY, 'mirrors': [server.url], 'checksum': 'sha256:' + info['sha256'],
                  'verify': 'quick', 'force': False, 'timeout': 30, 'retries': 5}
        dest = self.work / 'rss'
        imports_rss = self.run.direct('imports')[1]
        direct, playbook = [], []
        for dummy in range(self.args.rss_runs):
            fresh(dest)
            result, maxrss, wall = self.run.direct('install', dict(params, dest=str(dest)))
            if result.get('action') != 'installed':
                raise BenchError('direct runner did not install: %r' % result)
            direct.append({'rss': maxrss, 'elapsed': result['elapsed'], 'wall': wall})
            fresh(dest)
            samplers = []

            def watch(pid):
                samplers.append(TreeSampler(pid, self.python))
                return samplers[-1]
            wall, results = self.run.playbook('install', extra=self.vars_for(server, info, dest), watch=watch)
            if results['localhost'][-1].get('action') != 'installed':
                raise BenchError('playbook did not install: %r' % results)
            peak = samplers[0].peak
            if not peak['module']:
                raise BenchError('no module process seen under ansible-playbook (sampling too slow?)')
            playbook.append(dict(peak, wall=wall, elapsed=results['localhost'][-1]['elapsed'],
                                 module_cmd=samplers[0].module_cmd))
        shutil.rmtree(str(dest), ignore_errors=True)
        section = {
            'title': '3. peak RSS installing the %s' % info['label'],
            'archive_size': info['size'],
            'direct_runner_mb': [mb(d['rss']) for d in direct],
            'direct_runner_imports_only_mb': mb(imports_rss),
            'module_under_ansible_mb': [mb(p['module']) for p in playbook],
            'ansible_playbook_main_mb': [mb(p['main']) for p in playbook],
            'ansible_playbook_workers_mb': [mb(p['workers']) for p in playbook],
            'module_elapsed_s': [p['elapsed'] for p in playbook] + [d['elapsed'] for d in direct],
            'module_process': playbook[0]['module_cmd'],
        }
        peak_direct = max(section['direct_runner_mb'])
        peak_module = max(section['module_under_ansible_mb'])
        section['targets'] = [
            target('module process (under ansible-playbook) peak RSS <= %.0f MB' % TARGETS['rss_mb'],
                   peak_module, TARGETS['rss_mb'], unit='MB'),
            target('direct runner peak RSS <= %.0f MB' % TARGETS['rss_mb'], peak_direct, TARGETS['rss_mb'], unit='MB'),
        ]
        self.report['sections']['rss'] = section
        return section

    # -- 4. fleet
    def fleet(self, server, info):
        root = fresh(self.work / 'fleet')
        names = ['pc%02d' % (i + 1) for i in range(self.args.hosts)]
        inventory = root / 'hosts.ini'
        lines = ['[bench]'] + ['%s bench_dest=%s' % (n, root / n) for n in names]
        lines += ['', '[bench:vars]', 'ansible_connection=local', 'ansible_python_interpreter=' + self.python]
        inventory.write_text('\n'.join(lines) + '\n')
        extra = {k: v for k, v in self.vars_for(server, info, root).items() if k != 'bench_dest'}
        self.run.playbook('install', inventory=str(inventory), extra=extra)  # set-up: install on every host

        def module():
            before = server.request_count()
            wall, results = self.run.playbook('install', inventory=str(inventory), extra=extra)
            actions = sorted(set(r[-1].get('action') for r in results.values()))
            if len(results) != len(names) or actions != ['unchanged'] or server.request_count() != before:
                raise BenchError('fleet rerun was not a no-op on every host: %r' % results)
            return wall

        variants = [('trivial play (ping)', lambda: self.run.playbook('ping', inventory=str(inventory))[0]),
                    ('labfleet.zoo.model play', module),
                    ('trivial play (debug)', lambda: self.run.playbook('debug', inventory=str(inventory))[0])]
        times = self.interleave(variants, self.args.runs)
        shutil.rmtree(str(root), ignore_errors=True)
        title = '4. fleet: idempotent rerun over %d local hosts (forks: %s)' % (len(names), configured_forks())
        section = self.table('fleet', title, times, 'trivial play (ping)',
                             ['trivial play (ping)', 'trivial play (debug)', 'labfleet.zoo.model play'])
        section['hosts'] = len(names)
        section['targets'] = floor_targets(section, times, 'fleet rerun', TARGETS['fleet'])
        return section

    # -- profile
    def profile(self, server, info):
        import pstats
        dest = fresh(self.work / 'profile')
        out = self.work / 'install.pstats'
        params = {'name': KEY, 'mirrors': [server.url], 'checksum': 'sha256:' + info['sha256'], 'dest': str(dest)}
        result = self.run.direct('profile', params, pstats=out)[0]
        shutil.rmtree(str(dest), ignore_errors=True)
        st = pstats.Stats(str(out))
        total = st.total_tt
        rows = []
        for func, (dummy, nc, tt, ct, dummy_callers) in sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:self.args.profile_top]:
            rows.append({'function': pstats.func_std_string(func), 'calls': nc, 'tottime': round(tt, 4),
                         'cumtime': round(ct, 4), 'share': round(tt / total, 3) if total else None})
        section = {'title': 'profile: cProfile of one direct install (%s), top by own time' % info['label'],
                   'elapsed': result['elapsed'], 'total_tt': round(total, 4), 'pstats': str(out), 'top': rows}
        self.report['sections']['profile'] = section
        return section


def floor_targets(section, times, what, limit):
    """The module play against both trivial plays of ``section``: ``what`` <= limit x ping, and x debug."""
    debug = statistics.median(times['labfleet.zoo.model play']) / statistics.median(times['trivial play (debug)'])
    return [target('%s <= %.2f x trivial play (ping)' % (what, limit),
                   section['variants']['labfleet.zoo.model play']['ratio'], limit),
            target('%s <= %.2f x trivial play (debug)' % (what, limit), round(debug, 3), limit)]


def target(label, value, limit, unit='x'):
    return {'label': label, 'value': value, 'limit': limit, 'unit': unit, 'verdict': verdict(value, limit)}


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- output

def print_timing(section, runs):
    print('\n== %s ==' % section['title'])
    print('   (%d interleaved runs per variant after 1 warm-up; seconds; ratio = median / median of %s)'
          % (runs, section['baseline']))
    print('   %-34s %9s %9s %9s %10s' % ('variant', 'min', 'median', 'max', 'ratio'))
    for name, v in section['variants'].items():
        print('   %-34s %9.3f %9.3f %9.3f %9.2fx' % (name, v['min'], v['median'], v['max'], v['ratio']))
    if 'module_elapsed' in section:
        e = section['module_elapsed']
        print('   (module elapsed on the no-op rerun: median %.3f s; HTTP requests made by the module reruns: %d)'
              % (e['median'], section['http_requests_by_module_reruns']))
    print_targets(section)


def print_targets(section):
    for t in section['targets']:
        value = '%.2fx' % t['value'] if t['unit'] == 'x' else '%.1f MB' % t['value']
        print('   target: %-66s %10s  %s' % (t['label'], value, t['verdict']))


def print_rss(section, runs=None):
    print('\n== %s ==' % section['title'])
    print('   %-58s %s' % ('process', 'peak RSS (MB, per run)'))
    rows = [('module process under ansible-playbook (VmHWM)', section['module_under_ansible_mb']),
            ('direct runner: Installer.present(), os.wait4 ru_maxrss', section['direct_runner_mb']),
            ('direct runner, imports only (fixed cost)', [section['direct_runner_imports_only_mb']]),
            ('ansible-playbook main process (context)', section['ansible_playbook_main_mb']),
            ('ansible-playbook forked workers (context)', section['ansible_playbook_workers_mb'])]
    for label, values in rows:
        print('   %-58s %s' % (label, ', '.join('%.1f' % v for v in values)))
    print('   module process measured: %s' % section['module_process'])
    print_targets(section)


def print_profile(section, runs=None):
    print('\n== %s ==' % section['title'])
    print('   module elapsed %.3f s under cProfile; total own time %.3f s' % (section['elapsed'], section['total_tt']))
    print('   %7s %9s %9s %6s  %s' % ('calls', 'tottime', 'cumtime', 'share', 'function'))
    for r in section['top']:
        share = 100 * (r['share'] or 0)
        print('   %7d %9.3f %9.3f %5.1f%%  %s' % (r['calls'], r['tottime'], r['cumtime'], share, r['function']))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='bench_install.py',
        description='Benchmark labfleet.zoo.model against curl|tar, get_url+unarchive and a trivial play, '
                    'as ratios measured in one run on a synthetic zoo served on 127.0.0.1. '
                    'Sections: cold install, warm no-op rerun, peak RSS, fleet rerun (and --profile). '
                    'Absolute times depend on the machine; only the ratios are compared with the targets.',
        epilog='Sizes use the synthetic zoo\'s syntax: K/M/G are binary (212M = 212 MiB, 1G = 1 GiB). '
               'Example: .venv/bin/python tools/dev/bench_install.py --runs 5 --size 212M --size-rss 1G --profile')
    parser.add_argument('--size', type=size_arg, default=parse_size('212M'),
                        help='archive size for the cold/warm/fleet sections (default 212M, like Faster R-CNN)')
    parser.add_argument('--size-rss', type=size_arg, default=parse_size('1G'),
                        help='archive size for the peak-RSS section (default 1G)')
    parser.add_argument('--runs', type=int, default=5, help='measured runs per variant after one warm-up (default 5)')
    parser.add_argument('--rss-runs', type=int, default=2, help='runs of each RSS measurement (default 2)')
    parser.add_argument('--hosts', type=int, default=10, help='inventory hosts in the fleet section (default 10)')
    parser.add_argument('--sections', default='cold,warm,rss,fleet',
                        help='comma-separated subset of cold,warm,rss,fleet,profile (default: all but profile)')
    parser.add_argument('--profile', action='store_true', help='also run the profile section')
    parser.add_argument('--profile-top', type=int, default=20, help='profile entries to print (default 20)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke test: 4M/16M archives, 2 runs, 3 hosts, 1 RSS run (overrides those options)')
    parser.add_argument('--work', default=str(REPO / 'tests' / 'output' / 'bench-work'),
                        help='scratch folder: cached archives and dests (default tests/output/bench-work)')
    parser.add_argument('--json', default=str(REPO / 'tests' / 'output' / 'bench.json'),
                        help='where to write the JSON results (default tests/output/bench.json)')
    parser.add_argument('--python', default=str(REPO / '.venv' / 'bin' / 'python') if (REPO / '.venv').is_dir()
                        else sys.executable, help='interpreter for the targets and the direct runner '
                        '(default: the project venv)')
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.size_rss, args.runs, args.hosts, args.rss_runs = 4 << 20, 16 << 20, 2, 3, 1
    args.sections = [s.strip() for s in args.sections.split(',') if s.strip()]
    if args.profile and 'profile' not in args.sections:
        args.sections.append('profile')
    unknown = set(args.sections) - {'cold', 'warm', 'rss', 'fleet', 'profile'}
    if unknown:
        parser.error('unknown section(s): %s' % ', '.join(sorted(unknown)))
    if args.runs < 1 or args.hosts < 1 or args.rss_runs < 1:
        parser.error('--runs, --hosts and --rss-runs must be at least 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    bench = Bench(args)
    report = bench.report
    report['machine'] = machine_info(args.python)
    report['config'] = {'size': args.size, 'size_rss': args.size_rss, 'runs': args.runs, 'hosts': args.hosts,
                        'rss_runs': args.rss_runs, 'quick': args.quick, 'sections': args.sections,
                        'forks': configured_forks(), 'targets': TARGETS,
                        'command': ' '.join([os.path.relpath(sys.argv[0], str(REPO))] + (argv or sys.argv[1:]))}
    m = report['machine']
    print('labfleet.zoo.model benchmark: %s; %s CPU(s) %s, %s RAM; Python %s, ansible-core %s; load average %s'
          % (time.strftime('%Y-%m-%d %H:%M'), m['nproc'], m['cpu'], m['memory'], m['python'], m['ansible_core'],
             m['loadavg_at_start']))
    status = 0
    try:
        served = {}
        for name in ('cold', 'warm', 'rss', 'fleet', 'profile'):
            if name not in args.sections:
                continue
            size = args.size_rss if name == 'rss' else args.size
            if size not in served:
                progress('building/serving the %s archive...' % human(size))
                served[size] = bench.serve(size)
            progress('section %s...' % name)
            section = getattr(bench, name)(*served[size])
            {'rss': print_rss, 'profile': print_profile}.get(name, print_timing)(section, args.runs)
            sys.stdout.flush()
    except BenchError as e:
        print('\nBENCHMARK ERROR: %s' % e)
        report['error'] = str(e)
        status = 1
    finally:
        bench.close()
    report['machine']['loadavg_at_end'] = load_average()
    print('\nLoad average at the end: %s (shared machine: compare ratios, not seconds)' % report['machine']['loadavg_at_end'])
    verdicts = [t for s in report['sections'].values() for t in s.get('targets', ())]
    if verdicts:
        print('\nSummary: %d PASS, %d MISS (ratios measured in this run; absolute times are not compared)'
              % (sum(t['verdict'] == 'PASS' for t in verdicts), sum(t['verdict'] == 'MISS' for t in verdicts)))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + '\n')
    print('JSON written to %s' % out)
    return status


if __name__ == '__main__':
    sys.exit(main())
