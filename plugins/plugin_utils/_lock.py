# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's lock file (controller side): the sha256 and size of every zoo archive the lab uses.

A YAML document kept with the inventory (``inventory/<lab>/.zoo.lock.yml``), written by the role labfleet.zoo.mirror
when it first downloads an archive, read by the labfleet.zoo.lock lookup and by ``tools/teacher/zoo_lock.py``; ``changes``
compares an entry with what upstream answers now (playbooks/lock_check.yml through the lock_changes filter)::

    models:
      <catalog name>:
        sha256: <64 hex digits>      # of the .tar.gz as first downloaded
        size: <bytes>
        url: <the upstream URL it came from>
        recorded: <UTC time of the first download>
        etag: <the ETag upstream answered with, or null>
        last_modified: <the Last-Modified upstream answered with, or null>
    wheels:                          # the Raspberry Pis' runtime wheels (labfleet.zoo.wheelhouse), when the lab has Pis
      <platform, e.g. aarch64-py3.11-glibc2.36>:
        <wheel file name>:
          sha256: <64 hex digits>
          size: <bytes>
"""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError

_SHA256 = re.compile(r'^[0-9a-f]{64}$')


def _document(path):
    """The lock file's mapping; {} when there is no such file. Unreadable files raise ZooError."""
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as handle:
            document = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as e:
        raise ZooError('cannot read the lock file %s: %s' % (path, e))
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ZooError('the lock file %s must be a mapping with a "models" mapping (model: {sha256, size, url, '
                       'recorded}); fix or delete it' % path)
    return document


def _pinned(entry):
    return isinstance(entry, dict) and bool(_SHA256.match(str(entry.get('sha256', '')))) \
        and isinstance(entry.get('size'), int)


def read(path):
    """{model: entry} of the lock file at ``path``; {} when there is no such file. Malformed files raise ZooError."""
    document = _document(path)
    if not document:
        return {}
    models = document.get('models')
    if not isinstance(models, dict):
        raise ZooError('the lock file %s must be a mapping with a "models" mapping (model: {sha256, size, url, '
                       'recorded}); fix or delete it' % path)
    for model, entry in models.items():
        if not _pinned(entry):
            raise ZooError('the lock file %s: the entry of %s needs sha256 (64 lower-case hex digits) and size '
                           '(bytes); fix it, or delete the entry to record the archive again' % (path, model))
    return models


def wheels(path):
    """{platform: {wheel file: {sha256, size}}} of the lock file's ``wheels`` section; {} when there is none."""
    section = _document(path).get('wheels')
    if section is None:
        return {}
    if not isinstance(section, dict) or not all(isinstance(files, dict) for files in section.values()):
        raise ZooError('the lock file %s: "wheels" must map each platform to {wheel file: {sha256, size}}; fix it, '
                       'or delete the section to record the wheels again' % path)
    for platform, files in section.items():
        for name, entry in files.items():
            if not _pinned(entry):
                raise ZooError('the lock file %s: the wheel %s of %s needs sha256 (64 lower-case hex digits) and '
                               'size (bytes); fix it, or delete the platform to record its wheels again'
                               % (path, name, platform))
    return section


def checksums(models):
    """{model: 'sha256:<hex>'}: the form labfleet.zoo.model's checksum option (and workstation_checksums) takes."""
    return dict((model, 'sha256:' + entry['sha256']) for model, entry in models.items())


def changes(entry, size=None, etag=None, last_modified=None):
    """What differs between a lock entry and upstream's answer to a HEAD request ([] = nothing seen to change).

    ``size`` is the Content-Length (an int or a string of digits; None when upstream gave none). ETag and
    Last-Modified are compared only when both the entry and upstream have one.
    """
    changed = []
    if isinstance(size, str):
        size = int(size) if size.strip().isdigit() else None
    if size is not None and size != entry['size']:
        changed.append('size %d -> %d' % (entry['size'], size))
    if entry.get('etag') and etag and etag != entry['etag']:
        changed.append('ETag %s -> %s' % (entry['etag'], etag))
    if entry.get('last_modified') and last_modified and last_modified != entry['last_modified']:
        changed.append('Last-Modified %s -> %s' % (entry['last_modified'], last_modified))
    return changed
