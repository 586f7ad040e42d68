"""The child process of the killed-run scenarios: the real Installer, run to completion or frozen at one exact point.

    python kill_child.py REPO URL DEST TRIGGER [PARAMS_JSON]

TRIGGER is ``none`` or ``EVENT|NEEDLE|N``: the process freezes itself (SIGSTOP) just *before* the N-th Python
audit event EVENT whose first argument contains NEEDLE happens (``os.rename``, ``os.mkdir``, ``os.remove``,
``open``, ``shutil.rmtree``), after printing one JSON line saying where. The parent then SIGKILLs it: the
kill is real, only its moment is chosen precisely (a breakpoint, not a change of the code under test).
The child prints ``go`` once its imports are done, and the Installer's result as JSON when it finishes.
PARAMS_JSON adds task parameters (``owner``, ``mirrors``...).
"""

from __future__ import annotations

import json
import os
import signal
import sys


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
    repo, url, dest, trigger = sys.argv[1:5]
    sys.path.insert(0, os.path.join(repo, 'collections'))
    from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
    from ansible_collections.labfleet.zoo.plugins.module_utils._spec import from_params

    from ansible_collections.labfleet.zoo.plugins.module_utils._fs import attrs_from

    params = dict(url=url, dest=dest, timeout=5, retries=2)
    params.update(json.loads(sys.argv[5]) if len(sys.argv) > 5 else {})
    attrs = attrs_from(params.pop('owner', None), params.pop('group', None), params.pop('mode', None))
    spec = from_params(params)
    if trigger != 'none':
        arm(trigger)
    os.write(1, b'go\n')
    result = Installer(spec, attrs=attrs).present()
    os.write(1, (json.dumps(result) + '\n').encode())


if __name__ == '__main__':
    main()
