"""The one way the tests run Ansible: ad-hoc ``ansible``, ``ansible-playbook``, or any command that runs one (the
fleet's ``tools/teacher/provision.py``), with the checkout's ansible.cfg and the test suite's ``test_json`` stdout
callback (tests/callback_plugins), and one ``Run`` to read the outcome.

    run = runner.adhoc({'dest': str(dest)}, module='labfleet.zoo.model_info')   # run.result: the task's result
    run = runner.playbook(play, {'zoo_mirror': url}, check=True)               # run.out: the JSON document
    rc, out = runner.run_playbook(play)                                         # the same, as (rc, document)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time

import yaml

from ansible_collections.labfleet.zoo.tests.support.repo import BIN, REPO
from ansible_collections.labfleet.zoo.tools.fixtures.checkout import ansible_env

CALLBACKS = REPO / 'tests' / 'callback_plugins'
_RECAP_LINE = re.compile(r'^(\S+)\s*:\s*((?:[a-z_]+=\d+\s*)+)$')   # host : ok=2 changed=0 ... of the PLAY RECAP
LOCAL = 'localhost,'    # the inventory of one host, this machine, over the local connection with this Python

# The workstation role's task that runs on the host (roles/workstation/tasks/main.yml): labfleet.zoo.workspace.
WORKSPACE_TASK = 'Provision the workspace'


def env(stdout_callback='test_json', **extra):
    """The environment of every Ansible run of the tests: the checkout's ansible.cfg, ``stdout_callback`` (also for
    ad-hoc runs), no colours, no retry files, no implicit-localhost warning; ``extra`` on top."""
    return ansible_env(ANSIBLE_STDOUT_CALLBACK=stdout_callback, ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
                       ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
                       ANSIBLE_LOCALHOST_WARNING='0', **extra)


def _inventory(inventory):
    """Command-line arguments for ``inventory``: LOCAL, a path, or None (ansible.cfg's inventory/localhost.yml)."""
    if inventory is None:
        return []
    if inventory == LOCAL:
        return ['-i', LOCAL, '-c', 'local', '-e', 'ansible_python_interpreter=' + sys.executable]
    return ['-i', str(inventory)]


def run(cmd, environment=None, json_output=True, strict=True, preamble=False, merge=False, timeout=600, cwd=REPO):
    """Run ``cmd`` (an Ansible command, or a program that runs one) and time it; returns a ``Run``.

    ``json_output``: stdout is the test_json document (else the default callback's PLAY RECAP is read);
    ``strict``: no JSON is an AssertionError (else the Run has no document); ``preamble``: skip the lines that -v
    prints before the document; ``merge``: stderr goes into stdout, in order.
    """
    cmd = [str(part) for part in cmd]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=str(cwd), env=environment or env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge else subprocess.PIPE, text=True, timeout=timeout,
                          check=False)
    return Run(cmd, proc, time.monotonic() - started, json_output, strict, preamble)


def adhoc(args, module='labfleet.zoo.model', check=False, diff=False, verbosity=0, pattern='localhost',
          inventory=LOCAL, stdout_callback='test_json', merge=False, timeout=300):
    """``ansible <pattern> -m <module> -a <args>`` (``args``: a dict, sent as JSON, or a ``k=v`` string)."""
    cmd = [BIN / 'ansible', pattern] + _inventory(inventory)
    cmd += ['-m', module, '-a', args if isinstance(args, str) else json.dumps(args)]
    cmd += ['--check'] if check else []
    cmd += ['--diff'] if diff else []
    cmd += ['-' + 'v' * verbosity] if verbosity else []
    return run(cmd, env(stdout_callback), json_output=stdout_callback == 'test_json', strict=False,
               preamble=bool(verbosity), merge=merge, timeout=timeout)


def playbook(play, extra_vars=None, check=False, diff=False, inventory=LOCAL, strict=True, timeout=600, cwd=REPO):
    """``ansible-playbook <play>`` (``extra_vars`` as one JSON ``-e``) on ``inventory``; returns a ``Run``."""
    cmd = [BIN / 'ansible-playbook'] + _inventory(inventory) + [play]
    cmd += ['-e', json.dumps(extra_vars)] if extra_vars else []
    cmd += ['--check'] if check else []
    cmd += ['--diff'] if diff else []
    return run(cmd, strict=strict, timeout=timeout, cwd=cwd)


def run_playbook(play, extra_vars=None, check=False, diff=False, cwd=REPO):
    """``playbook()`` on this machine as (return code, JSON document): the integration tests' form."""
    done = playbook(play, extra_vars, check=check, diff=diff, cwd=cwd)
    return done.rc, done.out


def doc(plugin):
    """``ansible-doc <plugin>`` (the completed process)."""
    return subprocess.run([str(BIN / 'ansible-doc'), plugin], cwd=str(REPO), env=env(), capture_output=True,
                          text=True, check=False)


def write_play(path, tasks, extra=''):
    """A one-play playbook on localhost at ``path``: ``tasks`` (a list of task dicts), ``extra`` play keys (YAML)."""
    path.write_text(textwrap.dedent('''\
        - name: Test play
          hosts: localhost
          gather_facts: false
        %s  tasks:
        ''') % extra + textwrap.indent(yaml.safe_dump(tasks, sort_keys=False), '    '))
    return path


def task_results(out, host='localhost'):
    """[(task name, the host's result)] in order, from a test_json document."""
    return [(task['task']['name'], task['hosts'].get(host, {})) for play in out['plays'] for task in play['tasks']]


def parse_recap(text):
    """{host: {ok, changed, unreachable, failed, ...}} from the PLAY RECAP of the default callback."""
    stats = {}
    lines = text.splitlines()
    try:
        start = max(i for i, line in enumerate(lines) if line.startswith('PLAY RECAP'))
    except ValueError:
        return stats
    for line in lines[start + 1:]:
        match = _RECAP_LINE.match(line)
        if match:
            stats[match.group(1)] = dict((k, int(v)) for k, v in (pair.split('=') for pair in match.group(2).split()))
    return stats


class Run(object):
    """One Ansible run: ``rc``, wall ``seconds``, ``stdout``/``stderr``/``text``, the JSON document ``out`` (None
    without one) and the per-host ``stats`` (from the document, or from the PLAY RECAP)."""

    def __init__(self, cmd, proc, seconds, json_output=True, strict=True, preamble=False):
        self.cmd, self.rc, self.seconds = cmd, proc.returncode, seconds
        self.stdout, self.stderr = proc.stdout, proc.stderr or ''
        self.text = self.stdout + self.stderr
        self.out, self.stats = None, {}
        if not json_output:
            self.stats = parse_recap(self.stdout)
            return
        start = self.stdout.find('\n{\n') + 1 if preamble and not self.stdout.startswith('{') else 0
        try:
            self.out = json.loads(self.stdout[start:])
        except ValueError:
            if strict:
                raise AssertionError('no JSON from %s:\n%s\n%s'
                                     % (' '.join(cmd), self.stdout[-3000:], self.stderr[-3000:]))
            return
        self.stats = self.out.get('stats', {})

    # -- one task on localhost (ad-hoc runs) ------------------------------------------------------------------------

    @property
    def result(self):
        """The first task's result on localhost ({} when there is none)."""
        try:
            return self.out['plays'][0]['tasks'][0]['hosts']['localhost']
        except (TypeError, KeyError, IndexError):
            return {}

    @property
    def failed(self):
        return bool(self.result.get('failed')) or self.rc != 0

    @property
    def msg(self):
        return self.result.get('msg', '')

    # -- playbooks ---------------------------------------------------------------------------------------------------

    def tasks(self, host='localhost'):
        """[(task name, the host's result)] in order ([] without a document)."""
        try:
            return task_results(self.out, host)
        except (TypeError, KeyError):
            return []

    def changed(self):
        return dict((host, stats['changed']) for host, stats in self.stats.items())

    def problems(self):
        return dict((host, stats) for host, stats in self.stats.items()
                    if stats.get('failures') or stats.get('unreachable') or stats.get('failed'))

    def _host_results(self, host, task_suffix):
        """The results on ``host`` of the tasks whose name ends with ``task_suffix``, in order."""
        for play in self.out['plays']:
            for task in play['tasks']:
                if task['task']['name'].endswith(task_suffix) and host in task['hosts']:
                    yield task['hosts'][host]

    def results(self, host, task_suffix):
        """The results (one per loop item) of tasks whose name ends with ``task_suffix`` on ``host``."""
        return [one for res in self._host_results(host, task_suffix) for one in res.get('results', [res])]

    def part(self, host, name):
        """The entries of part ``name`` (models, pipeline_configs, label_maps, folders, removed) that the workstation
        role's one task on the host, labfleet.zoo.workspace, returned on ``host``."""
        return [one for res in self._host_results(host, WORKSPACE_TASK) for one in res.get(name) or ()]

    def warnings(self, host, task_suffix):
        """The warnings those tasks gave on ``host`` (the json callback keeps them on the task's result)."""
        return [text for res in self._host_results(host, task_suffix) for one in [res] + res.get('results', [])
                for text in one.get('warnings') or ()]

    def describe(self):
        return '%s\nrc=%s\n%s\n%s' % (' '.join(self.cmd), self.rc, self.stdout[-6000:], self.stderr[-3000:])

    def __repr__(self):
        return '<Run rc=%s result=%s\n%s>' % (self.rc, json.dumps(self.result, indent=1)[:3000], self.text[-3000:])
