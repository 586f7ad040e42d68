# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs the modules share, each defined once, beside the doc fragment that documents it.

Invariants:
- :func:`download_argument_spec` is what labfleet.zoo.model and labfleet.zoo.archive accept to choose and fetch an
  archive; the doc fragments ``labfleet.zoo._download`` and ``ansible.builtin.url`` document it (a unit test
  compares every module's DOCUMENTATION with its argument spec).
- :func:`url_argument_spec` equals ``ansible.module_utils.urls.url_argument_spec()`` (names, types, defaults,
  no_log; a unit test compares them), written out because importing ``ansible.module_utils.urls`` costs ~60 ms on
  every host and every no-op rerun, and is only needed when something is downloaded.
- :func:`file_attributes_argument_spec` is the owner/group/mode of every module that writes files, applied by
  ``_fs.attrs_from`` and ``_fs.fix_attrs`` only.
- Standard library only, nothing imported: the modules build their spec before anything else runs.
"""

from __future__ import annotations


def url_argument_spec():
    """The options of ``ansible.module_utils.urls.url_argument_spec()``, without importing that module."""
    return dict(
        url=dict(type='str'),
        force=dict(type='bool', default=False),
        http_agent=dict(type='str', default='ansible-httpget'),
        use_proxy=dict(type='bool', default=True),
        validate_certs=dict(type='bool', default=True),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
        force_basic_auth=dict(type='bool', default=False),
        client_cert=dict(type='path'),
        client_key=dict(type='path'),
        use_gssapi=dict(type='bool', default=False),
    )


# The options of url_argument_spec() that go to open_url (url and force are the modules' own).
URL_OPTIONS = ('http_agent', 'use_proxy', 'validate_certs', 'url_username', 'url_password', 'force_basic_auth',
               'client_cert', 'client_key', 'use_gssapi')


def download_argument_spec():
    """The options that name an archive and fetch it: the URL options, name, upstream, mirrors, checksum, timeout,
    retries and max_size (documented by the ``labfleet.zoo._download`` and ``ansible.builtin.url`` fragments)."""
    spec = url_argument_spec()
    spec.update(
        name=dict(type='str'),
        upstream=dict(type='str'),
        mirrors=dict(type='list', elements='str', default=[]),
        checksum=dict(type='str'),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=5),
        max_size=dict(type='str'),
    )
    return spec


def download_rules():
    """How the download options go together: ``AnsibleModule(argument_spec=..., **download_rules())``."""
    return dict(
        required_one_of=[['name', 'url']],
        mutually_exclusive=[['url', 'upstream']],
        required_by={'upstream': ['name']},
    )


def training_keys_argument_spec():
    """The course's training keys of a pipeline.config (documented by the ``labfleet.zoo._training_keys`` fragment),
    all optional: unset leaves the model's own value."""
    return dict(
        batch_size=dict(type='int'),
        num_steps=dict(type='int'),
        fine_tune_checkpoint_type=dict(type='str'),
        use_bfloat16=dict(type='bool'),
        max_number_of_boxes=dict(type='int'),
        max_detections_per_class=dict(type='int'),
        max_total_detections=dict(type='int'),
    )


def file_attributes_argument_spec():
    """owner, group and mode of what a module writes (each module documents what they apply to)."""
    return dict(
        owner=dict(type='str'),
        group=dict(type='str'),
        mode=dict(type='raw'),
    )
