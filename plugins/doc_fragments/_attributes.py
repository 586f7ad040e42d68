# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every labfleet.zoo module shares (with ansible.builtin.action_common_attributes).

Private to this collection: it may change at any time. DOCUMENTATION is for every module; add the variant that
tells the truth about the module's idempotence (IDEMPOTENT_FORCE, IDEMPOTENT, or INFO_MODULE for read-only ones).
"""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second run gives C(changed=false).
      - This assumes that nothing else changed the files the module manages in between.
  platform:
    platforms: posix
"""

    # A module whose force option redoes its work on every run.
    IDEMPOTENT_FORCE = r"""
options: {}
attributes:
  idempotent:
    support: partial
    details:
      - With O(force=true) every run downloads the archive again (and installs it again) and reports
        C(changed=true); without it a second run gives C(changed=false).
"""

    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    support: full
"""

    # A module that never changes anything.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - The module never changes anything; it runs the same in check mode.
  diff_mode:
    support: none
    details:
      - The module never changes anything.
  idempotent:
    support: full
    details:
      - The module never changes anything.
"""
