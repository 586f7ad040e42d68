# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project's pytest markers for the unit tests under ``ansible-test units`` too.

``ansible-test units`` runs pytest with its own configuration file (``-c .../default.ini --strict-markers``), so
``pytest.ini`` is not read there and a marker such as ``slow`` would be an error. The markers are registered from
``pytest.ini`` itself, which stays the one place that defines them; under plain pytest they are simply known twice.
"""

from __future__ import annotations

import configparser
import os

PYTEST_INI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'pytest.ini')


def pytest_configure(config):
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(PYTEST_INI)
    for line in ini.get('pytest', 'markers', fallback='').splitlines():
        if line.strip():
            config.addinivalue_line('markers', line.strip())
