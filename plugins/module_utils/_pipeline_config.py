# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labfleet.zoo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section-aware editing of TF Object Detection API ``pipeline.config`` files (protobuf text format).

Runs on target hosts (inside labfleet.zoo.pipeline_config): Python 3.8+, standard library only.

Two forms of the same file exist and both are handled the same way, because this module never edits by line:

* the commented template form of ``research/object_detection/configs/tf2/*.config`` (comments, ``key: {``,
  single quotes, trailing ``;``), and
* the generated text-proto form shipped in the zoo archives (no comments, ``key {``).

The text is tokenised (comments and strings understood), parsed into a tree of fields with their character
spans, and a value is changed by replacing exactly the span of its token(s). Everything else in the file, comments,
blank lines, a student's other edits, stays byte for byte. A key is addressed by its section path, for example
``('train_input_reader', 'tf_record_input_reader', 'input_path')``; ``'*'`` matches any one section name
(``('model', '*', 'num_classes')`` for ``model { ssd {`` as well as ``model { faster_rcnn {``).

The install logic of the module (create from the pre-trained file, keep a student's edits unless enforced) is
:func:`plan` and :func:`apply`. Files live in a student's folders and the module may run as root: every path is
resolved without following a link another user made (``_fs.open_parent``), files are read and replaced only when
they are regular files (bounded in size), and written through the folder's descriptor.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat

from ansible_collections.labfleet.zoo.plugins.module_utils import _fs
from ansible_collections.labfleet.zoo.plugins.module_utils._errors import ZooError
from ansible_collections.labfleet.zoo.plugins.module_utils._vocabulary import ATTRIBUTES, CREATED, ENFORCED, KEPT, UNCHANGED, UPDATED

MAX_CONFIG = 4 * 1024 * 1024  # bytes of a pipeline.config (the zoo's are a few kB)

# The course's keys, by module option name: one or more section paths each. The same key (batch_size,
# label_map_path, input_path) also occurs in other sections: only the listed ones are ever touched.
MANAGED = (
    ('num_classes', (('model', '*', 'num_classes'),)),
    ('batch_size', (('train_config', 'batch_size'),)),
    ('num_steps', (('train_config', 'num_steps'),)),
    ('fine_tune_checkpoint', (('train_config', 'fine_tune_checkpoint'),)),
    ('fine_tune_checkpoint_type', (('train_config', 'fine_tune_checkpoint_type'),)),
    ('use_bfloat16', (('train_config', 'use_bfloat16'),)),
    ('max_number_of_boxes', (('train_config', 'max_number_of_boxes'),)),
    ('max_detections_per_class', (('model', '*', '*', 'batch_non_max_suppression', 'max_detections_per_class'),)),
    ('max_total_detections', (('model', '*', '*', 'batch_non_max_suppression', 'max_total_detections'),)),
    ('label_map_path', (('train_input_reader', 'label_map_path'), ('eval_input_reader', 'label_map_path'))),
    ('train_input_path', (('train_input_reader', 'tf_record_input_reader', 'input_path'),)),
    ('eval_input_path', (('eval_input_reader', 'tf_record_input_reader', 'input_path'),)),
)
MANAGED_KEYS = tuple(name for name, _paths in MANAGED)

_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<word>[A-Za-z0-9_.+\-]+)
  | (?P<punct>[{}<>:;,\[\]/])
''', re.VERBOSE)
_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'", 'a': '\a', 'b': '\b', 'f': '\f',
            'v': '\v', '?': '?'}
_CLOSERS = {'{': '}', '<': '>'}


class _Tok(object):
    __slots__ = ('kind', 'text', 'start', 'end')

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end


class Field(object):
    """One field of the text: a scalar (``value_start``/``value_end`` span its token(s)) or a section."""

    def __init__(self, name, start):
        self.name, self.start = name, start
        self.children = None          # list of Field for a section
        self.open_end = None          # index just after '{' of a section
        self.close_start = None       # index of the closing '}' of a section
        self.value_start = self.value_end = None
        self.value_tokens = []

    @property
    def is_section(self):
        return self.children is not None


def _tokenize(text, source):
    tokens = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ZooError('%s line %d: cannot read %r; fix the file or restore it from the pre-trained model'
                           % (source, text.count('\n', 0, pos) + 1, text[pos:pos + 20]))
        kind = match.lastgroup
        if kind not in ('ws', 'comment'):
            tokens.append(_Tok(kind, match.group(), pos, match.end()))
        pos = match.end()
    return tokens


class _Parser(object):
    def __init__(self, text, source):
        self.text, self.source = text, source
        self.tokens = _tokenize(text, source)
        self.i = 0

    def fail(self, what, tok=None):
        pos = tok.start if tok is not None else len(self.text)
        found = repr(tok.text) if tok is not None else 'the end of the file'
        raise ZooError('%s line %d: expected %s, found %s; fix the file or restore it from the pre-trained model'
                       % (self.source, self.text.count('\n', 0, pos) + 1, what, found))

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        if tok is None:
            self.fail('more text')
        self.i += 1
        return tok

    def fields(self, closer):
        out = []
        while True:
            tok = self.peek()
            if tok is None:
                if closer is not None:
                    self.fail(repr(closer))
                return out, None
            if closer is not None and tok.text == closer:
                self.i += 1
                return out, tok
            if tok.text in (';', ','):
                self.i += 1
                continue
            out.append(self.field())

    def field(self):
        tok = self.take()
        if tok.text == '[':             # extension or Any type URL: [type.googleapis.com/x.Y]
            parts = []
            while True:
                part = self.take()
                if part.text == ']':
                    break
                parts.append(part.text)
            name = '[%s]' % ''.join(parts)
        elif tok.kind == 'word' and re.match(r'[A-Za-z_]', tok.text):
            name = tok.text
        else:
            self.fail('a field name', tok)
        node = Field(name, tok.start)
        colon = False
        nxt = self.peek()
        if nxt is not None and nxt.text == ':':
            colon = True
            self.i += 1
            nxt = self.peek()
        if nxt is not None and nxt.text in _CLOSERS:
            self.i += 1
            node.open_end = nxt.end
            node.children, close = self.fields(_CLOSERS[nxt.text])
            node.close_start = close.start
            return node
        if not colon:
            self.fail("':' or '{' after %s" % name, nxt)
        if nxt is not None and nxt.text == '[':   # a list value: kept as an opaque span
            start = nxt.start
            depth = 0
            while True:
                tok = self.take()
                if tok.text in ('[', '{', '<'):
                    depth += 1
                elif tok.text in (']', '}', '>'):
                    depth -= 1
                    if depth == 0:
                        break
            node.value_start, node.value_end = start, tok.end
            node.value_tokens = []
            return node
        first = self.take()
        if first.kind not in ('word', 'string'):
            self.fail('a value for %s' % name, first)
        node.value_tokens = [first]
        if first.kind == 'string':      # adjacent string literals concatenate
            while self.peek() is not None and self.peek().kind == 'string':
                node.value_tokens.append(self.take())
        node.value_start, node.value_end = first.start, node.value_tokens[-1].end
        return node


def _unescape(body):
    def repl(match):
        esc = match.group(1)
        if esc[0] in '01234567':
            return chr(int(esc, 8))
        if esc[0] == 'x':
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, esc)
    return re.sub(r'\\([0-7]{1,3}|x[0-9A-Fa-f]{1,2}|.)', repl, body)


def scalar_value(field):
    """The Python value of a scalar field: str for string literals, bool, int, float, or the bare word."""
    toks = field.value_tokens
    if not toks:
        return None
    if toks[0].kind == 'string':
        return ''.join(_unescape(tok.text[1:-1]) for tok in toks)
    word = toks[0].text
    if word in ('true', 'True', 't'):
        return True
    if word in ('false', 'False', 'f'):
        return False
    try:
        return int(word, 0)
    except ValueError:
        pass
    try:
        return float(word.rstrip('fF')) if re.match(r'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fF]?$', word) else word
    except ValueError:
        return word


def render(value):
    """The text form of a Python value: strings quoted with double quotes, booleans as true/false."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
    return '"%s"' % text


def _same(current, wanted):
    if isinstance(wanted, bool):
        return isinstance(current, bool) and current == wanted
    if isinstance(current, bool):
        return False
    if isinstance(wanted, (int, float)):
        return isinstance(current, (int, float)) and current == wanted
    return isinstance(current, str) and current == wanted


class PipelineConfig(object):
    """A pipeline.config text with section-aware reads and edits; ``text`` is always the current content."""

    def __init__(self, text, source='pipeline.config'):
        self.source = source
        self._load(text)

    def _load(self, text):
        self.text = text
        parser = _Parser(text, self.source)
        self.fields, _close = parser.fields(None)

    def sections(self, path):
        """Every section matching ``path`` (a tuple of names, '*' for any), in file order."""
        level = [self]
        for name in path:
            nxt = []
            for parent in level:
                children = parent.fields if parent is self else parent.children
                nxt.extend(child for child in children
                           if child.is_section and (name == '*' or child.name == name))
            level = nxt
        return level

    def get(self, path):
        """The values of the scalar ``path`` (section path + key), one per occurrence, in file order."""
        out = []
        for section in self.sections(tuple(path[:-1])):
            children = section.fields if section is self else section.children
            out.extend(scalar_value(child) for child in children if child.name == path[-1] and not child.is_section)
        return out

    def set(self, path, value):
        """Set the scalar ``path`` to ``value`` in every matching section; returns True if the text changed.

        A missing key is added as the first line of its section; missing sections are created (appended at the
        end of their parent) unless the path has a wildcard, in which case a missing section is an error.
        """
        path = tuple(path)
        section_path, key = path[:-1], path[-1]
        sections = self.sections(section_path)
        if not sections:
            if '*' in section_path:
                raise ZooError('%s has no section %s to set %s in; is it a TF Object Detection API pipeline.config?'
                               % (self.source, '.'.join(section_path), key))
            return self._create(section_path, key, value)
        edits = []
        for section in sections:
            children = section.fields if section is self else section.children
            matches = [child for child in children if child.name == key and not child.is_section]
            if not matches:
                edits.append(self._insert_edit(section, key, value))
            for child in matches:
                if not _same(scalar_value(child), value):
                    edits.append((child.value_start, child.value_end, render(value)))
        return self._apply(edits)

    def replacements(self, path, value):
        """The value edits that set the scalar ``path`` where it already is in every matching section (none when
        it already holds ``value``), or None when a section or the key is missing there (``set`` adds it)."""
        sections = self.sections(tuple(path[:-1]))
        if not sections:
            return None
        edits = []
        for section in sections:
            children = section.fields if section is self else section.children
            matches = [child for child in children if child.name == path[-1] and not child.is_section]
            if not matches:
                return None
            edits.extend((child.value_start, child.value_end, render(value))
                         for child in matches if not _same(scalar_value(child), value))
        return edits

    def _apply(self, edits):
        if not edits:
            return False
        text = self.text
        for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
            text = text[:start] + new + text[end:]
        self._load(text)
        return True

    def _indent_of(self, pos):
        line_start = self.text.rfind('\n', 0, pos) + 1
        prefix = self.text[line_start:pos]
        return prefix if not prefix.strip() else re.match(r'\s*', prefix).group()

    def _child_indent(self, section):
        if section is self:
            return ''
        if section.children:
            return self._indent_of(section.children[0].start)
        return self._indent_of(section.start) + '  '

    def _insert_edit(self, section, key, text_value, block=False):
        """The edit adding ``key: value`` (or a prepared block) at the start of ``section``."""
        indent = self._child_indent(section)
        line = text_value if block else '%s: %s' % (key, render(text_value))
        lines = line.split('\n')
        body = '\n'.join(indent + part for part in lines)
        if section is self:
            sep = '' if not self.text or self.text.endswith('\n') else '\n'
            return (len(self.text), len(self.text), sep + body + '\n')
        pos = section.open_end
        line_end = self.text.find('\n', pos)
        line_end = len(self.text) if line_end < 0 else line_end
        rest = self.text[pos:line_end].strip()
        if not rest or rest.startswith('#'):
            return (line_end, line_end, '\n' + body)
        return (pos, pos, ' ' + ' '.join(part.strip() for part in lines))

    def _create(self, section_path, key, value):
        existing = 0
        parent = self
        while existing < len(section_path):
            found = self.sections(section_path[:existing + 1])
            if not found:
                break
            parent = found[0]
            existing += 1
        missing = section_path[existing:]
        block = '%s: %s' % (key, render(value))
        for name in reversed(missing):
            block = '%s {\n%s\n}' % (name, '\n'.join('  ' + line for line in block.split('\n')))
        return self._apply([self._insert_edit(parent, key, block, block=True)])


def settings_from(params):
    """The managed keys that have a value in ``params`` (a dict of module options), in MANAGED order."""
    return [(name, params[name]) for name in MANAGED_KEYS if params.get(name) is not None]


def edit(text, settings, source='pipeline.config'):
    """Return ``text`` with the managed ``settings`` ([(key, value)]) set in their sections.

    The values of keys already in place are replaced in one pass (one parse of the result: a zoo model's file has
    them all, so a rerun parses twice, not once per key); a key or section to add is set after them, one at a time,
    as ``set`` would: the same text as setting each key in turn."""
    config = PipelineConfig(text, source)
    paths = dict(MANAGED)
    edits, missing, seen = [], [], set()
    for name, value in settings:
        for path in paths[name]:
            found = None if name in seen else config.replacements(path, value)
            if found is None:
                missing.append((path, value))    # to add, or a key given twice (in turn: the last one wins)
            else:
                edits.extend(found)
        seen.add(name)
    config._apply(edits)
    for path, value in missing:
        config.set(path, value)
    return config.text


def drift(text, settings, source='pipeline.config'):
    """The managed keys whose value in ``text`` differs from ``settings`` (or is missing), in order."""
    config = PipelineConfig(text, source)
    paths = dict(MANAGED)
    out = []
    for name, value in settings:
        for path in paths[name]:
            values = config.get(path)
            if not values or not all(_same(v, value) for v in values):
                out.append(name)
                break
    return out


def _read(path):
    """The text of the regular file ``path`` (None when absent); an OS error names which file (src or dest)."""
    try:
        fd, name = _fs.open_parent(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ZooError('cannot read %s: %s' % (path, _fs.os_error(e)))
    try:
        st = _fs.lstat(fd, name)
        if st is None:
            return None
        if not stat.S_ISREG(st.st_mode):
            raise ZooError('%s is %s, not a regular file: it is neither read nor replaced' % (path, _fs.kind(st)))
        data = _fs.read_file(fd, name, MAX_CONFIG)
        if data is None:
            raise ZooError('%s cannot be read (larger than %d MB, or replaced while it was read)'
                           % (path, MAX_CONFIG >> 20))
    except OSError as e:
        raise ZooError('cannot read %s: %s' % (path, _fs.os_error(e)))
    finally:
        os.close(fd)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise ZooError('%s is not UTF-8 text; is it a pipeline.config?' % path)


def _sha256(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def record_path(dest):
    """Where the module remembers what it wrote last: a hidden file beside ``dest``."""
    return os.path.join(os.path.dirname(dest), '.%s.labfleet-zoo.json' % os.path.basename(dest))


def _read_record(dest):
    text = _read(record_path(dest))
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


class Plan(object):
    """What the module found and will do: ``action`` is one of ``CONFIG_ACTIONS`` (_vocabulary)."""

    def __init__(self, dest, action, before, after, drift=None, src_missing=False):
        self.dest, self.action, self.before, self.after = dest, action, before, after
        self.drift = drift or []
        self.src_missing = src_missing

    @property
    def changed(self):
        return self.action in (CREATED, UPDATED, ENFORCED)


def plan(src, dest, settings, enforce=False, check_mode=False):
    """Decide, reading only: what ``dest`` should become from ``src`` and the managed ``settings``.

    * ``dest`` absent: created from ``src`` with the settings.
    * ``dest`` equal to that: unchanged.
    * ``dest`` as this module last wrote it (its sha256 is in the record beside it): updated from ``src``.
    * ``dest`` edited by someone else (a student): kept as it is, its ``drift`` reported; with ``enforce``, only the
      managed keys of the edited file are set (comments and other edits stay).
    In check mode a missing ``src`` (the model is not installed yet) is not an error: the file would be created.
    """
    current = _read(dest)
    src_text = _read(src)
    if src_text is None:
        if not check_mode and (current is None or not enforce):
            raise ZooError('%s not found: install the pre-trained model first (labfleet.zoo.model), or fix src'
                           % src)
        wanted = None
    else:
        wanted = edit(src_text, settings, src)
    if current is None:
        return Plan(dest, CREATED, '', wanted or '', src_missing=wanted is None)
    if wanted is not None and current == wanted:
        return Plan(dest, UNCHANGED, current, current)
    record = _read_record(dest)
    if wanted is not None and record is not None and record.get('sha256') == _sha256(current):
        return Plan(dest, UPDATED, current, wanted)
    if wanted is None and not enforce:     # check mode, model not installed, file present: cannot tell
        return Plan(dest, KEPT, current, current, drift(current, settings, dest), src_missing=True)
    if enforce:
        enforced = edit(current, settings, dest)
        return Plan(dest, ENFORCED if enforced != current else UNCHANGED, current, enforced)
    return Plan(dest, KEPT, current, current, drift(current, settings, dest))


def apply(the_plan, attrs=None):
    """Write ``the_plan.after`` atomically (``_fs.AtomicFile``: a new file in the same folder, then rename), with
    ``attrs`` (owner/group/mode of ``dest``) set on the new file before it replaces the old one.

    A file made from src (created, updated) has its sha256 recorded beside it, so that a later run can tell it
    from a student's edit; an enforced file stays the student's and has no record.
    """
    dest = the_plan.dest
    fd, name = _fs.open_parent(dest, create=True)
    try:
        st = _fs.lstat(fd, name)
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise ZooError('%s is %s, not a regular file: it is not replaced' % (dest, _fs.kind(st)))
        mode = stat.S_IMODE(st.st_mode) & 0o777 if st is not None else 0o644
        _fs.write_atomic(fd, name, the_plan.after.encode('utf-8'), mode, attrs)
        record = os.path.basename(record_path(dest))
        if the_plan.action == ENFORCED:
            # Still the student's file (only the managed keys changed): never regenerate it from src later.
            old = _fs.lstat(fd, record)
            if old is not None and stat.S_ISREG(old.st_mode):
                os.unlink(record, dir_fd=fd)
        else:
            _fs.write_atomic(fd, record, (json.dumps({'sha256': _sha256(the_plan.after)}) + '\n').encode(), 0o644)
    finally:
        os.close(fd)


def attrs_of(dest, attrs, check_mode=False):
    """Owner/group/mode of the existing regular file ``dest`` (a run with nothing to write may still fix them)."""
    fd, name = _fs.open_parent(dest)
    try:
        return _fs.fix_attrs_at(fd, name, attrs, check_mode)
    finally:
        os.close(fd)


def converge(src, dest, settings, enforce=False, attrs=None, check_mode=False):
    """The module's run: :func:`plan`, then (outside check mode) :func:`apply`; a file left as it is may still get
    ``attrs`` (predicted in check mode). Returns (result, warnings); the result's diff is the text before and after.
    An OS error while writing or setting owner and mode is left to the module's funnel (it names dest).

    An owner/group/mode fix of a file whose text is right is reported as ATTRIBUTES; a student's kept file stays
    KEPT (its text is what matters), changed when its owner or mode were set.
    """
    the_plan = plan(src, dest, settings, enforce=enforce, check_mode=check_mode)
    changed, action = the_plan.changed, the_plan.action
    if changed:
        if not check_mode:
            apply(the_plan, attrs)
    elif attrs:
        changed = attrs_of(dest, attrs, check_mode)
        if changed and action == UNCHANGED:
            action = ATTRIBUTES
    result = dict(changed=changed, path=dest, action=action, drift=the_plan.drift)
    if the_plan.changed:
        result['diff'] = dict(before=the_plan.before, after=the_plan.after, before_header=dest, after_header=dest)
    warnings = []
    if action == KEPT and the_plan.drift:
        warnings.append('%s was edited by hand and is kept as it is; its %s differ from the wanted values '
                        '(set enforce to apply them)' % (dest, ', '.join(the_plan.drift)))
    return result, warnings
