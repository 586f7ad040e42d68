"""Bad parameters through the real module (``ansible -m labfleet.zoo.model``): each refused with a clear
message naming what is wrong, never a traceback, and nothing installed."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ansible_collections.labfleet.zoo.tests.support import runner
from ansible_collections.labfleet.zoo.tests.support.reliability.common import Outcome
from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL
from ansible_collections.labfleet.zoo.tools.fixtures.synthetic_zoo import build_archive
from ansible_collections.labfleet.zoo.tools.fixtures.zoo_server import ZooServer


def bad_parameter_cases(url_ok, url_missing, dest):
    """id -> (module args, regex the message must match)."""
    return {
        'unknown-model': (dict(name='ssd_mobilenet_v9_fpnlite_320x320', dest=dest),
                          r"unknown model 'ssd_mobilenet_v9_fpnlite_320x320'.*ssd_mobilenet_v2_fpnlite_320x320"),
        'malformed-checksum': (dict(url=url_ok, dest=dest, checksum='md5:1234'),
                               r"checksum must be 'sha256:' followed by 64 hex digits, got 'md5:1234'"),
        'wrong-checksum': (dict(url=url_ok, dest=dest, checksum='sha256:' + '0' * 64),
                           r'checksum mismatch for model \w+: expected sha256 0{64}, got [0-9a-f]{64}'),
        'http-404': (dict(url=url_missing, dest=dest), r'HTTP 404 .* from %s' % re.escape(url_missing)),
        'relative-dest': (dict(name=PC_MODEL, dest='tod_tf2/pre_trained'),
                          r"dest must be an absolute path.*'tod_tf2/pre_trained'"),
        'name-with-slash': (dict(name='ssd/../../etc', dest=dest), r"invalid model name 'ssd/\.\./\.\./etc'"),
        'name-with-dotdot': (dict(name='..', dest=dest), r"invalid model name '\.\.'"),
        'name-dotdot-in-word': (dict(name='model..tar', dest=dest), r"invalid model name 'model\.\.tar'"),
        'url-scheme-ftp': (dict(url='ftp://127.0.0.1/x.tar.gz', dest=dest),
                           r"unsupported URL scheme 'ftp' in ftp://127.0.0.1/x.tar.gz: use http, https or file"),
        'url-scheme-scp-mirror': (dict(name=PC_MODEL, dest=dest, mirrors=['scp://teacher/zoo']),
                                  r"unsupported URL scheme 'scp'"),
        'url-without-archive-name': (dict(url='http://127.0.0.1:9/models/', dest=dest),
                                     r'does not name a \.tar\.gz archive'),
    }


QUICK_BAD_PARAMETERS = ('unknown-model', 'malformed-checksum', 'wrong-checksum', 'http-404', 'relative-dest',
                        'name-with-slash', 'name-with-dotdot', 'url-scheme-ftp')


def bad_parameters(work, seed, quick=False):
    out = Outcome('bad parameters', seed)
    work = Path(work)
    root = work / 'zoo'
    path = build_archive(root, 'good_model', size=256 * 1024, seed=5)
    with ZooServer(str(root)) as server:
        dest = str(work / 'pre_trained')
        cases = bad_parameter_cases(server.url_for(path.name), server.url_for('missing_model.tar.gz'), dest)
        if quick:  # one of each kind the issue lists
            cases = dict((k, v) for k, v in cases.items() if k in QUICK_BAD_PARAMETERS)

        def one(item):
            case, (args, pattern) = item
            run = runner.adhoc(args)
            return case, args, pattern, (run.rc, run.result, run.text)

        with ThreadPoolExecutor(4) as pool:
            for case, args, pattern, (rc, result, text) in pool.map(one, sorted(cases.items())):
                msg = result.get('msg', '')
                good = out.check(rc != 0 and bool(result.get('failed')),
                                 '%s: the task did not fail (rc %d)' % (case, rc))
                good &= out.check(re.search(pattern, msg or '', re.S) is not None,
                                  '%s: message %r does not match %r' % (case, msg, pattern))
                # ansible-core 2.19 adds exception='(traceback unavailable)' to every failed result: not a traceback.
                traced = ('Traceback (most recent call last)' in text or 'module_stderr' in result
                          or 'Traceback' in str(result.get('exception', '')))
                good &= out.check(not traced, '%s: a traceback was printed: %s' % (case, text[-800:]))
                if good:
                    out.add('bad parameters rejected cleanly')
                out.add('bad parameter cases')
                out.note('%s: %s' % (case, msg.replace('\n', ' | ')[:240]))
        out.check(not os.path.exists(os.path.join(dest, 'good_model')), 'a bad-parameter run installed something')
    return out.done()
