"""labfleet.zoo.model through ansible-playbook against localhost and a synthetic zoo on 127.0.0.1."""

from __future__ import annotations

import yaml

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL, PI_MODEL
from ansible_collections.labfleet.zoo.tests.support.runner import run_playbook, task_results, write_play


def test_must_show_first_run_changed_second_run_no_http_request(zoo, tmp_path):
    """First run installs from the mirror; the rerun is changed=false and sends no request at all."""
    dest = tmp_path / 'pre_trained'
    play = write_play(tmp_path / 'play.yml', [{
        'name': 'Install the PC model', 'register': 'result',
        'labfleet.zoo.model': {'name': PC_MODEL, 'dest': str(dest), 'mirrors': [zoo.server.url]},
    }])
    zoo.server.reset_counters()
    rc, first = run_playbook(play)
    assert rc == 0 and first['stats']['localhost']['changed'] == 1
    assert zoo.server.request_count() == 1
    zoo.server.reset_counters()
    rc, second = run_playbook(play)
    assert rc == 0 and second['stats']['localhost']['changed'] == 0
    assert zoo.server.request_count() == 0
    result = task_results(second)[0][1]
    assert result['action'] == 'unchanged' and result['bytes_downloaded'] == 0


def test_ad_hoc_by_catalog_name(zoo, tmp_path):
    """The issue's ad-hoc form: the catalog resolves the name on the target."""
    dest = tmp_path / 'tod_tf2' / 'pre_trained'
    key = PI_MODEL
    proc = runner.adhoc('name=%s dest=%s mirrors=%s' % (key, dest, zoo.server.url), stdout_callback='default')
    assert proc.rc == 0, proc.stdout + proc.stderr
    assert (dest / key / 'pipeline.config').is_file()
    assert '"action": "installed"' in proc.stdout


def test_ansible_doc_renders_everything():
    proc = runner.doc('labfleet.zoo.model')
    assert proc.returncode == 0, proc.stderr
    for word in ('name', 'url', 'mirrors', 'checksum', 'dest', 'state', 'verify', 'force', 'timeout', 'retries',
                 'validate_certs', 'owner', 'ATTRIBUTES', 'check_mode', 'diff_mode', 'idempotent',
                 'EXAMPLES', 'RETURN VALUES', 'bytes_downloaded', 'elapsed'):
        assert word in proc.stdout, word
    assert 'WARNING' not in proc.stderr, proc.stderr


def test_examples_run_against_the_local_zoo(zoo, tmp_path):
    """Every task of the module's EXAMPLES runs, with hosts and paths pointed at the local zoo."""
    from ansible_collections.labfleet.zoo.plugins.modules import model
    ssd = 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8'   # the model the EXAMPLES pin with a checksum
    text = (model.EXAMPLES
            .replace('http://teacher-pc.lab:8080/zoo', zoo.server.url)
            .replace('https://models.example.org', zoo.server.url)
            .replace('~/tod_tf2/pre_trained', str(tmp_path / 'pre_trained'))
            .replace('/srv/models', str(tmp_path / 'srv')))
    tasks = yaml.safe_load(text)
    for task in tasks:
        args = task.get('labfleet.zoo.model', {})
        if args.get('name') == ssd and 'checksum' in args:
            args['checksum'] = 'sha256:' + zoo.sha256[ssd]
    extra = '  module_defaults:\n    labfleet.zoo.model:\n      mirrors: ["%s"]\n' % zoo.server.url
    play = write_play(tmp_path / 'examples.yml', tasks, extra)
    rc, out = run_playbook(play)
    names = [name for name, res in task_results(out) if not res.get('failed')]
    assert rc == 0, [(n, r.get('msg')) for n, r in task_results(out) if r.get('failed')]
    assert names == [task['name'] for task in tasks]
