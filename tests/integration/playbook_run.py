"""Helpers of the integration tests: run ansible-playbook against localhost and read its JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PC_MODEL = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='test_json',
               ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'tests' / 'callback_plugins'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0')
    env.update(extra)
    return env


def run_playbook(playbook, extra_vars=None, check=False, diff=False, cwd=REPO):
    """Run ansible-playbook against localhost; returns (returncode, parsed json callback output)."""
    cmd = [str(BIN / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=' + sys.executable, str(playbook)]
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    proc = subprocess.run(cmd, cwd=str(cwd), env=ansible_env(), capture_output=True, text=True, timeout=600,
                          check=False)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('ansible-playbook printed no JSON:\n%s\n%s' % (proc.stdout, proc.stderr))
    return proc.returncode, out


def task_results(out):
    """[(task name, localhost result)] in order, from the json callback's output."""
    return [(task['task']['name'], task['hosts'].get('localhost', {}))
            for play in out['plays'] for task in play['tasks']]


def failed_tasks(out):
    return [(name, res.get('msg')) for name, res in task_results(out) if res.get('failed') and not res.get('ignore_errors')]
