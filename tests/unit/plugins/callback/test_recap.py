"""labfleet.zoo.recap: classifying sources, counting results as the callbacks receive them, formatting the table
(the whole callback runs in tests/report)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.executor.task_result import _RawTaskResult
from ansible.inventory.host import Host

from ansible_collections.labfleet.zoo.plugins.callback.recap import (COLUMNS, COUNTED_AS, CallbackModule, HostRecap,
                                                                     human_bytes, where)
from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary

UPSTREAM = 'https://download.tensorflow.org/models/object_detection/tf2/20200711/m.tar.gz'


@pytest.mark.parametrize('source, mirrors, expected', [
    ('http://teacher:8080/zoo/m.tar.gz', ['http://teacher:8080/zoo'], ('mirror', 'teacher:8080')),
    ('http://teacher:8080/zoo/m.tar.gz', ['http://teacher:8080/zoo/'], ('mirror', 'teacher:8080')),
    (UPSTREAM, ['http://teacher:8080/zoo'], ('upstream', 'download.tensorflow.org')),
    ('https://models.example.org/m.tar.gz', [], ('upstream', 'models.example.org')),
    ('file:///srv/zoo/m.tar.gz', ['file:///srv/zoo'], ('mirror', 'local file')),
], ids=['mirror', 'mirror-trailing-slash', 'upstream-after-mirror', 'url-without-mirrors', 'file-mirror'])
def test_where(source, mirrors, expected):
    assert where(source, mirrors) == expected


@pytest.mark.parametrize('count, text', [(0, '0 B'), (1023, '1023 B'), (1536, '1.5 KiB'), (5 * 1024 ** 3, '5.0 GiB')])
def test_human_bytes(count, text):
    assert human_bytes(count) == text


def test_table_counts_bytes_origins_and_totals():
    recap = CallbackModule()
    pc = recap.hosts.setdefault('pc01', HostRecap())
    pc.add({'action': 'installed', 'bytes_downloaded': 2048, 'source': 'http://t:80/zoo/a.tar.gz'}, ['http://t:80/zoo'])
    pc.add({'action': 'unchanged', 'bytes_downloaded': 0, 'source': 'http://t:80/zoo/b.tar.gz'}, ['http://t:80/zoo'])
    pi = recap.hosts.setdefault('pi01', HostRecap())
    pi.add({'action': 'repaired', 'bytes_downloaded': 1024, 'source': UPSTREAM}, ['http://t:80/zoo'])
    pi.add({'action': 'attributes', 'bytes_downloaded': 0}, [])
    pi.add({'msg': 'boom'}, [], failed=True)
    lines = recap.lines()
    assert lines[0].split() == ['host', 'installed', 'repaired', 'attributes', 'unchanged', 'removed', 'failed',
                                'downloaded', 'from']
    assert lines[1].split() == ['pc01', '1', '0', '0', '1', '0', '0', '2.0', 'KiB', 'mirror', 't:80']
    assert lines[2].split() == ['pi01', '0', '1', '1', '0', '0', '1', '1.0', 'KiB', 'upstream',
                                'download.tensorflow.org']
    assert lines[3].split()[:10] == ['TOTAL', '(2', 'hosts)', '1', '1', '1', '1', '0', '1', '3.0']
    assert lines[3].endswith('mirror t:80, upstream download.tensorflow.org')
    assert len(set(len(line.split('  ')[0]) for line in lines[:3])) == 1, 'host column not aligned'


def test_columns_are_the_vocabulary():
    """Every action of labfleet.zoo.model has a column (or is counted as one), in the vocabulary's order."""
    assert COLUMNS[-1] == _vocabulary.FAILED
    assert set(COLUMNS[:-1]) | set(COUNTED_AS) == set(_vocabulary.MODEL_ACTIONS)
    assert list(COLUMNS[:-1]) == [a for a in _vocabulary.MODEL_ACTIONS if a in COLUMNS]
    assert set(COUNTED_AS.values()) <= set(COLUMNS)


def task(action='labfleet.zoo.model', mirrors=None):
    """What the callback reads of a task: its action (as written and resolved), args, check mode, no_log."""
    return SimpleNamespace(action=action, resolved_action=action, args={'mirrors': mirrors or []}, check_mode=False,
                           no_log=False)


def event(host, the_task, data):
    """The result a callback receives: through ansible-core's own conversion, which drops the 'failed' key."""
    return _RawTaskResult(Host(host), the_task, dict(data), {}).as_callback_task_result()


def counts(recap, host):
    return dict((column, recap.hosts[host].counts[column]) for column in COLUMNS if recap.hosts[host].counts[column])


def test_a_failed_loop_item_counts_as_failed():
    recap = CallbackModule()
    install = task()
    recap.v2_runner_item_on_ok(event('pc01', install, {'action': 'installed', 'bytes_downloaded': 10,
                                                       'source': UPSTREAM, 'item': {'key': 'a'}}))
    recap.v2_runner_item_on_failed(event('pc01', install, {'failed': True, 'msg': 'checksum mismatch',
                                                           'item': {'key': 'b'}}))
    # The loop's aggregate result comes last, failed too: its items were counted already.
    recap.v2_runner_on_failed(event('pc01', install, {'failed': True, 'msg': 'One or more items failed',
                                                      'results': [{'action': 'installed'}, {'failed': True}]}))
    assert counts(recap, 'pc01') == {'installed': 1, 'failed': 1}
    assert recap.lines()[1].split()[:7] == ['pc01', '1', '0', '0', '0', '0', '1']


def test_a_failed_task_without_loop_counts_as_failed_even_when_ignored():
    recap = CallbackModule()
    recap.v2_runner_on_failed(event('pi01', task('model'), {'failed': True, 'msg': 'unknown model'}),
                              ignore_errors=True)
    assert counts(recap, 'pi01') == {'failed': 1}


def test_results_of_other_modules_are_not_counted():
    recap = CallbackModule()
    recap.v2_runner_on_failed(event('pc01', task('ansible.builtin.file'), {'failed': True, 'msg': 'x'}))
    recap.v2_runner_item_on_ok(event('pc01', task('labfleet.zoo.archive'), {'action': 'downloaded'}))
    assert recap.hosts == {}


@pytest.mark.parametrize('action, column', [(a, COUNTED_AS.get(a, a)) for a in _vocabulary.MODEL_ACTIONS],
                         ids=list(_vocabulary.MODEL_ACTIONS))
def test_every_action_lands_in_its_column(action, column):
    recap = CallbackModule()
    recap.v2_runner_item_on_ok(event('pc01', task(), {'action': action}))
    assert counts(recap, 'pc01') == {column: 1}


def test_a_workspace_task_counts_each_of_its_models():
    """labfleet.zoo.workspace (the workstation role's one task) returns its models in one result."""
    recap = CallbackModule()
    workspace = task('labfleet.zoo.workspace', mirrors=['http://t:80/zoo'])
    recap.v2_runner_on_ok(event('pc01', workspace, {'changed': True, 'models': [
        {'key': 'a', 'action': 'installed', 'bytes_downloaded': 2048, 'source': 'http://t:80/zoo/a.tar.gz'},
        {'key': 'b', 'action': 'unchanged', 'bytes_downloaded': 0}], 'removed': [{'key': 'c', 'action': 'removed'}]}))
    recap.v2_runner_on_failed(event('pc02', workspace, {'failed': True, 'msg': 'b: checksum mismatch', 'models': [
        {'key': 'a', 'action': 'unchanged'}, {'key': 'b', 'action': 'failed', 'failed': True}]}))
    recap.v2_runner_on_failed(event('pi01', workspace, {'failed': True, 'msg': 'no profile for riscv64'}))
    recap.v2_runner_on_ok(event('pi02', workspace, {'changed': False, 'models': []}))
    assert counts(recap, 'pc01') == {'installed': 1, 'unchanged': 1, 'removed': 1}
    assert recap.hosts['pc01'].origin() == 'mirror t:80'
    assert counts(recap, 'pc02') == {'unchanged': 1, 'failed': 1}
    assert counts(recap, 'pi01') == {'failed': 1}
    assert counts(recap, 'pi02') == {}
