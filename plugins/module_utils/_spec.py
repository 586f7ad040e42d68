# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From task parameters to a checked install request (catalog lookup, sources, checksum)."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import check_url, source_urls

URL_OPTIONS = ('http_agent', 'use_proxy', 'validate_certs', 'url_username', 'url_password',
               'force_basic_auth', 'client_cert', 'client_key', 'use_gssapi')
_KEY = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]*$')
_CHECKSUM = re.compile(r'^sha256:([0-9a-fA-F]{64})$')
_SUFFIXES = ('.tar.gz', '.tgz')


class Spec(object):
    """What the task asks for, already resolved."""

    def __init__(self, key, dest, sources, upstream, top_dir=None, size=None, checksum=None,
                 verify='quick', force=False, timeout=30, retries=5, url_options=None):
        if not _KEY.match(key) or '..' in key:
            raise ZooError("invalid model name %r: use a catalog name or an archive file name, "
                           "without '/' or '..'" % key)
        if not os.path.isabs(dest):
            raise ZooError('dest must be an absolute path (or start with ~), got %r' % dest)
        self.key, self.dest, self.sources, self.upstream = key, dest, list(sources), upstream
        self.top_dir, self.size, self.checksum = top_dir, size, checksum
        self.verify, self.force = verify, force
        self.timeout, self.retries, self.url_options = timeout, retries, url_options or {}


def parse_checksum(value):
    """'sha256:<64 hex>' -> lower-case hex; None stays None."""
    if value is None:
        return None
    match = _CHECKSUM.match(value.strip())
    if not match:
        raise ZooError("checksum must be 'sha256:' followed by 64 hex digits, got %r" % value)
    return match.group(1).lower()


def _archive_name(url):
    """The archive file name of a URL and the model key it implies (the name less .tar.gz)."""
    filename = unquote(urlsplit(url).path.rsplit('/', 1)[-1])
    for suffix in _SUFFIXES:
        if filename.endswith(suffix) and len(filename) > len(suffix):
            return filename, filename[:-len(suffix)]
    raise ZooError('%s does not name a .tar.gz archive; give a URL ending in .tar.gz or .tgz' % url)


def from_params(params):
    """A Spec from the module's parameters (the catalog resolves ``name`` on the target)."""
    name, url = params.get('name'), params.get('url')
    if url:
        check_url(url)
    if name:
        entry = _catalog.get(name)
        key, filename = entry['key'], _catalog.archive_filename(entry['key'])
        upstream, top_dir = url or entry['url'], entry['top_dir']
        size = None if url else entry['archive_size']
    else:
        filename, key = _archive_name(url)
        upstream, top_dir, size = url, None, None
    return Spec(
        key=key, dest=params['dest'], sources=source_urls(upstream, params.get('mirrors'), filename),
        upstream=upstream, top_dir=top_dir, size=size, checksum=parse_checksum(params.get('checksum')),
        verify=params.get('verify', 'quick'), force=params.get('force', False),
        timeout=params.get('timeout', 30), retries=params.get('retries', 5),
        url_options=dict((k, params[k]) for k in URL_OPTIONS if k in params),
    )
