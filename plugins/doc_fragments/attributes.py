# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every labfleet.zoo module shares (with ansible.builtin.action_common_attributes)."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
attributes:
  idempotent:
    description: Running the task twice in a row gives C(changed=false) the second time.
    support: full
  platform:
    platforms: posix
"""
