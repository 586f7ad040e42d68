# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's wheelhouse for the Raspberry Pis: the ``pip download`` that fetches a Pi platform's runtime wheels from
another machine, and the static PEP 503 index that serves them (``simple/<name>/index.html`` with ``#sha256=``
links to ``wheels/<file>``), read by pip on the Pis.

Invariants: the platform comes from a name _lab.parse_wheel_platform accepted and its requirements from
_lab.PI_RUNTIME_WHEELS (one home for which wheel a userland takes); only binary wheels are fetched
(``--only-binary=:all:``: no source package is built, so nothing the index sends runs here); index pages hold
only names that are wheel file names and hex digests (escaped), relative links that stay in the wheelhouse.
"""

from __future__ import annotations

import html

from ansible_collections.labfleet.zoo.plugins.module_utils import _lab

WHEELS = 'wheels'      # the wheel files, below the wheelhouse root
SIMPLE = 'simple'      # the PEP 503 index pages


def platform_line(platform):
    """(PI_RUNTIME_WHEELS line, python, glibc) of a wheel platform name; ValueError when none fits."""
    machine, bits, python, glibc = _lab.parse_wheel_platform(platform)
    return _lab.pi_runtime_wheel(machine, bits, python, glibc), python, glibc


def download_command(python_exe, platform, dest, index_url=None, timeout=30, retries=5):
    """The argv of ``pip download`` that puts ``platform``'s runtime wheels in ``dest`` (``index_url`` None: pip's
    configured index)."""
    line, python, glibc = platform_line(platform)
    requirements, no_deps = _lab.pi_runtime_requirements(line)
    major, minor = python.split('.')
    cmd = [python_exe, '-m', 'pip', 'download', '--only-binary=:all:', '--no-input', '--disable-pip-version-check',
           '--dest', str(dest), '--python-version', python, '--implementation', 'cp',
           '--abi', 'cp%s%s' % (major, minor), '--abi', 'abi3', '--abi', 'none',
           '--timeout', str(timeout), '--retries', str(retries)]
    for tag in _lab.wheel_platforms(line['machine'], glibc):
        cmd += ['--platform', tag]
    if index_url:
        cmd += ['--index-url', index_url]
    if no_deps:
        cmd.append('--no-deps')
    return cmd + requirements


def index_pages(files):
    """{relative path: HTML text} of the PEP 503 index of ``files`` ({wheel file name: sha256 hex}): the root page
    and one page per distribution, linking to ``../../wheels/<file>#sha256=<hex>``."""
    by_name = {}
    for filename, digest in sorted(files.items()):
        name, _version = _lab.wheel_requirement(filename)
        by_name.setdefault(name, []).append((filename, digest))

    def page(title, links):
        return ('<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
                '<title>%s</title></head><body>\n%s</body></html>\n' % (html.escape(title), ''.join(
                    '<a href="%s">%s</a><br>\n' % (html.escape(href, quote=True), html.escape(text))
                    for href, text in links)))

    pages = {SIMPLE + '/index.html': page('labfleet.zoo wheelhouse', [(name + '/', name) for name in sorted(by_name)])}
    for name, entries in by_name.items():
        pages['%s/%s/index.html' % (SIMPLE, name)] = page('Links for %s' % name, [
            ('../../%s/%s#sha256=%s' % (WHEELS, filename, digest), filename) for filename, digest in entries])
    return pages
