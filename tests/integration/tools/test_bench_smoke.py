# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smoke test of tools/dev/bench_install.py: every section runs and reports ratios. No timing is asserted."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import pytest

from ansible_collections.labfleet.zoo.tests.support.repo import REPO

BENCH = REPO / 'tools' / 'dev' / 'bench_install.py'
SECTIONS = {
    'cold': '== 1. cold install',
    'warm': '== 2. warm no-op rerun',
    'rss': '== 3. peak RSS',
    'fleet': '== 4. fleet',
}
RATIO_ROW = re.compile(r'^\s+(\S.*?)\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{2}x$')
TARGET_ROW = re.compile(r'^\s+target: .+\s(\d+\.\d+x|\d+\.\d MB)\s+(PASS|MISS)$')


@pytest.fixture(scope='module')
def quick_run(tmp_path_factory):
    if not (shutil.which('curl') and shutil.which('tar') and shutil.which('bash')):
        pytest.skip('the benchmark compares with curl | tar: curl, tar and bash are needed')
    tmp = tmp_path_factory.mktemp('bench')
    out = tmp / 'bench.json'
    proc = subprocess.run([sys.executable, str(BENCH), '--quick', '--work', str(tmp / 'work'), '--json', str(out),
                           '--python', sys.executable], cwd=str(tmp), capture_output=True, text=True, timeout=900,
                          check=False)
    assert proc.returncode == 0, 'bench_install.py --quick failed:\n%s\n%s' % (proc.stdout, proc.stderr[-4000:])
    return proc.stdout, out


def _section_lines(stdout, header):
    """The lines of one printed section, from its header to the next one."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(('==', 'Summary:'))), len(lines))
    return lines[start:end]


@pytest.mark.slow
@pytest.mark.parametrize('key', ['cold', 'warm', 'fleet'])
def test_timing_sections_print_ratios_and_targets(quick_run, key):
    stdout = quick_run[0]
    lines = _section_lines(stdout, SECTIONS[key])
    rows = [RATIO_ROW.match(line).group(1) for line in lines if RATIO_ROW.match(line)]
    assert len(rows) >= 3, '\n'.join(lines)
    assert any(line.strip().endswith(' 1.00x') for line in lines), 'the baseline row has ratio 1.00x'
    assert [line for line in lines if TARGET_ROW.match(line)], '\n'.join(lines)


@pytest.mark.slow
def test_rss_section_prints_the_measured_processes_and_target(quick_run):
    stdout = quick_run[0]
    text = '\n'.join(_section_lines(stdout, SECTIONS['rss']))
    for label in ('module process under ansible-playbook', 'direct runner', 'ansible-playbook main process'):
        assert label in text
    assert re.search(r'target: .*RSS.*\d+\.\d MB\s+(PASS|MISS)', text), text


@pytest.mark.slow
def test_json_has_every_section_with_ratios_and_verdicts(quick_run):
    stdout, out = quick_run
    assert 'Summary:' in stdout
    report = json.loads(out.read_text())
    assert set(SECTIONS) <= set(report['sections'])
    assert report['machine']['nproc'] >= 1 and report['config']['quick'] is True
    for key in ('cold', 'warm', 'fleet'):
        section = report['sections'][key]
        assert section['variants'][section['baseline']]['ratio'] == 1.0
        for name, variant in section['variants'].items():
            assert len(variant['runs']) == report['config']['runs'], name
            assert variant['min'] <= variant['median'] <= variant['max'], name
            assert variant['ratio'] > 0, name
    assert report['sections']['warm']['http_requests_by_module_reruns'] == 0
    for section in report['sections'].values():
        for target in section['targets']:
            assert target['verdict'] in ('PASS', 'MISS')


def test_help_documents_the_options():
    proc = subprocess.run([sys.executable, str(BENCH), '--help'], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    for option in ('--size', '--size-rss', '--runs', '--hosts', '--quick', '--json', '--profile'):
        assert option in proc.stdout
