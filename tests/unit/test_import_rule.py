"""The import rule of tools/README.md, checked on every Python file of the checkout (parsed, never imported):
plugins import only plugins; tools import plugins and tools, never tests; tests import plugins, tools/fixtures and
tests/support, never another test module, and edit no sys.path; unit tests start no server."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PREFIX = 'ansible_collections.labfleet.zoo.'
SKIP = ('tests/output/',)
# Imports that mean "this test starts a server" (tests/integration and the tiers above own those).
SERVERS = ('http.server', 'socketserver', PREFIX + 'tools.fixtures.zoo_server', PREFIX + 'tests.support.nginx',
           PREFIX + 'tests.support.zoo', PREFIX + 'tests.support.fleet', PREFIX + 'tests.support.mirror')


def python_files(top):
    return sorted(p for p in (ROOT / top).rglob('*.py') if not str(p.relative_to(ROOT)).startswith(SKIP))


# Bare names of the checkout's own files: importing one of them works only through a sys.path edit.
OWN_STEMS = frozenset(p.stem for top in ('tools', 'tests') for p in python_files(top)) - {'__init__', 'conftest'} \
    - frozenset(getattr(sys, 'stdlib_module_names', ()))


def imports(path):
    """The absolute module names ``path`` imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ('ansible_collections/labfleet/zoo/' + str(path.parent.relative_to(ROOT))).replace('/', '.')
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                base = '.'.join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            out.append(base)
            out.extend(base + '.' + alias.name for alias in node.names)
    return out


def bare_own(names):
    """Imports of the checkout's files by bare name (``from zoo_server import ...``) instead of ansible_collections."""
    return [n for n in names if n.split('.')[0] in OWN_STEMS and not n.startswith('ansible_collections')]


def ours(names):
    return [n[len(PREFIX):] for n in names if n.startswith(PREFIX)]


def rel(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize('path', python_files('plugins'), ids=rel)
def test_plugins_import_only_plugins(path):
    assert [n for n in ours(imports(path)) if not n.startswith('plugins')] == []


@pytest.mark.parametrize('path', python_files('tools'), ids=rel)
def test_tools_never_import_tests(path):
    assert [n for n in ours(imports(path)) if n.startswith('tests')] == []


@pytest.mark.parametrize('path', python_files('tests'), ids=rel)
def test_tests_import_plugins_fixtures_and_support_only(path):
    allowed = ('plugins', 'tools.fixtures', 'tests.support')
    names = ours(imports(path))
    assert [n for n in names if not n.startswith(allowed)] == []
    assert bare_own(imports(path)) == [], 'import it as ansible_collections.labfleet.zoo...'
    assert [n for n in imports(path) if n.split('.')[-1].startswith('test_')] == [], 'a test module is imported'


@pytest.mark.parametrize('path', python_files('tests'), ids=rel)
def test_tests_edit_no_sys_path(path):
    tree = ast.parse(path.read_text(), str(path))
    edits = [node.lineno for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr == 'path'
             and isinstance(node.value, ast.Name) and node.value.id == 'sys']
    assert edits == [], 'sys.path used at lines %s: import through ansible_collections (pytest.ini)' % edits


@pytest.mark.parametrize('path', python_files('tests/unit'), ids=rel)
def test_unit_tests_start_no_server(path):
    found = [n for n in imports(path) if n.startswith(SERVERS)]
    assert found == [], 'a unit test that needs a server belongs in tests/integration'


def test_the_rule_sees_the_files():
    """The checks above are not vacuous: they parse the modules, the tools and the tests."""
    assert len(python_files('plugins')) > 20 and len(python_files('tools')) > 5 and len(python_files('tests')) > 50
    assert PREFIX + 'plugins.module_utils._module' in imports(ROOT / 'plugins/modules/model.py')
    assert bare_own(['zoo_server', 'synthetic_zoo.build_archive', 'os.path']) == ['zoo_server', 'synthetic_zoo.build_archive']
