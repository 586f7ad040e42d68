# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A student's whole tod_tf2 workspace brought to the wanted state in one call (module labfleet.zoo.workspace):
the profile from the host itself, the folders of the layout, the models (the install state machine of _install),
the label maps, the training folders and their pipeline.config (_pipeline_config), the models no longer wanted,
and the record of the run. One module execution per host, so that a rerun with nothing to do costs one round trip.

Invariants:
- Nothing here follows a link a student could have made: the workspace root is opened with ``_fs.open_dest`` (links
  of root or of this user only, as every module does), and every folder below it one component at a time by
  descriptor (``O_NOFOLLOW``): a link, a file or a device where a folder belongs fails that part with a message,
  is never followed, replaced or deleted.
- Folders made here belong to the student (owner, group, 0755 set through their descriptors); the other parts pass
  the student's owner and group to the module_utils that write them.
- Check mode writes nothing, takes no lock, downloads nothing; every part reports what a real run would do.
- A part that fails (one model, one pipeline.config) does not stop the parts that do not need it; the run fails at
  the end with every message, after the record says so.
"""

from __future__ import annotations

import json
import os
import platform
import pwd
import re
import stat
import struct
import sys
import time

from ansible_collections.labfleet.zoo.plugins.module_utils import _catalog, _fs, _lab, _pipeline_config
from ansible_collections.labfleet.zoo.plugins.module_utils import _vocabulary as words
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._install import Installer
from ansible_collections.labfleet.zoo.plugins.module_utils._request import from_params

LABEL_MAP_LIMIT = 1 << 20     # bytes: a bigger label_map.pbtxt is not one this role wrote
RECORD_MODE = 0o644
PART_NAMES = {                # the part that failed, in the run record and the failure message
    'folders': 'Create the workspace tree',
    'models': 'Install the pre-trained models',
    'label_maps': 'Write the label map of each project',
    'training': 'Create the training folder of each project and model',
    'pipeline_configs': 'Write the pipeline.config of each project and model',
    'cleanup': 'Remove the models no longer wanted',
    'runtime': 'Install the TFLite runtime of the Raspberry Pi',
}


def host_facts():
    """What the profile and the Pi runtime need, from the target itself: (uname -m, bits of this userland's
    pointers, this Python's version, the C library's version: '' when it is not glibc)."""
    try:
        libc = os.confstr('CS_GNU_LIBC_VERSION') or ''
    except (ValueError, OSError):
        libc = ''
    return (platform.machine(), struct.calcsize('P') * 8, '%d.%d.%d' % sys.version_info[:3],
            libc.split()[-1] if libc.startswith('glibc ') else '')


def student(user):
    """The pwd entry of the workspace's owner; ``''`` is the account that logged in (``SUDO_USER`` under become)."""
    name = user or (os.environ.get('SUDO_USER') if os.geteuid() == 0 else '') or pwd.getpwuid(os.geteuid()).pw_name
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise ZooError('there is no account %r on this host to own the workspace: set workstation_user' % name)


class Folders(object):
    """The workspace's folders, opened below the root one component at a time, never through a link; made for the
    student where missing (in check mode only noted: what is missing has no descriptor)."""

    def __init__(self, root, root_fd, attrs, check_mode):
        self.root, self.attrs, self.check_mode = root, attrs, check_mode
        self.fds = {'': root_fd}
        self.changes = []          # [(rel, what)] in order

    def ensure(self, rel, listed=True):
        """The descriptor of folder ``rel`` (None in check mode when it is missing); ``listed`` folders get the
        student's owner, group and mode even when they exist (the layout's own folders)."""
        if rel in self.fds:
            return self.fds[rel]
        parent_rel, _sep, name = rel.rpartition('/')
        parent = self.ensure(parent_rel, listed=False)
        path = os.path.join(self.root, rel)
        if parent is None:  # check mode, below a folder that a real run would make
            self.changes.append((rel, 'created'))
            self.fds[rel] = None
            return None
        st = _fs.lstat(parent, name)
        if st is None:
            self.changes.append((rel, 'created'))
            if self.check_mode:
                self.fds[rel] = None
                return None
            try:
                os.mkdir(name, 0o755, dir_fd=parent)
            except FileExistsError:
                pass
            fd = self._open(parent, name, path)
            _fs.fix_attrs(fd, self.attrs, is_dir=True)
        else:
            if not stat.S_ISDIR(st.st_mode):
                raise ZooError('%s is %s, not a folder: it is neither followed nor replaced as root; move it away '
                               'and run again' % (path, _fs.kind(st)))
            fd = self._open(parent, name, path)
            if listed and _fs.fix_attrs(fd, self.attrs, self.check_mode, is_dir=True):
                self.changes.append((rel, words.ATTRIBUTES))
        self.fds[rel] = fd
        return fd

    @staticmethod
    def _open(parent, name, path):
        try:
            return _fs.open_dir(parent, name)
        except OSError as e:
            raise ZooError('cannot open the folder %s: %s (a link there is not followed as root)'
                           % (path, _fs.os_error(e)))

    def close(self):
        for rel, fd in self.fds.items():
            if rel and fd is not None:
                os.close(fd)
        self.fds = {}


def open_root(root, attrs, check_mode):
    """(descriptor or None, created): the workspace root, made for the student when missing."""
    try:
        return _fs.open_dest(root), False
    except FileNotFoundError:
        pass
    except OSError as e:
        raise ZooError('cannot open the workspace %s: %s' % (root, _fs.os_error(e)))
    try:
        # Missing folders above the root are made as an admin's mkdir -p would (root's, 0755); none in check mode.
        parent, name = _fs.open_parent(root, create=not check_mode)
    except FileNotFoundError:
        if check_mode:
            return None, True
        raise
    except OSError as e:
        raise ZooError('cannot open the folder that holds the workspace %s: %s' % (root, _fs.os_error(e)))
    try:
        if check_mode:
            return None, True
        try:
            os.mkdir(name, 0o755, dir_fd=parent)
        except FileExistsError:
            pass
        fd = Folders._open(parent, name, root)
        _fs.fix_attrs(fd, attrs, is_dir=True)
        return fd, True
    finally:
        os.close(parent)


def write_small_file(dir_fd, name, path, text, attrs, check_mode):
    """(action, before) for a small text file that must hold ``text``: created, updated, attributes or unchanged.
    Anything there that is not a regular file is neither read nor replaced."""
    data = text.encode('utf-8')
    st = _fs.lstat(dir_fd, name) if dir_fd is not None else None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ZooError('%s is %s, not a regular file: it is neither read nor replaced' % (path, _fs.kind(st)))
    before = None if st is None else _fs.read_file(dir_fd, name, LABEL_MAP_LIMIT)
    if st is not None and before is None:
        raise ZooError('%s cannot be read (larger than %d kB, or replaced while it was read)'
                       % (path, LABEL_MAP_LIMIT >> 10))
    if before == data:
        return (words.ATTRIBUTES if _fs.fix_attrs_at(dir_fd, name, attrs, check_mode) else words.UNCHANGED), before
    if not check_mode:
        _fs.write_atomic(dir_fd, name, data, RECORD_MODE, attrs)
    return (words.CREATED if st is None else words.UPDATED), before


class Run(object):
    """One workspace run: ``converge()`` -> (result, warnings)."""

    def __init__(self, params, check_mode=False):
        self.p, self.check_mode = params, check_mode
        self.warnings, self.errors, self.diff = [], [], []
        self.result = {}
        self.failed_part = ''
        self.wheel, self.no_wheel = None, ''    # a Pi's PI_RUNTIME_WHEELS line, or why it has none

    # ------------------------------------------------------------------ the parts

    def profile(self):
        p = self.p
        architecture, bits, python, glibc = host_facts()
        profile = _lab.workstation_profile(architecture, p['profile'])
        if profile not in _lab.PROFILES:
            raise ZooError('this host is %s, which has no profile; set workstation_profile to pc or pi for it '
                           '(host_vars)' % architecture)
        keys = _lab.workstation_models(profile, pc=p['models_pc'], pi=p['models_pi'], models=p['models'],
                                       extra=p['models_extra'])
        entries = [_catalog.get(key) for key in keys]
        not_tflite = [e['key'] for e in entries if e['tflite'] != 'yes'] if profile == 'pi' else []
        if not_tflite and p['pi_non_tflite'] == 'fail':
            raise ZooError('this host is a Raspberry Pi but %s cannot be converted to .tflite (only SSD models can). '
                           'Choose an SSD model such as ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8, or set '
                           'workstation_pi_non_tflite to warn.' % ', '.join(not_tflite))
        runtime, version = '', ''
        if profile == 'pi':
            try:
                self.wheel = _lab.pi_runtime_wheel(architecture, bits, python, glibc)
                runtime, version = self.wheel['package'], self.wheel['version']
            except ValueError as e:
                runtime, self.no_wheel = _lab.UNKNOWN, str(e)
        self.result.update(architecture=architecture, userspace_bits=bits, python=python, glibc=glibc,
                           profile=profile, pi_runtime=runtime, pi_runtime_version=version, not_tflite=not_tflite)
        return entries

    def models(self, entries, models_dir, attrs):
        p, out = self.p, []
        for entry in entries:
            key = entry['key']
            params = dict(name=key, dest=models_dir, mirrors=p['mirrors'], upstream=p['upstream'] or None,
                          checksum=(p['checksums'] or {}).get(key), verify=p['verify'], force=p['force'],
                          timeout=p['timeout'], retries=p['retries'])
            installer = None
            try:
                installer = Installer(from_params(params), check_mode=self.check_mode, attrs=attrs)
                res = installer.present()
            except (ZooError, OSError) as e:
                msg = str(e) if isinstance(e, ZooError) else 'cannot install %s in %s: %s' % (
                    key, models_dir, _fs.os_error(e))
                res = dict(changed=False, failed=True, action=words.FAILED, msg=msg,
                           bytes_downloaded=installer.bytes_downloaded if installer else 0)
                self.fail('models', msg)
            else:
                self.warnings.extend(installer.messages())
            res.update(key=key, checksum=params['checksum'])
            if 'diff' in res:
                self.diff.append(dict(res.pop('diff'), before_header=key, after_header=key))
            out.append(res)
        return out

    def label_maps(self, paths, folders, attrs):
        out = []
        for project in paths['projects']:
            path = os.path.join(folders.root, project['label_map'])
            try:
                dir_fd = folders.ensure(project['training'])
                text = _lab.label_map(project['name'], project['classes'])
                action, before = write_small_file(dir_fd, 'label_map.pbtxt', path, text, attrs, self.check_mode)
            except (ZooError, OSError) as e:
                action = words.FAILED
                self.fail('label_maps', self.message(e, 'write %s' % path))
            else:
                if action in (words.CREATED, words.UPDATED):
                    self.diff.append(dict(before=(before or b'').decode('utf-8', 'replace'), after=text,
                                          before_header=path, after_header=path))
            out.append(dict(project=project['name'], path=path, action=action,
                            changed=action in words.CHANGING))
        return out

    def pipeline_configs(self, paths, folders, failed_models, attrs):
        p, out = self.p, []
        prefix = folders.root + '/' if p['config_paths'] == 'absolute' else ''
        for item in paths['training']:
            dest = os.path.join(folders.root, item['path'], 'pipeline.config')
            entry = dict(project=item['project'], model=item['model'], path=dest)
            try:
                folders.ensure(item['path'])
            except (ZooError, OSError) as e:
                self.fail('training', self.message(e, 'make %s' % os.path.dirname(dest)))
                out.append(dict(entry, action=words.FAILED, changed=False))
                continue
            if item['model'] in failed_models:
                out.append(dict(entry, action=words.FAILED, changed=False,
                                msg='not written: the model %s was not installed' % item['model']))
                continue
            settings = _pipeline_config.settings_from(dict(
                num_classes=len(item['classes']), batch_size=p['batch_size'], num_steps=p['num_steps'],
                fine_tune_checkpoint=prefix + item['checkpoint'],
                fine_tune_checkpoint_type=p['fine_tune_checkpoint_type'], use_bfloat16=p['use_bfloat16'],
                label_map_path=prefix + item['label_map'], train_input_path=prefix + item['train_record'],
                eval_input_path=prefix + item['test_record'], max_number_of_boxes=p['max_number_of_boxes'],
                max_detections_per_class=p['max_detections_per_class'],
                max_total_detections=p['max_total_detections']))
            src = os.path.join(folders.root, item['pre_trained'], 'pipeline.config')
            try:
                res, warnings = _pipeline_config.converge(src, dest, settings, enforce=p['enforce_pipeline'],
                                                          attrs=attrs, check_mode=self.check_mode)
            except (ZooError, OSError) as e:
                self.fail('pipeline_configs', self.message(e, 'write %s' % dest))
                out.append(dict(entry, action=words.FAILED, changed=False))
                continue
            self.warnings.extend(warnings)
            if 'diff' in res:
                self.diff.append(res.pop('diff'))
            out.append(dict(entry, **res))
        return out

    def cleanup(self, models_dir, wanted, attrs):
        """Remove the catalog models installed in the models folder that are not wanted (training folders stay)."""
        from ansible_collections.labfleet.zoo.plugins.module_utils import _manifest
        try:
            dest_fd = _fs.open_dest(models_dir)
        except FileNotFoundError:
            return []
        try:
            found, _complete = _manifest.scan(dest_fd)
        finally:
            os.close(dest_fd)
        out = []
        for _name, record in found:
            key = record['key']
            if key in wanted or key in [r['key'] for r in out]:
                continue
            if key not in _catalog.CATALOG:
                self.warnings.append('%s holds %s, which is not a catalog model: it is left alone'
                                     % (models_dir, key))
                continue
            try:
                installer = Installer(from_params(dict(name=key, dest=models_dir)), check_mode=self.check_mode,
                                      attrs=attrs)
                res = installer.absent()
            except (ZooError, OSError) as e:
                self.fail('cleanup', self.message(e, 'remove %s from %s' % (key, models_dir)))
                res = dict(changed=False, action=words.FAILED)
            res['key'] = key
            res.pop('diff', None)
            out.append(res)
        return out

    def runtime(self, root, root_fd, account):
        """The Pi's TFLite runtime venv (module_utils/_runtime.py), {} when the host does not get one."""
        p = self.p
        if self.result.get('profile') != 'pi' or not p['pi_runtime']:
            return {}
        if self.wheel is None:
            self.fail('runtime', self.no_wheel)
            return dict(action=words.FAILED, changed=False, package=_lab.UNKNOWN, imports=False)
        from ansible_collections.labfleet.zoo.plugins.module_utils._runtime import Runtime
        # The lab mirror does not serve a wheelhouse yet: PyPI unless the inventory names another index.
        try:
            res = Runtime(self.wheel, self.result['python'], self.result['glibc'], account, root, root_fd,
                          p['pi_index'] or _lab.PYPI_INDEX,
                          p['pi_wheels'], p['timeout'], p['retries'], self.check_mode).converge()
        except (ZooError, OSError) as e:
            self.fail('runtime', self.message(e, 'install the TFLite runtime in %s' % root))
            return dict(action=words.FAILED, changed=False, package=self.wheel['package'],
                        version=self.wheel['version'], imports=False)
        if 'diff' in res:
            self.diff.append(res.pop('diff'))
        return res

    # ------------------------------------------------------------------ the run

    def fail(self, part, msg):
        self.failed_part = self.failed_part or PART_NAMES[part]
        self.errors.append(msg)

    @staticmethod
    def message(e, doing):
        return str(e) if isinstance(e, ZooError) else 'cannot %s: %s' % (doing, _fs.os_error(e))

    def converge(self):
        p = self.p
        entries = self.profile()
        account = student(p['user'])
        root = re.sub(r'^~(?=/|$)', account.pw_dir.replace('\\', '\\\\'), p['root'])
        if not os.path.isabs(root):
            raise ZooError('the workspace root must be absolute or start with ~/, not %s' % p['root'])
        root = os.path.normpath(root)
        try:
            paths = _lab.workspace_paths(p['layout'], p['projects'], entries)
        except ValueError as e:
            raise ZooError(str(e))
        uid, gid = account.pw_uid, account.pw_gid
        dir_attrs = _fs.Attrs(uid, gid, dir_mode=0o755)
        owner = _fs.attrs_from(uid, gid)
        file_attrs = _fs.attrs_from(uid, gid, RECORD_MODE)
        models_dir = os.path.join(root, paths['pre_trained'])
        self.result.update(root=root, user=account.pw_name, layout=p['layout'], models_dir=models_dir)

        root_fd, created = open_root(root, dir_attrs, self.check_mode)
        folders = Folders(root, root_fd, dir_attrs, self.check_mode)
        if created:
            folders.changes.append(('', 'created'))
        try:
            if root_fd is not None and not created and _fs.fix_attrs(root_fd, dir_attrs, self.check_mode, True):
                folders.changes.append(('', words.ATTRIBUTES))
            try:
                for rel in paths['folders'][1:]:
                    folders.ensure(rel)
            except (ZooError, OSError) as e:
                self.fail('folders', self.message(e, 'make the workspace tree in %s' % root))
            models = self.models(entries, models_dir, owner)
            failed_models = set(m['key'] for m in models if m['action'] == words.FAILED)
            label_maps = self.label_maps(paths, folders, file_attrs)
            configs = self.pipeline_configs(paths, folders, failed_models, owner)
            removed = self.cleanup(models_dir, [e['key'] for e in entries], owner) if p['remove_unwanted'] else []
            runtime = self.runtime(root, root_fd, account)
            tree = [dict(path=os.path.join(root, rel) if rel else root, action=what) for rel, what in folders.changes]
            for change in tree:
                if change['action'] == 'created':
                    self.diff.append(dict(before=dict(path=change['path'], state='absent'),
                                          after=dict(path=change['path'], state='directory'),
                                          before_header=change['path'], after_header=change['path']))
            self.result.update(folders=tree, models=models, label_maps=label_maps, pipeline_configs=configs,
                               removed=removed, runtime=runtime,
                               bytes_downloaded=sum(int(m.get('bytes_downloaded') or 0) for m in models))
            self.result['changed'] = bool(tree) or any(
                part.get('changed') for part in models + label_maps + configs + removed + [runtime])
            if p['record'] and not self.check_mode and root_fd is not None:
                self.record(root_fd, root, file_attrs)
        finally:
            folders.close()
            if root_fd is not None:
                os.close(root_fd)
        self.result['summary'] = self.summary()
        if self.diff:
            self.result['diff'] = self.diff
        if self.errors:
            self.result.update(failed=True, msg='; '.join(self.errors))
        return self.result, self.warnings

    def summary(self):
        """What a teacher reads per host: the profile and where it came from, the workspace, each model's action."""
        r = self.result
        runtime = ''
        if r.get('profile') == 'pi':
            runtime = ', TFLite runtime %s' % ' '.join(filter(None, (r.get('pi_runtime'), r.get('pi_runtime_version'))))
        head = 'profile %s (%s, %s-bit userland%s), workspace %s (%s), owner %s' % (
            r.get('profile'), r.get('architecture'), r.get('userspace_bits'), runtime, r.get('root'), r.get('layout'),
            r.get('user'))
        lines = [head] + ['%s: %s' % (m['key'], m['action']) for m in r.get('models', ())]
        runtime = r.get('runtime')
        if runtime:
            lines.append('TFLite runtime: %s%s' % (runtime['action'], {True: ', imports', False: ', does not import'}
                                                   .get(runtime.get('imports'), '')))
        return lines

    def record(self, root_fd, root, attrs):
        """The run record at the workspace root; rewriting it is bookkeeping, never a change."""
        models = self.result['models']
        record = dict(
            finished_at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            result=words.FAILED if self.errors else 'ok',
            profile=self.result.get('profile', ''),
            models=dict((m['key'], m['action']) for m in models),
            bytes_downloaded=self.result['bytes_downloaded'],
            pi_runtime=dict((key, value) for key, value in self.result['runtime'].items()
                            if key in ('package', 'version', 'action', 'imports', 'venv')),
            failed_task=self.failed_part, message='; '.join(self.errors))
        data = (json.dumps(record, indent=4, sort_keys=True) + '\n').encode('utf-8')
        try:
            st = _fs.lstat(root_fd, _lab.RUN_RECORD)
            if st is not None and not stat.S_ISREG(st.st_mode):
                raise ZooError('%s/%s is %s: the run record is not written' % (root, _lab.RUN_RECORD, _fs.kind(st)))
            _fs.write_atomic(root_fd, _lab.RUN_RECORD, data, RECORD_MODE, attrs)
        except (ZooError, OSError) as e:
            self.warnings.append('the run record was not written: %s' % self.message(e, 'write it'))
        self.result['record'] = os.path.join(root, _lab.RUN_RECORD)


def converge(params, check_mode=False):
    """The module's run: (result, warnings); a failed part makes ``result['failed']`` with every message."""
    return Run(params, check_mode).converge()
