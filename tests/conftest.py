"""Shared test code is tests/support, imported as ``ansible_collections.labfleet.zoo.tests.support`` (pytest.ini
puts collections/ on sys.path; ansible-test puts the collection's parent there).

Transitional (issue 11): tests/unit/plugins/module_utils still import ``synthetic_zoo`` and ``zoo_server`` by their
bare names; this keeps tools/fixtures importable that way until they use
``ansible_collections.labfleet.zoo.tools.fixtures`` like every other test. Nothing else may rely on it.
"""

import os
import sys

_FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools', 'fixtures')
if _FIXTURES not in sys.path:
    sys.path.append(_FIXTURES)
