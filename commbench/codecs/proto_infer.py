"""Infer a protobuf message type from the structure of a JSON-like document.

The type is built at run time (a ``FileDescriptorProto`` in a fresh descriptor
pool, no protoc) and follows the conventions of :mod:`proto_convert`, so that
``to_plain(to_message(cls, doc)) == doc`` exactly:

* a dict is a message with the union of the keys seen at that position;
  a key that is null somewhere is ``optional`` (None <-> unset); a key missing
  from some dicts is a one-field oneof (left out when unset); both is refused;
* str, bool, int (64 bits), float, bytes are string, bool, int64, double, bytes;
  int and float at one position are refused (double would turn ints into floats);
* a list is ``repeated``; a list of lists, a top-level list and a nullable or
  missing list go through a ``*List`` wrapper message; a list seen only empty is
  ``repeated string``; a key seen only as null is ``optional string``;
* nulls inside lists, heterogeneous lists, keys that are not protobuf field names
  and nesting deeper than protobuf decodes are refused with a one-line reason.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2, message, message_factory

FDP = descriptor_pb2.FieldDescriptorProto
MAX_DEPTH = 100
"""Deepest nesting of dicts and lists accepted: upb refuses to parse messages nested
deeper than ~100, and the inferred messages are never deeper than the document."""

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_RESERVED = frozenset(dir(empty_pb2.Empty))  # names that would shadow a message's methods
_SCALARS = {
    str: ("str", FDP.TYPE_STRING),
    bool: ("bool", FDP.TYPE_BOOL),
    int: ("int", FDP.TYPE_INT64),
    float: ("float", FDP.TYPE_DOUBLE),
    bytes: ("bytes", FDP.TYPE_BYTES),
}
_PROTO_TYPE = {name: t for name, t in _SCALARS.values()}
_SCALAR_NAME = dict(str="String", bool="Bool", int="Int64", float="Double", bytes="Bytes")
_INT64 = (-(2**63), 2**63 - 1)
_files = itertools.count(1)


class _Refuse(Exception):
    """The document cannot be carried; the message is the reason."""


def _at(path: str) -> str:
    """*path* shortened to keep a reason on one readable line."""
    return path if len(path) <= 80 else f"{path[:40]}...{path[-30:]}"


def _key(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:36] + "...'"


class _Obj:  # a dict position: fields with how often they were present or null
    __slots__ = ("count", "fields", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.fields: dict[str, list[Any]] = {}  # key -> [shape, present, nulls]


class _Seq:  # a list position; elem None while only empty lists were seen
    __slots__ = ("elem",)

    def __init__(self) -> None:
        self.elem: Any = None


def _kind(value: Any) -> str:
    if type(value) in _SCALARS:
        return _SCALARS[type(value)][0]
    return {dict: "object", list: "list"}.get(type(value), type(value).__name__)


def _shape_kind(shape: Any) -> str:
    return "object" if isinstance(shape, _Obj) else "list" if isinstance(shape, _Seq) else shape


def _absorb(shape: Any, value: Any, path: str, depth: int) -> Any:
    """Merge *value* into the shape seen so far at *path*; the merged shape."""
    if shape is not None and _shape_kind(shape) != _kind(value):
        was, now = _shape_kind(shape), _kind(value)
        raise _Refuse(f"conflicting types at {_at(path)}: {was} and {now}")
    t = type(value)
    if t is dict or t is list:
        if depth >= MAX_DEPTH:
            raise _Refuse(f"nesting deeper than {MAX_DEPTH} levels at {_at(path)}")
        if t is dict:
            return _absorb_dict(shape or _Obj(path), value, path, depth + 1)
        return _absorb_list(shape or _Seq(), value, path, depth + 1)
    if t not in _SCALARS:
        raise _Refuse(f"unsupported type {t.__name__} at {_at(path)}")
    if t is int and not _INT64[0] <= value <= _INT64[1]:
        raise _Refuse(f"integer beyond 64 bits at {_at(path)}")
    if t is str and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refuse(f"string with a lone surrogate (not UTF-8) at {_at(path)}") from None
    return _SCALARS[t][0]


def _absorb_dict(obj: _Obj, value: dict, path: str, depth: int) -> _Obj:
    obj.count += 1
    for key, item in value.items():
        if type(key) is not str or not _FIELD_NAME.fullmatch(key):
            raise _Refuse(f"key {_key(key)} at {_at(path)} is not a protobuf field name")
        if key in _RESERVED:
            raise _Refuse(f"key {_key(key)} at {_at(path)} would shadow a protobuf message method")
        entry = obj.fields.setdefault(key, [None, 0, 0])
        entry[1] += 1
        if item is None:
            entry[2] += 1
        else:
            entry[0] = _absorb(entry[0], item, f"{path}.{key}", depth)
    return obj


def _uniform(t: type, value: list) -> bool:
    """True when a list of one scalar type *t* needs no per-element check."""
    if t is float or t is bool or t is bytes:
        return True
    if t is int:
        return _INT64[0] <= min(value) and max(value) <= _INT64[1]
    return t is str and all(map(str.isascii, value))


def _absorb_list(seq: _Seq, value: list, path: str, depth: int) -> _Seq:
    if not value:
        return seq
    types = set(map(type, value))
    if type(None) in types:
        if len(types) == 1:
            raise _Refuse(f"list of only nulls at {_at(path)}")
        raise _Refuse(f"null inside a list at {_at(f'{path}[{value.index(None)}]')}")
    if len(types) == 1 and _uniform(types.pop(), value):  # nothing to check per element
        seq.elem = _absorb(seq.elem, value[0], f"{path}[0]", depth)
        return seq
    for i, item in enumerate(value):
        if seq.elem is not None and _shape_kind(seq.elem) != _kind(item):
            was, now = _shape_kind(seq.elem), _kind(item)
            raise _Refuse(f"heterogeneous list at {_at(f'{path}[{i}]')}: {was} and {now}")
        seq.elem = _absorb(seq.elem, item, f"{path}[{i}]", depth)
    return seq


def _camel(key: str) -> str:
    name = "".join(part[:1].upper() + part[1:] for part in key.split("_"))
    return name if name[:1].isalpha() else "M" + name


class _Builder:
    """Emits message types into one FileDescriptorProto, reusing identical ones."""

    def __init__(self, package: str, top: str) -> None:
        self.file = descriptor_pb2.FileDescriptorProto(
            name=f"{package.replace('.', '/')}.proto", package=package, syntax="proto3"
        )
        self.package = package
        self.names = {top, top + "List"}
        self.types: dict[tuple, str] = {}  # structure -> full type name

    def _add(self, name: str, fields: list[dict], oneofs: list[str]) -> str:
        proto = self.file.message_type.add(name=name)
        for oneof in oneofs:
            proto.oneof_decl.add(name=oneof)
        for number, spec in zip(_field_numbers(), fields):
            proto.field.add(number=number, **spec)
        return f".{self.package}.{name}"

    def _unique(self, base: str, suffix: str = "") -> str:
        name, n = base + suffix, 1
        while name in self.names:
            n += 1
            name = f"{base}{n}{suffix}"
        self.names.add(name)
        return name

    def element(self, shape: Any, hint: str) -> dict:
        """Field spec (type/type_name) of one value of *shape*; lists become wrappers."""
        if shape is None or isinstance(shape, str):
            return {"type": _PROTO_TYPE[shape or "str"]}
        if isinstance(shape, _Obj):
            return {"type": FDP.TYPE_MESSAGE, "type_name": self.message(shape, hint)}
        return {"type": FDP.TYPE_MESSAGE, "type_name": self.wrapper(shape, hint)}

    def wrapper(self, seq: _Seq, hint: str, name: str | None = None) -> str:
        """The ``*List`` message whose ``repeated items`` carry the elements of *seq*."""
        spec = self.element(seq.elem, hint)
        signature = ("list", *sorted(spec.items()))
        if name is None and signature in self.types:
            return self.types[signature]
        elem = spec["type_name"].rsplit(".", 1)[1] if "type_name" in spec else None
        name = name or self._unique(elem or _SCALAR_NAME[seq.elem or "str"], "List")
        items = {"name": "items", "json_name": "items", "label": FDP.LABEL_REPEATED, **spec}
        full = self._add(name, [items], [])
        self.types.setdefault(signature, full)
        return full

    def message(self, obj: _Obj, hint: str, name: str | None = None) -> str:
        """The message for the dicts seen at one position."""
        fields, oneofs, synthetic = [], [], []
        for key, (shape, present, nulls) in obj.fields.items():
            missing = present < obj.count
            if nulls and missing:
                where = _at(obj.path)
                raise _Refuse(f"key {key!r} at {where} is null in some objects, missing in others")
            spec = {"name": key, "json_name": key, "label": FDP.LABEL_OPTIONAL}
            if isinstance(shape, _Seq) and not (nulls or missing):
                spec.update(self.element(shape.elem, key), label=FDP.LABEL_REPEATED)
            elif isinstance(shape, _Seq):  # a list with presence: a singular *List message
                spec.update(type=FDP.TYPE_MESSAGE, type_name=self.wrapper(shape, key))
            else:
                spec.update(self.element(shape, key))
            if missing:  # a one-field real oneof: left out of the dict when unset
                spec["oneof_index"] = len(oneofs)
                oneofs.append(key)
            elif nulls and spec["type"] != FDP.TYPE_MESSAGE:  # messages have presence anyway
                synthetic.append(spec)
                spec["proto3_optional"] = True
            fields.append(spec)
        taken = set(obj.fields)  # synthetic oneofs come after the real ones
        decls = [_unique_in(f"{key}_oneof", taken) for key in oneofs]
        for spec in synthetic:
            spec["oneof_index"] = len(decls)
            decls.append(_unique_in(f"_{spec['name']}", taken))
        signature = ("msg", *(tuple(sorted(f.items())) for f in fields))
        if name is None and signature in self.types:
            return self.types[signature]
        base = _camel(hint)
        name = name or self._unique(base + "Obj" if base.endswith("List") else base)
        full = self._add(name, fields, decls)
        self.types.setdefault(signature, full)
        return full


def _unique_in(base: str, taken: set[str]) -> str:
    while base in taken:
        base = "_" + base
    taken.add(base)
    return base


def _field_numbers() -> Any:
    """1, 2, 3, ... skipping the range protobuf reserves for itself."""
    return itertools.chain(range(1, 19000), itertools.count(20000))


def infer_message_class(
    doc: Any, name: str = "UserPayload"
) -> tuple[type[message.Message] | None, str | None]:
    """A message class carrying *doc* exactly, or ``(None, reason)`` when there is none.

    A top-level list is carried by a ``{name}List`` wrapper message.
    """
    if not _FIELD_NAME.fullmatch(name) or name.endswith("List"):
        raise ValueError(f"message name {name!r}: an identifier not ending in 'List'")
    if type(doc) is not dict and type(doc) is not list:
        what = "null" if doc is None else _kind(doc)
        return None, f"top-level {what}: protobuf carries a message (an object or a list)"
    try:
        shape = _absorb(None, doc, "$", 0)
        builder = _Builder(f"commbench.inferred.s{next(_files)}", name)
        if isinstance(shape, _Obj):
            full = builder.message(shape, name, name=name)
        else:
            full = builder.wrapper(shape, name, name=name + "List")
    except _Refuse as refusal:
        return None, str(refusal)
    except RecursionError:
        return None, "nesting too deep for Python"
    pool = descriptor_pool.DescriptorPool()
    try:
        pool.Add(builder.file)
        descriptor = pool.FindMessageTypeByName(full.lstrip("."))
    except (TypeError, ValueError) as exc:  # a name protobuf refuses that the checks missed
        return None, f"protobuf refused the inferred schema: {exc}"
    return message_factory.GetMessageClass(descriptor), None
