"""Make ``ansible_collections.labfleet.zoo``, the tools and ``support`` (tests/support) importable from a plain checkout."""

import os
import sys

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(_REPO, 'tools'), os.path.join(_REPO, 'collections'), os.path.join(_REPO, 'tests')):
    if _path not in sys.path:
        sys.path.insert(0, _path)
