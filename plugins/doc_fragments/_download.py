# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The download options of labfleet.zoo.model and labfleet.zoo.archive (argument spec: _options.download_argument_spec).

Private to this collection: it may change at any time. Use it together with ansible.builtin.url (the URL options).
"""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  upstream:
    description:
      - A base URL serving the zoo's archives as V(<name>.tar.gz) that replaces the catalog's server
        (C(https://download.tensorflow.org/...)), for example a school proxy; the archive's upstream URL is then
        V(<upstream>/<name>.tar.gz).
      - Needs O(name); give O(url) instead to name one archive by its full URL.
    type: str
  mirrors:
    description:
      - Base URLs tried in order before the upstream URL; the archive file name (V(<name>.tar.gz)) is appended.
      - A mirror that is down, answers an error or serves bytes that fail O(checksum) costs only time;
        RV(source) tells which URL served the bytes and RV(failed_sources) why the others did not.
    type: list
    elements: str
    default: []
  checksum:
    description:
      - The archive's expected digest, V(sha256:<64 hex digits>). The zoo publishes none, so pin your own (for
        example from the lab's lock file).
      - A source serving other bytes is skipped; when no source serves them the task fails naming the model, both
        digests and each source. Nothing is kept from unverified bytes, and what was there before stays as it was.
    type: str
  timeout:
    description:
      - Seconds to wait for a connection and its answer's headers, or for the next bytes of a download, before
        retrying (a deadline on the whole step, not only on each read).
    type: int
    default: 30
  retries:
    description:
      - How many times in a row one source is retried after a connection error, timeout or 5xx answer before moving on
        to the next source; a retry that brings at least 64 KiB of new bytes starts the count again. Waits grow from
        0.5 to 8 seconds.
      - A window of O(timeout) seconds that brings less than 64 KiB counts as a failure too, so a source that
        trickles bytes is given up after about O(timeout) x (O(retries) + 1) seconds.
      - A 4xx answer, a refused connection, an unknown host or a TLS failure moves on to the next source at once.
    type: int
    default: 5
  max_size:
    description:
      - The most the archive may expand to, as bytes or with a unit (V(2G), V(500M)); an archive over it is
        refused before it fills the disk, and the next source is tried.
      - A source that announces or sends more compressed bytes than that (plus the tar and gzip overhead) is given
        up too.
      - Default 4 times the archive size when the catalog knows it, else V(4G).
    type: str
notes:
  - Credentials written in a URL (C(https://user:password@host/...)) of O(url), O(upstream) or O(mirrors) are
    redacted in every result, message and install marker.
"""
