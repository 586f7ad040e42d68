# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words labfleet.zoo uses for what it found and what it did, defined once.

The module_utils return these words, the recap callback counts them, the workstation role's record and the lab
report show them; each of those imports (or is handed) this file's tuples rather than spelling the words again.
"""

from __future__ import annotations

# What labfleet.zoo.model did to one model (its RV action).
INSTALLED = 'installed'      # nothing of ours was there (or another archive was): installed from an archive
REPAIRED = 'repaired'        # a damaged install of the same archive was installed again
ATTRIBUTES = 'attributes'    # the files were intact; only their owner, group or mode were restored
UNCHANGED = 'unchanged'      # nothing to do
REMOVED = 'removed'          # state=absent removed an install
ABSENT = 'absent'            # state=absent and nothing of ours was there
MODEL_ACTIONS = (INSTALLED, REPAIRED, ATTRIBUTES, UNCHANGED, REMOVED, ABSENT)

# What labfleet.zoo.archive did to one archive file.
DOWNLOADED = 'downloaded'    # the file was not there: downloaded
ARCHIVE_ACTIONS = (DOWNLOADED, REPAIRED, ATTRIBUTES, UNCHANGED)

# What labfleet.zoo.model_info found for one model (DAMAGED is also a model folder's state in a diff).
INTACT = 'intact'
DAMAGED = 'damaged'
MISSING = 'missing'
MODEL_STATES = (INTACT, DAMAGED, MISSING)

# What labfleet.zoo.pipeline_config did to one training pipeline.config (ATTRIBUTES and UNCHANGED as above).
CREATED = 'created'          # there was none: made from the pre-trained model's
UPDATED = 'updated'          # the file this module wrote last, nobody edited since: made again from src
ENFORCED = 'enforced'        # edited by someone else: only the managed keys were set (enforce=true)
KEPT = 'kept'                # edited by someone else: left as it is
CONFIG_ACTIONS = (CREATED, UPDATED, ENFORCED, ATTRIBUTES, UNCHANGED, KEPT)

# The state of a model folder or archive file in a module's diff (before/after), with ABSENT and DAMAGED.
PRESENT = 'present'
MISMATCH = 'mismatch'        # an archive file whose sha256 is not the pinned one

# A model whose task failed, as the record and the recap count it.
FAILED = 'failed'

# Actions that changed something on the host.
CHANGING = frozenset((INSTALLED, REPAIRED, ATTRIBUTES, REMOVED, DOWNLOADED, CREATED, UPDATED, ENFORCED))
