"""What every reliability scenario shares: the Outcome it returns, the seed, the full check of an install."""

from __future__ import annotations

import os
import random
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import CHUNK as READ_BUFFER
from ansible_collections.labfleet.zoo.tests.support.lab import quick_sleep
from ansible_collections.labfleet.zoo.tests.support.trees import can_mount, free_bytes, leftovers, mounted_tmpfs

__all__ = ['MiB', 'READ_BUFFER', 'SEED_ENV', 'Outcome', 'can_mount', 'default_seed', 'free_bytes', 'leftovers',
           'mounted_tmpfs', 'quick_sleep', 'verify']

MiB = 1 << 20
SEED_ENV = 'LABFLEET_ZOO_SEED'


def default_seed():
    """The seed from $LABFLEET_ZOO_SEED, else a fresh one (always printed, so any run can be replayed)."""
    value = os.environ.get(SEED_ENV)
    return int(value) if value else random.SystemRandom().randrange(1, 10 ** 6)


class Outcome(object):
    """What one scenario measured: ``figures`` (for the table), ``failures`` (must be empty), ``details``."""

    def __init__(self, name, seed):
        self.name, self.seed = name, seed
        self.figures, self.failures, self.details = {}, [], []
        self.started = time.monotonic()
        self.elapsed = 0.0

    def check(self, ok, message):
        if not ok:
            self.failures.append(message)
        return ok

    def add(self, figure, n=1):
        self.figures[figure] = self.figures.get(figure, 0) + n

    def note(self, text):
        self.details.append(text)

    def done(self):
        self.elapsed = time.monotonic() - self.started
        return self

    def __repr__(self):
        return '<%s seed=%s figures=%s failures=%d>' % (self.name, self.seed, self.figures, len(self.failures))

    def explain(self):
        return '%s (seed %s, replay with %s=%s):\n  %s' % (self.name, self.seed, SEED_ENV, self.seed,
                                                           '\n  '.join(self.failures + ['--'] + self.details))


# ---------------------------------------------------------------- small shared pieces

def verify(folder, sha256=None):
    """Problems of the install in ``folder`` under a *full* check (marker, every file's size and sha256)."""
    record = _manifest.read(str(folder))
    if record is None:
        return ['%s: no valid marker' % folder]
    found = _manifest.problems(str(folder), record, full=True)
    if sha256 and record.get('sha256') != sha256:
        found.append('%s: installed from sha256 %s, expected %s' % (folder, record.get('sha256'), sha256))
    return found
