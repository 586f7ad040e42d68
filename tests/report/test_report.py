"""playbooks/report.yml on a small real lab over SSH (2 PCs, 1 Pi), checked in a real headless Chromium.

The lab is support/fleet.py's, with its own three Unix users and its own lock, so it runs beside (not instead of) the
fleet tests' lab. One PC is broken by deleting a model file: the page must list it first, with its problem.
The page is kept as tests/output/lab-report.html and its screenshot as tests/output/lab-report.png.

Also checks the labfleet.zoo.recap callback's table on the provisioning runs (ansible.cfg enables it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from ansible_collections.labfleet.zoo.tests.support.fleet import ARCHIVE_SIZE, Fleet
from ansible_collections.labfleet.zoo.tests.support.repo import OUTPUT, PC_MODEL, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.zoo import served
from ansible_collections.labfleet.zoo.tools.fixtures.checkout import role_defaults

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

PCS = ('lfrpc01', 'lfrpc02')
PIS = ('lfrpi01',)
BROKEN = PCS[1]
MISSING_FILE = 'checkpoint/ckpt-0.index'
CHROMIUM = '/usr/bin/chromium'
LOCK = '/run/lock/labfleet-zoo-report-fleet.lock'
# The course's project, as the workstation role's defaults name it (the lab sets no workstation_projects).
PROJECT = role_defaults()['workstation_projects'][0]['name']
SCREENSHOT = OUTPUT / 'lab-report.png'
PAGE = OUTPUT / 'lab-report.html'


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('the report test needs root: it creates Unix users and starts sshd')
    with served(tmp_path_factory.mktemp('report_zoo'), (PC_MODEL, PI_MODEL), size=ARCHIVE_SIZE) as zoo:
        # Own users, own lock, no host_vars: this lab may run while the fleet tests' lab (their session fixture) is up.
        the_lab = Fleet(tmp_path_factory.mktemp('report_fleet'), zoo.url, PCS, PIS, LOCK)
        try:
            the_lab.start()
            yield the_lab
        finally:
            the_lab.stop()


@pytest.fixture(scope='module')
def provisioned(lab):
    """The first provisioning (default output: PLAY RECAP then the models recap) and an unchanged rerun."""
    first = lab.provision(json_output=False)
    assert first.rc == 0 and not first.problems(), first.describe()
    second = lab.provision(json_output=False)
    assert second.rc == 0 and second.changed() == dict((h, 0) for h in lab.hosts), second.describe()
    return first, second


def recap_rows(stdout):
    """{host: [installed, repaired, attributes, unchanged, removed, failed, downloaded, from]} of the models recap."""
    lines = stdout.splitlines()
    start = [i for i, line in enumerate(lines) if line.startswith('LABFLEET.ZOO MODELS RECAP')]
    assert len(start) == 1, stdout[-3000:]
    header = lines[start[0] + 1].split()
    assert header == ['host', 'installed', 'repaired', 'attributes', 'unchanged', 'removed', 'failed', 'downloaded',
                      'from']
    rows = {}
    for line in lines[start[0] + 2:]:
        if not line.strip():
            break
        match = re.match(r'^(\S+|TOTAL \(\d+ hosts\))' + r'\s+(\d+)' * 6 + r'\s+([\d.]+ \S+)\s+(.*)$', line)
        assert match, line
        rows[match.group(1)] = list(match.groups()[1:])
    return rows


def test_recap_after_the_first_and_second_provisioning(provisioned, lab):
    first, second = provisioned
    mirror = 'mirror %s' % lab.mirror_url.split('/')[2]
    assert 'PLAY RECAP' in first.stdout and first.stdout.index('PLAY RECAP') < first.stdout.index('MODELS RECAP')
    rows = recap_rows(first.stdout)
    for host in lab.hosts:
        assert rows[host][:6] == ['1', '0', '0', '0', '0', '0'], (host, rows[host])
        assert re.match(r'^\d+\.\d KiB$', rows[host][6]), rows[host]
        assert rows[host][7] == mirror, rows[host]
    assert rows['TOTAL (3 hosts)'][:6] == ['3', '0', '0', '0', '0', '0'] and rows['TOTAL (3 hosts)'][7] == mirror
    again = recap_rows(second.stdout)
    for host in lab.hosts:
        assert again[host] == ['0', '0', '0', '1', '0', '0', '0 B', '-'], (host, again[host])


class Page(HTMLParser):
    """What the test reads back from Chromium's DOM: texts by id, hosts in order per section and table."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.ids, self.attention, self.tables, self.text = {}, [], {}, []
        self._stack, self._where = [], None

    VOID = ('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr')

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'section' and attrs.get('id') == 'attention':
            self._where = self.attention
        if tag == 'table':
            self._where = self.tables.setdefault(attrs.get('data-group'), [])
        if 'data-host' in attrs and self._where is not None:
            self._where.append([attrs['data-host'], ''])
        if tag not in self.VOID:
            self._stack.append(attrs.get('id'))

    def handle_endtag(self, tag):
        if tag in ('section', 'table'):
            self._where = None
        if self._stack and tag not in self.VOID:
            self._stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for ident in self._stack:
            if ident:
                self.ids[ident] = self.ids.get(ident, '') + data
        if self._where:
            self._where[-1][1] += data


def chromium(*args, tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail('%s not found: apt-get install chromium (.ci/run installs it)' % CHROMIUM)
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--user-data-dir=%s' % (tmp_path / 'chromium-profile')] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope='module')
def report(provisioned, lab, tmp_path_factory):
    """Break one PC, then run playbooks/report.yml (the README's command) into a temporary page."""
    victim = lab.workspace(BROKEN) / 'pre_trained' / PC_MODEL / MISSING_FILE
    victim.unlink()
    before = dict((host, lab.snapshot(host)) for host in lab.hosts)
    out = tmp_path_factory.mktemp('report') / 'lab-report.html'
    run = lab.provision('-e', 'report_output=%s' % out, playbook='report.yml')
    assert run.rc == 0 and not run.problems(), run.describe()
    assert before == dict((host, lab.snapshot(host)) for host in lab.hosts), 'report.yml changed a workstation'
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(str(out), str(PAGE))
    return out


def test_the_page_is_self_contained(report):
    html = report.read_text()
    assert html.startswith('<!DOCTYPE html>') and '<style>' in html
    assert not re.search(r'''(src|href)\s*=|url\(|@import|<script|<link''', html, re.I), 'external asset in the page'


def test_report_in_headless_chromium(report, tmp_path):
    dom = chromium('--window-size=1600,1000', '--dump-dom', report.as_uri(), tmp_path=tmp_path)
    page = Page()
    page.feed(dom)
    text = ' '.join(' '.join(page.text).split())
    # Totals in the header.
    assert page.ids['total-hosts'].strip() == '3'
    assert page.ids['total-problems'].strip() == '1'
    assert page.ids['total-ok'].strip() == '2'
    assert page.ids['total-unreachable'].strip() == '0'
    assert page.ids['total-models'].strip() == '2/3'
    # Problems first: the broken PC opens the page, with its problem.
    assert [host for host, _text in page.attention] == [BROKEN]
    assert 'Faster R-CNN ResNet50 V1 640x640 damaged' in page.attention[0][1]
    assert '%s: missing' % MISSING_FILE in page.attention[0][1]
    # A table per group, the broken host first in its table, every host present with its profile and model.
    assert [host for host, _text in page.tables['student_pcs']] == [BROKEN, PCS[0]]
    assert [host for host, _text in page.tables['raspberry_pis']] == list(PIS)
    rows = dict(page.tables['student_pcs'] + page.tables['raspberry_pis'])
    for host in PCS:
        assert 'PC' in rows[host] and 'x86_64' in rows[host] and 'Faster R-CNN ResNet50 V1 640x640' in rows[host]
    assert 'PI' in rows[PIS[0]] and 'SSD MobileNet V2 FPNLite 320x320' in rows[PIS[0]]
    # The training-folders cell names each folder's project and model.
    for host in PCS:
        assert '✓ %s · Faster R-CNN ResNet50 V1 640x640' % PROJECT in rows[host], rows[host]
    assert '✓ %s · SSD MobileNet V2 FPNLite 320x320' % PROJECT in rows[PIS[0]], rows[PIS[0]]
    assert 'data-model="%s"' % PC_MODEL in dom and 'data-model="%s"' % PI_MODEL in dom
    for host in (PCS[0], PIS[0]):
        assert '✓ intact' in rows[host] and '1/1 ready' in rows[host] and '✓ ok' in rows[host], rows[host]
        assert 'problem' not in rows[host]
    assert '✗ damaged' in rows[BROKEN] and '1 unchanged' in rows[BROKEN]  # the last run was the rerun
    assert re.search(r'\d+\.\d+ [GMT]B of \d+\.\d+ [GMT]B', text), 'no free disk figure'
    # The screenshot, for people.
    OUTPUT.mkdir(parents=True, exist_ok=True)
    if SCREENSHOT.exists():
        SCREENSHOT.unlink()
    # A 1600-pixel wide projector screen, tall enough to show the three hosts in one picture.
    chromium('--window-size=1600,1400', '--screenshot=%s' % SCREENSHOT, '--hide-scrollbars', report.as_uri(),
             tmp_path=tmp_path)
    assert SCREENSHOT.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and SCREENSHOT.stat().st_size > 20000
    print('\nlab report screenshot: %s' % SCREENSHOT)


def test_reprovision_repairs_the_broken_host_and_the_report_turns_green(report, lab, tmp_path):
    run = lab.provision('--limit', BROKEN, playbook='reprovision.yml', json_output=False)
    assert run.rc == 0, run.describe()
    assert recap_rows(run.stdout)[BROKEN][:2] == ['0', '1']
    out = tmp_path / 'green.html'
    again = lab.provision('-e', 'report_output=%s' % out, playbook='report.yml')
    assert again.rc == 0, again.describe()
    page = Page()
    page.feed(chromium('--window-size=1600,1000', '--dump-dom', out.as_uri(), tmp_path=tmp_path))
    assert page.ids['total-problems'].strip() == '0' and page.ids['total-ok'].strip() == '3'
    assert page.attention == [] and 'Every host is ready' in page.ids['attention']
