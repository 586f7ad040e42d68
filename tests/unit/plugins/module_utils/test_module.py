"""The four modules' main() run in-process (ansible.module_utils.testing.patch_module_args): the one tail and error
funnel of _module, and what each module reports in check mode against a real run."""

from __future__ import annotations

import importlib
import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive

KEY = 'small_model'


def run_module(name, args, check=False, diff=False, capsys=None):
    """The result dict of labfleet.zoo.<name> run with ``args`` (failed results included)."""
    module = importlib.import_module('ansible_collections.labfleet.zoo.plugins.modules.' + name)
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out[out.index('{'):])


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp('zoo')
    build_archive(root, KEY, size=64 * 1024, seed=5)
    return root


@pytest.fixture
def mirror(tmp_path):
    folder = tmp_path / 'mirror'
    folder.mkdir()
    return folder


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_archive_check_mode_predicts_a_mode_fix(zoo, mirror, capsys):
    """A present archive whose mode differs: check mode says changed exactly when the real run changes it."""
    args = dict(url='file://%s/%s.tar.gz' % (zoo, KEY), dest=str(mirror))
    first = run_module('archive', args, capsys=capsys)
    assert first['changed'] and first['action'] == 'downloaded', first
    os.chmod(str(mirror / (KEY + '.tar.gz')), 0o600)
    args['mode'] = '0644'
    check = run_module('archive', args, check=True, capsys=capsys)
    assert mode_of(mirror / (KEY + '.tar.gz')) == 0o600
    real = run_module('archive', args, capsys=capsys)
    assert mode_of(mirror / (KEY + '.tar.gz')) == 0o644
    assert (check['changed'], real['changed']) == (True, True), (check, real)
    again = run_module('archive', args, check=True, capsys=capsys)
    assert again['changed'] is False, again
    assert real['action'] == 'attributes', real


PIPELINE = 'model {\n  ssd {\n    num_classes: 90\n  }\n}\ntrain_config {\n  batch_size: 64\n}\n'


@pytest.mark.parametrize('module_name', ['archive', 'pipeline_config', 'model'])
def test_check_mode_predicts_the_real_runs_changed_for_owner_and_mode(zoo, tmp_path, capsys, module_name):
    """The one way to apply owner/group/mode (_fs.fix_attrs) in each module: check → real → check → real."""
    if module_name == 'pipeline_config':
        src = tmp_path / 'pipeline.config'
        src.write_text(PIPELINE)
        args = dict(src=str(src), dest=str(tmp_path / 'training' / 'pipeline.config'), num_classes=2)
        target = tmp_path / 'training' / 'pipeline.config'
    else:
        args = dict(url='file://%s/%s.tar.gz' % (zoo, KEY), dest=str(tmp_path / 'dest'))
        (tmp_path / 'dest').mkdir()
        target = tmp_path / 'dest' / (KEY + '.tar.gz' if module_name == 'archive' else KEY + '/pipeline.config')
    assert run_module(module_name, args, capsys=capsys)['changed']
    args['mode'] = '0600'
    seen = []
    for check in (True, False, True, False):
        out = run_module(module_name, args, check=check, capsys=capsys)
        assert not out.get('failed'), out
        seen.append((out['changed'], mode_of(target)))
    assert seen == [(True, 0o644), (True, 0o600), (False, 0o600), (False, 0o600)], seen


PC = 'faster_rcnn_resnet50_v1_640x640_coco17_tpu-8'


@pytest.fixture(scope='module')
def catalog_zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp('catalog_zoo')
    build_archive(root, PC, size=32 * 1024)
    return root


@pytest.mark.parametrize('module_name', ['model', 'archive'])
def test_upstream_base_serves_name_tar_gz(catalog_zoo, tmp_path, capsys, module_name):
    args = dict(name=PC, upstream='file://%s/' % catalog_zoo, dest=str(tmp_path))
    out = run_module(module_name, args, capsys=capsys)
    assert not out.get('failed') and out['source'] == 'file://%s/%s.tar.gz' % (catalog_zoo, PC), out
    info = run_module('model_info', dict(dest=str(tmp_path), name=[PC], upstream=args['upstream']), capsys=capsys)
    if module_name == 'model':
        assert info['intact'] and info['models'][0]['state'] == 'intact', info


def test_upstream_and_url_are_exclusive(catalog_zoo, tmp_path, capsys):
    out = run_module('model', dict(name=PC, upstream='http://p/', url='http://p/x.tar.gz', dest=str(tmp_path)),
                     capsys=capsys)
    assert out['failed'] and 'mutually exclusive: url|upstream' in out['msg'], out


# ---------------------------------------------------------------- the funnel itself (_module.run)

def funnel(work, capsys, diff=False, urls=()):
    from ansible.module_utils.basic import AnsibleModule
    from ansible_collections.labfleet.zoo.plugins.module_utils._module import run

    with patch_module_args({'_ansible_diff': diff}):
        module = AnsibleModule(argument_spec={}, supports_check_mode=True)
        with pytest.raises(SystemExit):
            run(module, work, 'install m in /srv/models', urls=urls)
    out = capsys.readouterr().out
    return out, json.loads(out[out.index('{'):])


def test_funnel_an_os_error_is_one_clean_message_naming_the_work(capsys):
    def work():
        raise PermissionError(13, 'Permission denied', 'pipeline.config')
    text, out = funnel(work, capsys)
    assert out['failed'] and out['msg'] == 'cannot install m in /srv/models: Permission denied (pipeline.config)'
    assert 'Traceback' not in text and 'exception' not in out


def test_funnel_a_zoo_error_is_its_own_message(capsys):
    from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

    def work():
        raise ZooError('unknown model %r: closest catalog names: a, b' % 'x')
    _text, out = funnel(work, capsys)
    assert out['failed'] and out['msg'] == "unknown model 'x': closest catalog names: a, b"


def test_funnel_other_errors_are_bugs_not_hidden(capsys):
    def work():
        raise KeyError('bug')
    from ansible.module_utils.basic import AnsibleModule
    from ansible_collections.labfleet.zoo.plugins.module_utils._module import run
    with patch_module_args({}):
        module = AnsibleModule(argument_spec={}, supports_check_mode=True)
        with pytest.raises(KeyError):
            run(module, work, 'install m in /srv/models')


@pytest.mark.parametrize('diff', [False, True], ids=['no-diff', 'diff'])
def test_funnel_tail_warnings_diff_and_passwords(capsys, diff, monkeypatch):
    from ansible.module_utils import _internal
    monkeypatch.setattr(_internal, 'is_controller', False)  # a controller-side test earlier may have set it

    def work():
        return dict(changed=True, action='installed', source='http://lab:***@h/m.tar.gz', seen='s3cr3t-pw',
                    diff={'before': {}, 'after': {}}), ['first', 'second']
    _text, out = funnel(work, capsys, diff=diff, urls=[None, 'http://lab:s3cr3t-pw@h/', ''])
    warnings = [w['event']['msg'] if isinstance(w, dict) else w for w in out['warnings']]  # 2.19 wraps them
    assert warnings == ['first', 'second'] and out['action'] == 'installed'
    assert ('diff' in out) is diff
    assert 's3cr3t-pw' not in json.dumps(out)


def test_a_no_op_rerun_of_model_never_imports_the_url_machinery():
    """The funnel and the option helpers keep model's import cost: ansible.module_utils.urls loads only to download."""
    import subprocess
    import sys
    from ansible_collections.labfleet.zoo.tests.support.repo import python_env
    code = ('import sys; '
            'import ansible_collections.labfleet.zoo.plugins.modules.model; '
            'print(sorted(m for m in sys.modules if m == "ansible.module_utils.urls" or m.startswith("ssl")))')
    out = subprocess.run([sys.executable, '-c', code], env=python_env(), capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['ssl']" or out.strip() == '[]', out
    assert 'ansible.module_utils.urls' not in out
