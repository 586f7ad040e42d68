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
from ansible_collections.labfleet.zoo.plugins.module_utils._fetch import archive_url, check_url, redact, source_urls
from ansible_collections.labfleet.zoo.plugins.module_utils._options import URL_OPTIONS
from ansible_collections.labfleet.zoo.plugins.module_utils._unpack import DEFAULT_MAX_SIZE, Limits

OVERHEAD = 64 * 1000 * 1000  # tar headers and padding, gzip framing: bytes beyond max_size a stream may carry
_KEY = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]*$')
_CHECKSUM = re.compile(r'^sha256:([0-9a-fA-F]{64})$')
_SUFFIXES = ('.tar.gz', '.tgz')


class Request(object):
    """What the task asks for, already resolved."""

    def __init__(self, key, dest, sources, upstream, top_dir=None, size=None, checksum=None,
                 verify='quick', force=False, timeout=30, retries=5, url_options=None, max_size=None):
        if not _KEY.match(key) or '..' in key:
            raise ZooError("invalid model name %r: use a catalog name or an archive file name, "
                           "without '/' or '..'" % key)
        if not os.path.isabs(dest):
            raise ZooError('dest must be an absolute path (or start with ~), got %r' % dest)
        self.key, self.dest, self.sources, self.upstream = key, dest, list(sources), upstream
        self.top_dir, self.size, self.checksum = top_dir, size, checksum
        self.verify, self.force = verify, force
        self.timeout, self.retries, self.url_options = timeout, retries, url_options or {}
        if max_size is not None and max_size <= 0:
            raise ZooError('max_size must be a positive size, got %r' % max_size)
        # Zoo archives hold weights that do not compress: 4x the known archive size is a generous bound.
        self.max_size = max_size or (4 * size if size else DEFAULT_MAX_SIZE)
        self.limits = Limits(max_size=self.max_size)
        self.max_stream = self.max_size + OVERHEAD                       # decompressed tar stream
        self.max_download = self.max_stream + self.max_stream // 64      # compressed bytes from one source
        self.upstream_shown = redact(upstream)


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
    raise ZooError('%s does not name a .tar.gz archive; give a URL ending in .tar.gz or .tgz' % redact(url))


def parse_size(value):
    """'2G', '500M', '123456' (bytes) or an int -> bytes; None stays None."""
    if value is None or isinstance(value, int):
        return value
    from ansible.module_utils.common.text.formatters import human_to_bytes
    try:
        return human_to_bytes(str(value).strip())
    except ValueError as e:
        raise ZooError("max_size must be a size such as '2G', '500M' or a number of bytes, got %r (%s)" % (value, e))


def from_params(params):
    """A Request from the module's parameters (the catalog resolves ``name`` on the target).

    The archive's upstream URL is ``url``, else ``<upstream>/<name>.tar.gz`` when an ``upstream`` base replaces the
    catalog's server (``_fetch.archive_url``), else the catalog's URL; its size is the catalog's only in that case.
    """
    name, url, base = params.get('name'), params.get('url'), params.get('upstream')
    if url:
        check_url(url)
    if base and (url or not name):
        raise ZooError('upstream (a base URL serving <name>.tar.gz) needs name and replaces url: give one of them')
    if name:
        entry = _catalog.get(name)
        key, filename = entry['key'], _catalog.archive_filename(entry['key'])
        if base:
            url = archive_url(base, filename)
        upstream, top_dir = url or entry['url'], entry['top_dir']
        size = None if url else entry['archive_size']
    else:
        filename, key = _archive_name(url)
        upstream, top_dir, size = url, None, None
    return Request(
        key=key, dest=params['dest'], sources=source_urls(upstream, params.get('mirrors'), filename),
        upstream=upstream, top_dir=top_dir, size=size, checksum=parse_checksum(params.get('checksum')),
        verify=params.get('verify', 'quick'), force=params.get('force', False),
        timeout=params.get('timeout', 30), retries=params.get('retries', 5),
        url_options=dict((k, params[k]) for k in URL_OPTIONS if k in params),
        max_size=parse_size(params.get('max_size')),
    )
