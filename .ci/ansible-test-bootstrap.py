# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let ansible-test bootstrap pip on a machine that reaches the package registry but not ansible-test's own host.

ansible-test builds a virtual environment per sanity test (and one for ``ansible-test units --venv``) and bootstraps
pip in each with a get-pip script that it downloads once to ``~/.ansible/test/cache/get_pip_<pip version>.py``. On
these machines (CI and developers) that download fails ("Download failed ... get-pip-24.2.py"). This writes a
stand-in at that path, for each pip version ansible-test pins: it bootstraps pip with ``ensurepip``, then
``pip install``s the packages ansible-test asks for from the package registry, with the system CA bundle when there
is one (ansible-test strips pip's own settings from the environment).

It changes nothing in the collection and nothing in ansible-test: ``ansible-test sanity`` and ``ansible-test units``
are then run exactly as Ansible's documentation says. A cached script that is not a stand-in of ours (a real
get-pip.py) is left alone. Run it with the Python that has ansible-test::

    .venv/bin/python .ci/ansible-test-bootstrap.py
"""

from __future__ import annotations

import os
import sys
import types

MARKER = 'Stand-in for get-pip.py, written by labfleet.zoo'
CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

STAND_IN = '''\
"""%(marker)s .ci/ansible-test-bootstrap.py (ansible-test cannot download the real one here).

ansible-test runs it inside a fresh virtual environment as: get_pip.py [pip options] pip==X.Y [--no-setuptools]
[--no-wheel]. It bootstraps pip with ensurepip, then installs the requested packages from the package registry.
"""

import ensurepip
import os
import subprocess
import sys

CA_BUNDLE = %(ca_bundle)r
DROPPED = ('--no-setuptools', '--no-wheel')


def main():
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    command = [sys.executable, '-m', 'pip', 'install']
    if os.path.exists(CA_BUNDLE):
        command += ['--cert', CA_BUNDLE]
    command += args
    sys.stderr.write('get-pip stand-in: %%s\\n' %% ' '.join(command))
    sys.exit(subprocess.call(command))


if __name__ == '__main__':
    main()
'''


def pip_versions():
    """The pip versions ansible-test bootstraps, over every Python version it supports."""
    try:
        from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
        from ansible_test._internal.python_requirements import get_venv_packages
    except ImportError as e:
        raise SystemExit('%s: ansible-test is not importable from %s (%s): run me with the project venv\'s Python'
                         % (os.path.basename(__file__), sys.executable, e))
    return sorted(set(get_venv_packages(types.SimpleNamespace(version=version))['pip']
                      for version in SUPPORTED_PYTHON_VERSIONS))


def write_stand_in(pip_version):
    """Write (or refresh) our stand-in where ansible-test looks for its cached get-pip script; return a message."""
    path = os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_'))
    content = STAND_IN % {'marker': MARKER, 'ca_bundle': CA_BUNDLE}
    if os.path.exists(path):
        with open(path) as f:
            current = f.read()
        if MARKER not in current:
            return 'kept %s (not a stand-in of ours: a real get-pip script?)' % path
        if current == content:
            return 'up to date: %s' % path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(content)
    os.replace(tmp, path)
    return 'wrote the pip %s bootstrap stand-in %s' % (pip_version, path)


def main():
    for pip_version in pip_versions():
        print('ansible-test-bootstrap: %s' % write_stand_in(pip_version))


if __name__ == '__main__':
    main()
