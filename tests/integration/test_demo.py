"""``make demo`` (tools/teacher/provision.py --demo): offline, it installs the workstation role's default models.

The demo serves synthetic archives of roles/workstation/defaults/main.yml's models (both profiles) as the mirror.
Here the internet is cut (every proxy variable points at a closed port, 127.0.0.1 excepted): a default the demo did
not build makes the mirror answer 404, upstream fails, and so does this test.
"""

from __future__ import annotations

import platform
import sys

import pytest

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.repo import REPO
from ansible_collections.labfleet.zoo.tools.fixtures.checkout import default_models

pytestmark = pytest.mark.slow

PROVISION = REPO / 'tools' / 'teacher' / 'provision.py'
NO_INTERNET = dict((name, 'http://127.0.0.1:9') for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY'))
NO_INTERNET.update(no_proxy='127.0.0.1,localhost', NO_PROXY='127.0.0.1,localhost')


def demo(cache):
    cmd = [sys.executable, PROVISION, '--demo', '--demo-cache', cache, '--demo-size', str(64 * 1024)]
    return runner.run(cmd, runner.env('default', **NO_INTERNET), json_output=False)


def test_demo_installs_the_role_defaults_offline_and_reruns_unchanged(tmp_path):
    first = demo(tmp_path)
    assert first.rc == 0 and first.stats['localhost']['changed'] > 0, first.describe()
    assert sorted(p.name[:-len('.tar.gz')] for p in (tmp_path / 'zoo').glob('*.tar.gz')) == sorted(default_models())
    profile = 'pi' if platform.machine() in ('armv6l', 'armv7l', 'aarch64', 'arm64') else 'pc'
    models = tmp_path / 'demo' / 'tod_tf2' / 'pre_trained'
    assert sorted(p.name for p in models.iterdir() if not p.name.startswith('.')) == sorted(default_models(profile))
    for key in default_models(profile):
        assert (models / key / 'pipeline.config').is_file(), key
    assert 'the workspace is in %s' % (tmp_path / 'demo' / 'tod_tf2') in first.stdout
    assert 'mirror 127.0.0.1:' in first.stdout    # the models recap: every byte from the demo's mirror
    again = demo(tmp_path)
    assert again.rc == 0 and again.changed() == {'localhost': 0}, again.describe()
