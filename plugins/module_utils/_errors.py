# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception class of labfleet.zoo: its message is what the user sees."""

from __future__ import annotations


class ZooError(Exception):
    """A failure the user can act on; str(e) says what failed, where, and what to do."""
