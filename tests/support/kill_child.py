"""The child process of the killed-run scenarios: the real Installer, run to completion or frozen at one exact point.

    python -m ansible_collections.labfleet.zoo.tests.support.kill_child URL DEST TRIGGER [PARAMS_JSON]

(started by ``kills.spawn``, with the environment of ``repo.python_env()``). TRIGGER is ``none`` or
``EVENT|NEEDLE|N``: the process freezes itself (SIGSTOP) just *before* the N-th Python audit event EVENT whose
first argument contains NEEDLE happens (``os.rename``, ``os.mkdir``, ``os.remove``, ``open``, ``shutil.rmtree``),
after printing one JSON line saying where. The parent then SIGKILLs it: the kill is real, only its moment is chosen
precisely (a breakpoint, not a change of the code under test). The child prints ``go`` once its imports are done,
and the Installer's result as JSON when it finishes. PARAMS_JSON adds task parameters (``owner``, ``mirrors``...).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from ansible_collections.labfleet.zoo.tests.support.lab import installer


def arm(trigger):
    event, needle, nth = trigger.split('|')
    nth = int(nth)
    seen = [0]

    def hook(name, args):
        if name != event:
            return
        first = args[0] if args else ''
        if isinstance(first, bytes):
            first = first.decode('utf-8', 'replace')
        if needle not in str(first):
            return
        seen[0] += 1
        if seen[0] == nth:
            line = json.dumps({'paused': name, 'nth': nth, 'args': [str(a) for a in args]}) + '\n'
            os.write(1, line.encode())
            os.kill(os.getpid(), signal.SIGSTOP)

    sys.addaudithook(hook)


def main():
    url, dest, trigger = sys.argv[1:4]
    params = dict(url=url, dest=dest, timeout=5, retries=2)
    params.update(json.loads(sys.argv[4]) if len(sys.argv) > 4 else {})
    one = installer(params, sleep=time.sleep)  # the real back-off: a kill may land in it
    if trigger != 'none':
        arm(trigger)
    os.write(1, b'go\n')
    result = one.present()
    os.write(1, (json.dumps(result) + '\n').encode())


if __name__ == '__main__':
    main()
