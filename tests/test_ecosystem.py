# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible ecosystem checks, in CI: yamllint, ansible-lint (production profile), antsibull-changelog lint,
ansible-test sanity and units run the standard way in a plain copy at ansible_collections/labfleet/zoo, the version
claims (requires_ansible, the modules' target Python floor) against what is tested, and a Galaxy round trip (build,
install into a clean path, run a playbook that uses labfleet.zoo.model from that install only).

Every check runs the real tool and asserts its exit status; a few also feed the tool a known-bad input first, so a
configuration that silently checks nothing fails here.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NAMESPACE, NAME = 'labfleet', 'zoo'


def run(cmd, cwd=REPO, env=None, timeout=900):
    """Run a command; return the CompletedProcess (text output, stdout and stderr merged)."""
    proc = subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    print('$ %s (in %s) -> %d\n%s' % (' '.join(str(c) for c in cmd), cwd, proc.returncode, proc.stdout))
    return proc


def tool(name):
    path = BIN / name
    assert path.exists(), '%s not found beside %s: run `make venv` (requirements.txt pins it)' % (name, sys.executable)
    return path


# yamllint ------------------------------------------------------------------------------------------------------------

def test_yamllint_repo():
    listed = run([tool('yamllint'), '--list-files', '.'])
    files = set(listed.stdout.split())
    assert listed.returncode == 0
    # The repository's own YAML is linted; the venv, the collections/ link and caches are not.
    assert {'./galaxy.yml', './meta/runtime.yml', './changelogs/config.yaml'} <= files
    assert not [f for f in files if f.startswith(('./.venv/', './collections/', './.cache/'))]

    proc = run([tool('yamllint'), '--strict', '-f', 'parsable', '.'])
    assert proc.returncode == 0, 'yamllint found problems:\n' + proc.stdout


def test_yamllint_config_rejects_bad_yaml(tmp_path):
    """The repository's .yamllint still catches what ansible-lint's yamllint rules forbid."""
    bad = tmp_path / 'bad.yml'
    bad.write_text('---\nenabled: yes\nmode: 0644\nlist: {  a: 1}\nkey: value # comment\n')
    proc = run([tool('yamllint'), '-c', REPO / '.yamllint', '-f', 'parsable', bad])
    assert proc.returncode != 0
    assert '(truthy)' in proc.stdout and '(octal-values)' in proc.stdout and '(braces)' in proc.stdout
    # min-spaces-from-content: 1 (ansible-lint's requirement): one space before a comment is fine.
    assert '(comments)' not in proc.stdout


# ansible-lint --------------------------------------------------------------------------------------------------------

def lint_env():
    env = dict(os.environ, NO_COLOR='1', ANSIBLE_NOCOLOR='1')
    env['PATH'] = os.pathsep.join([str(BIN), env.get('PATH', '')])  # ansible-lint runs ansible-* tools from PATH
    env.pop('ANSIBLE_CONFIG', None)  # the repository's ansible.cfg (cwd) finds labfleet.zoo through collections/
    return env


def test_ansible_lint_production_profile():
    proc = run([tool('ansible-lint'), '--nocolor', '--profile', 'production', '--strict'], env=lint_env())
    assert proc.returncode == 0, 'ansible-lint (production profile) failed:\n' + proc.stdout
    assert "Profile 'production' was required, but" not in proc.stdout


def test_ansible_lint_catches_problems(tmp_path):
    """The same configuration fails a playbook that breaks production-profile rules (not FQCN, no name)."""
    play = tmp_path / 'bad.yml'
    play.write_text('---\n- hosts: localhost\n  tasks:\n    - shell: echo hi\n')
    proc = run([tool('ansible-lint'), '--nocolor', '-c', REPO / '.ansible-lint', '--profile', 'production',
                '--project-dir', tmp_path, play], cwd=tmp_path, env=lint_env())
    assert proc.returncode != 0
    assert 'fqcn' in proc.stdout and 'name[' in proc.stdout


# changelog -----------------------------------------------------------------------------------------------------------

def test_changelog_lint_rejects_bad_fragment(tmp_path):
    bad = tmp_path / 'bad.yml'
    bad.write_text('---\nminor_changes: not a list\nunknown_section:\n  - x\n')
    proc = run([tool('antsibull-changelog'), 'lint', bad])
    assert proc.returncode != 0 and 'unknown_section' in proc.stdout


def test_changelog_fragments_lint():
    fragments = [p for p in (REPO / 'changelogs' / 'fragments').iterdir() if p.suffix in ('.yml', '.yaml')]
    assert fragments, 'changelogs/fragments/ has no fragment'
    proc = run([tool('antsibull-changelog'), 'lint'])
    assert proc.returncode == 0 and not proc.stdout.strip(), 'antsibull-changelog lint:\n' + proc.stdout
    proc = run([tool('antsibull-changelog'), 'lint-changelog-yaml', REPO / 'changelogs' / 'changelog.yaml'])
    assert proc.returncode == 0 and not proc.stdout.strip(), 'antsibull-changelog lint-changelog-yaml:\n' + proc.stdout


# ansible-test --------------------------------------------------------------------------------------------------------
# Run the standard way: a plain copy of the checkout at <tmp>/ansible_collections/labfleet/zoo/, then `ansible-test
# sanity` and `ansible-test units` in it, nothing else. The one environment workaround is .ci/ansible-test-bootstrap.py
# (ansible-test's get-pip host is unreachable here); it writes under ~/.ansible/test/cache only.

ANSIBLE_TEST_BOOTSTRAP = REPO / '.ci' / 'ansible-test-bootstrap.py'


def committable_files(repo):
    """The files a commit of the working tree would hold: tracked or untracked-not-ignored, minus deleted ones."""
    def ls(*args):
        out = subprocess.run(['git', 'ls-files', '-z'] + list(args), cwd=str(repo), check=True,
                             capture_output=True).stdout.decode('utf-8')
        return set(name for name in out.split('\0') if name)
    return sorted(ls('--cached', '--others', '--exclude-standard') - ls('--deleted'))


def copy_checkout(repo, dest):
    """Copy the committable files of ``repo`` into ``dest`` (symlinks as symlinks); returns ``dest``."""
    for rel in committable_files(repo):
        src, dst = repo / rel, dest / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(str(src)), str(dst))
        else:
            shutil.copy2(str(src), str(dst))
    return dest


def plain_copy(repo, root):
    """``root/ansible_collections/labfleet/zoo``: what `git clone` of the working tree (as if committed) gives.

    A git repository of its own, so ansible-test lists the files through git and .gitignore as in a real clone; no
    `make venv` has run there, so the collections/ link does not exist.
    """
    dest = copy_checkout(repo, root / 'ansible_collections' / NAMESPACE / NAME)
    subprocess.run(['git', 'init', '-q', str(dest)], check=True)
    return dest


def ansible_test(args, cwd, python_dirs=(), timeout=900):
    """`ansible-test <args> --color no` in ``cwd``; ``python_dirs`` go first on PATH (where ansible-test finds
    pythonX.Y)."""
    env = dict(os.environ)
    env['PATH'] = os.pathsep.join([str(d) for d in python_dirs] + [str(BIN), env.get('PATH', '')])
    return run([tool('ansible-test')] + list(args) + ['--color', 'no'], cwd=cwd, env=env, timeout=timeout)


def python_dir(version):
    """The directory of a working ``python<version>``: on PATH (a pyenv shim may be there without working), else a
    pyenv install (``$PYENV_ROOT`` or ``~/.pyenv``); None when there is none."""
    name = 'python%s' % version
    candidates = [Path(d) / name for d in os.environ.get('PATH', '').split(os.pathsep) if d]
    for root in sorted(set([os.environ.get('PYENV_ROOT') or '', os.path.expanduser('~/.pyenv')]) - {''}):
        candidates += sorted(Path(root).glob('versions/%s.*/bin/%s' % (version, name)))
    for candidate in candidates:
        if candidate.is_file() and os.access(str(candidate), os.X_OK):
            probe = subprocess.run([str(candidate), '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                                   capture_output=True, text=True, check=False)
            if probe.returncode == 0 and probe.stdout.strip() == version:
                return candidate.parent
    return None


@pytest.fixture(scope='module')
def collection_copy(tmp_path_factory):
    proc = run([sys.executable, ANSIBLE_TEST_BOOTSTRAP])
    assert proc.returncode == 0, '.ci/ansible-test-bootstrap.py failed'
    return plain_copy(REPO, tmp_path_factory.mktemp('plain-copy'))


def test_no_sanity_ignore_files():
    assert not list((REPO / 'tests' / 'sanity').glob('ignore*.txt'))


def test_collections_link_is_not_committed():
    """The in-tree link (ansible.cfg collections_path) is `make venv`'s: git neither tracks nor lists it."""
    assert not [f for f in committable_files(REPO) if f == 'collections' or f.startswith('collections/')]
    proc = run(['git', 'check-ignore', '-q', '--no-index', 'collections/ansible_collections/%s/%s' % (NAMESPACE, NAME)])
    assert proc.returncode == 0, '.gitignore must ignore the collections/ link'


def test_make_venv_links_a_fresh_clone(tmp_path):
    """A fresh clone has no collections/ link; `make venv` makes it, and Ansible run from the clone (its ansible.cfg)
    then resolves labfleet.zoo to the clone itself."""
    clone = copy_checkout(REPO, tmp_path / 'labfleet-zoo')
    link = clone / 'collections' / 'ansible_collections' / NAMESPACE / NAME
    assert not os.path.lexists(str(link))
    stamp = tmp_path / 'requirements.stamp'  # this venv is up to date: `make venv` only has the link to make
    stamp.touch()
    for run_number in (1, 2):  # the second run finds the link made and keeps it
        proc = run(['make', 'venv', 'VENV=%s' % BIN.parent, 'VENV_STAMP=%s' % stamp], cwd=clone)
        assert proc.returncode == 0, 'make venv (run %d) failed' % run_number
        assert os.readlink(str(link)) == '../../..'
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / 'ansible_home'), NO_COLOR='1')
    env.pop('ANSIBLE_CONFIG', None)
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    proc = run([tool('ansible-doc'), '--json', '%s.%s.model' % (NAMESPACE, NAME)], cwd=clone, env=env)
    assert proc.returncode == 0, 'ansible-doc run in the clone does not find labfleet.zoo.model'
    doc = json.loads(proc.stdout[proc.stdout.index('{'):])
    filename = Path(doc['%s.%s.model' % (NAMESPACE, NAME)]['doc']['filename']).resolve()
    assert filename == (clone / 'plugins' / 'modules' / 'model.py').resolve(), filename


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_ansible_test_sanity_the_standard_way(collection_copy):
    """`ansible-test sanity --local --python 3.11` in a plain copy: every test, 0 errors, no ignore file.

    The first run on a machine builds ansible-test's virtual environments (~/.ansible/test): a few minutes.
    """
    assert not list((collection_copy / 'tests' / 'sanity').glob('ignore*.txt'))
    proc = ansible_test(['sanity', '--local', '--python', '3.11'], cwd=collection_copy, timeout=1100)
    assert proc.returncode == 0, 'ansible-test sanity failed (see the output above)'
    assert 'Running sanity test "validate-modules"' in proc.stdout
    assert 'Running sanity test "symlinks"' in proc.stdout
    assert 'All targets skipped' not in proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_ansible_test_units_the_standard_way(collection_copy):
    """`ansible-test units --venv --python 3.11` in a plain copy: every unit test under tests/unit passes.

    --venv: ansible-test installs its unit test requirements (pytest-xdist, pytest-mock...) in a venv of its own.
    """
    proc = ansible_test(['units', '--venv', '--python', '3.11'], cwd=collection_copy, timeout=1100)
    assert proc.returncode == 0, 'ansible-test units failed (see the output above)'
    assert 'Unit test module_utils with Python 3.11' in proc.stdout
    assert 'Unit test controller with Python 3.11' in proc.stdout


# Version claims ------------------------------------------------------------------------------------------------------
# Each version the collection claims is the one its tests run with.

def target_python_floor():
    """The target Python floor the module docs state ("Targets need Python 3.8 or newer", "Python 3.8+")."""
    claims = {}
    for folder in ('modules', 'module_utils', 'doc_fragments'):
        for path in sorted((REPO / 'plugins' / folder).glob('*.py')):
            for version in re.findall(r'Python (\d+\.\d+)(?:\+| or newer)', path.read_text()):
                claims.setdefault(version, []).append(path.relative_to(REPO).as_posix())
    assert claims, 'no module states its target Python floor'
    assert len(claims) == 1, 'the modules state different target Python floors: %s' % claims
    return next(iter(claims))


def pinned_ansible_core():
    match = re.search(r'^ansible-core==(\d+)\.(\d+)\.\d+\s*$', (REPO / 'requirements.txt').read_text(), re.M)
    assert match, 'requirements.txt must pin ansible-core==X.Y.Z'
    return int(match.group(1)), int(match.group(2))


def test_requires_ansible_is_the_tested_ansible_core():
    """meta/runtime.yml claims the ansible-core that every test runs with (requirements.txt), and no older one."""
    from ansible.release import __version__ as running

    major, minor = pinned_ansible_core()
    assert tuple(int(n) for n in running.split('.')[:2]) == (major, minor), 'the tests run ansible-core %s' % running
    runtime = yaml.safe_load((REPO / 'meta' / 'runtime.yml').read_text())
    assert runtime['requires_ansible'] == '>=%d.%d.0' % (major, minor)


@pytest.mark.parametrize('role', sorted(p.name for p in (REPO / 'roles').iterdir() if (p / 'meta' / 'main.yml').is_file()))
def test_roles_claim_the_tested_ansible_core(role):
    meta = yaml.safe_load((REPO / 'roles' / role / 'meta' / 'main.yml').read_text())
    assert str(meta['galaxy_info']['min_ansible_version']) == '%d.%d' % pinned_ansible_core()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_modules_compile_and_import_on_the_target_python_floor(collection_copy):
    """`ansible-test sanity --test compile --test import` on the documented target floor: every module and
    module_utils file compiles and imports there (ansible-test runs only target code on a target-only Python)."""
    floor = target_python_floor()
    where = python_dir(floor)
    assert where, ('no Python %s interpreter on this machine: the modules claim to run on it (install it, e.g. '
                   '`pyenv install %s`)' % (floor, floor))
    proc = ansible_test(['sanity', '--local', '--python', floor, '--test', 'compile', '--test', 'import'],
                        cwd=collection_copy, python_dirs=[where])
    assert proc.returncode == 0, 'ansible-test sanity on Python %s failed (see the output above)' % floor
    assert 'Running sanity test "compile" on Python %s' % floor in proc.stdout
    assert 'Running sanity test "import" on Python %s' % floor in proc.stdout


# CI -----------------------------------------------------------------------------------------------------------------

def test_ci_prints_the_time_of_each_tier(tmp_path):
    """.ci/run asks pytest for a JUnit report and prints each tier's time from it with .ci/tier-durations.py."""
    ci_run = (REPO / '.ci' / 'run').read_text()
    assert '--junitxml=' in ci_run and '.ci/tier-durations.py' in ci_run
    report = tmp_path / 'junit.xml'
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.unit.plugins.module_utils.test_fetch" name="a" time="1.5"/>'
        '<testcase classname="tests.unit.tools.test_synthetic_zoo" name="b" time="0.5"><skipped/></testcase>'
        '<testcase classname="tests.fleet.test_fleet" name="c" time="30"><failure message="x"/></testcase>'
        '<testcase classname="tests.test_ecosystem" name="d" time="12.3"/>'
        '</testsuite></testsuites>')
    proc = run([sys.executable, REPO / '.ci' / 'tier-durations.py', report])
    assert proc.returncode == 0
    rows = [line.split() for line in proc.stdout.splitlines()[1:]]
    assert rows == [['tests/fleet', '30.0', '1', '1', '0'], ['tests/test_ecosystem.py', '12.3', '1', '0', '0'],
                    ['tests/unit', '2.0', '2', '0', '1'], ['all', 'tiers', '44.3', '4']]


# Galaxy round trip ---------------------------------------------------------------------------------------------------

def small_archive(directory, top='my_detector'):
    """A small model-like .tar.gz with a single top directory; returns its path."""
    path = directory / (top + '.tar.gz')
    members = {
        'pipeline.config': b'model { ssd { num_classes: 3 } }\n',
        'checkpoint/checkpoint': b'model_checkpoint_path: "ckpt-0"\n',
        'checkpoint/ckpt-0.index': os.urandom(512),
        'checkpoint/ckpt-0.data-00000-of-00001': os.urandom(64 * 1024),
        'saved_model/saved_model.pb': os.urandom(8 * 1024),
    }
    with tarfile.open(str(path), 'w:gz') as tar:
        for dirname in (top, top + '/checkpoint', top + '/saved_model'):
            info = tarfile.TarInfo(dirname)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, data in members.items():
            info = tarfile.TarInfo('%s/%s' % (top, name))
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def collection_imports(source, filename):
    """The ``ansible_collections.labfleet.zoo.*`` modules a Python source imports, as paths inside the collection."""
    prefix = 'ansible_collections.%s.%s.' % (NAMESPACE, NAME)
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        found.extend(n[len(prefix):].replace('.', '/') for n in names if n.startswith(prefix))
    return found


def shipped(module, names):
    return module + '.py' in names or module + '/__init__.py' in names or module in names


@pytest.fixture(scope='module')
def built_collection(tmp_path_factory):
    out = tmp_path_factory.mktemp('galaxy-build')
    proc = run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', out, REPO], timeout=300)
    assert proc.returncode == 0, 'ansible-galaxy collection build failed'
    tarballs = list(out.glob('%s-%s-*.tar.gz' % (NAMESPACE, NAME)))
    assert len(tarballs) == 1, tarballs
    return tarballs[0]


def test_galaxy_tarball_contents(built_collection):
    with tarfile.open(str(built_collection)) as tar:
        names = set(n.rstrip('/') for n in tar.getnames())
    tops = set(n.split('/')[0] for n in names)
    for required in ('MANIFEST.json', 'FILES.json', 'README.md', 'meta/runtime.yml', 'plugins/modules/model.py'):
        assert required in names, '%s missing from %s' % (required, built_collection.name)
    # tools/ is repository-only (developer scripts, test fixtures, teacher commands that need the checkout), and so
    # are the tests that import its fixtures.
    for forbidden in ('collections', 'tools', 'tests', '.ci', '.venv', '.cache', '.git', '.pytest_cache', 'build',
                      'dist'):
        assert forbidden not in tops, '%s/ shipped in %s' % (forbidden, built_collection.name)
    assert not [n for n in names if '__pycache__' in n or n.endswith('.pyc')]
    # Every module of the collection that a shipped file imports is shipped too.
    with tarfile.open(str(built_collection)) as tar:
        missing = sorted(set((member, module) for member in sorted(n for n in names if n.endswith('.py'))
                             for module in collection_imports(tar.extractfile(member).read(), member)
                             if not shipped(module, names)))
    assert missing == [], 'shipped files import what is not shipped: %s' % missing
    assert not [n for n in names if n.endswith('.tar.gz')], 'an archive was shipped inside the collection'
    with tarfile.open(str(built_collection)) as tar:
        manifest = json.load(tar.extractfile('MANIFEST.json'))
    info = manifest['collection_info']
    assert (info['namespace'], info['name']) == (NAMESPACE, NAME)
    assert info['license'] and info['description'] and info['repository'] and info['readme'] == 'README.md'


@pytest.mark.slow
def test_galaxy_install_and_playbook(built_collection, tmp_path):
    """Install the tarball into a clean path and use labfleet.zoo.model from there only (not the in-tree link)."""
    clean = tmp_path / 'clean_collections'
    cfg = tmp_path / 'ansible.cfg'
    cfg.write_text('[defaults]\nretry_files_enabled = False\nnocows = True\n')
    env = dict(os.environ, ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(clean),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='False', ANSIBLE_HOME=str(tmp_path / 'ansible_home'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    env.pop('PYTHONPATH', None)

    proc = run([tool('ansible-galaxy'), 'collection', 'install', '--offline', built_collection, '-p', clean],
               cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, 'ansible-galaxy collection install failed'
    installed = clean / 'ansible_collections' / NAMESPACE / NAME
    assert (installed / 'plugins' / 'modules' / 'model.py').is_file()
    assert (installed / 'MANIFEST.json').is_file()

    # The module Ansible resolves is the installed copy.
    proc = run([tool('ansible-doc'), '--json', '%s.%s.model' % (NAMESPACE, NAME)], cwd=tmp_path, env=env)
    assert proc.returncode == 0, 'ansible-doc cannot find the installed module'
    doc = json.loads(proc.stdout[proc.stdout.index('{'):])
    filename = Path(doc['%s.%s.model' % (NAMESPACE, NAME)]['doc']['filename']).resolve()
    assert filename == (installed / 'plugins' / 'modules' / 'model.py').resolve(), filename

    archive = small_archive(tmp_path)
    dest = tmp_path / 'pre_trained'
    playbook = tmp_path / 'use_installed.yml'
    playbook.write_text(textwrap.dedent('''\
        ---
        - name: Use labfleet.zoo from a Galaxy install
          hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Install the model
              labfleet.zoo.model:
                url: "{{ archive_url }}"
                dest: "{{ dest }}"
              register: first

            - name: Install it again
              labfleet.zoo.model:
                url: "{{ archive_url }}"
                dest: "{{ dest }}"
              register: second

            - name: The first run changed, the second did not
              ansible.builtin.assert:
                that:
                  - first is changed
                  - first.action == 'installed'
                  - first.path == dest ~ '/my_detector'
                  - second is not changed
                  - second.action == 'unchanged'
        '''))
    extra = json.dumps({'archive_url': archive.as_uri(), 'dest': str(dest),
                        'ansible_python_interpreter': sys.executable})
    proc = run([tool('ansible-playbook'), '-i', 'localhost,', playbook, '-e', extra], cwd=tmp_path, env=env,
               timeout=300)
    assert proc.returncode == 0, 'the playbook using the installed collection failed'
    assert 'ok=3' in proc.stdout and 'changed=1' in proc.stdout and 'failed=0' in proc.stdout
    assert (dest / 'my_detector' / 'saved_model' / 'saved_model.pb').is_file()
