"""Plain documents <-> protobuf messages, driven by the message descriptors alone.

Conventions (shared with ``payloads/corpus.proto`` and :mod:`proto_infer`):

* a dict is a message whose field names are the keys; a map field is a dict;
* an unset ``optional`` scalar or an unset message field is ``None`` and its key is
  present; a field of a real oneof is left out of the dict when unset;
* a message named ``*List`` whose only field is ``repeated X items = 1`` is a list,
  so lists of lists (and a top-level list) have a message to live in.

``to_plain(to_message(cls, doc)) == doc`` exactly (types included) for every
document that follows these conventions. Field plans are computed once per message
type and cached by descriptor full name (a namesake from another descriptor pool
replaces the entry).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.descriptor_pb2 import DescriptorProto
from google.protobuf.message import Message

# Field kinds: what a field is in the plain document.
SCALAR = 0  # always present (implicit presence)
OPTIONAL = 1  # scalar with presence: None when unset
ONEOF_SCALAR = 2  # scalar in a real oneof: key absent when unset
MESSAGE = 3  # singular message (or *List): None when unset
ONEOF_MESSAGE = 4  # message in a real oneof: key absent when unset
REPEATED_SCALAR = 5
REPEATED_MESSAGE = 6
MAP_SCALAR = 7
MAP_MESSAGE = 8
_NULLABLE = frozenset({OPTIONAL, ONEOF_SCALAR, MESSAGE, ONEOF_MESSAGE})


class _Plan:
    """How one message type maps to a plain value."""

    __slots__ = ("_direct", "by_name", "descriptor", "fields", "full_name", "item")

    def __init__(self, descriptor: Descriptor) -> None:
        self.descriptor = descriptor
        self.full_name: str = descriptor.full_name
        self.fields: list[tuple[str, int, _Plan | None]] = []
        self.by_name: dict[str, tuple[int, _Plan | None]] = {}
        self.item: tuple[int, _Plan | None] | None = None  # set for *List wrappers
        self._direct: bool | None = None

    @property
    def direct(self) -> bool:
        """No *List wrapper in reach: ``cls(**doc)`` builds the message (in C for upb)."""
        if self._direct is None:
            self._direct = not _reaches_wrapper(self, set())
        return self._direct


def _reaches_wrapper(plan: _Plan, seen: set[str]) -> bool:
    if plan.item is not None:
        return True
    seen.add(plan.full_name)
    return any(
        sub is not None and sub.full_name not in seen and _reaches_wrapper(sub, seen)
        for _, _, sub in plan.fields
    )


_PLANS: dict[str, _Plan] = {}


def is_list_wrapper(desc: Descriptor) -> bool:
    """True for a ``*List`` message with the single field ``repeated X items = 1``."""
    if not desc.name.endswith("List") or len(desc.fields) != 1:
        return False
    only = desc.fields[0]
    return only.name == "items" and only.number == 1 and only.is_repeated and not _is_map(only)


def _is_map(field: FieldDescriptor) -> bool:
    sub = field.message_type
    return field.is_repeated and sub is not None and sub.GetOptions().map_entry


def _plan(desc: Descriptor) -> _Plan:
    plan = _PLANS.get(desc.full_name)
    if plan is not None and plan.descriptor is desc:  # not a namesake from another pool
        return plan
    plan = _PLANS[desc.full_name] = _Plan(desc)  # registered first: types may recurse
    proto = DescriptorProto()
    desc.CopyToProto(proto)
    synthetic = {f.name for f in proto.field if f.proto3_optional}
    for field in desc.fields:
        sub = field.message_type
        if _is_map(field):
            value_field = sub.fields_by_name["value"]
            if value_field.message_type is None:
                kind, sub_plan = MAP_SCALAR, None
            else:
                kind, sub_plan = MAP_MESSAGE, _plan(value_field.message_type)
        elif field.is_repeated:
            kind = REPEATED_SCALAR if sub is None else REPEATED_MESSAGE
            sub_plan = None if sub is None else _plan(sub)
        else:
            in_oneof = field.containing_oneof is not None and field.name not in synthetic
            if sub is not None:
                kind, sub_plan = (ONEOF_MESSAGE if in_oneof else MESSAGE), _plan(sub)
            elif in_oneof:
                kind, sub_plan = ONEOF_SCALAR, None
            else:
                kind, sub_plan = (OPTIONAL if field.has_presence else SCALAR), None
        plan.fields.append((field.name, kind, sub_plan))
        plan.by_name[field.name] = (kind, sub_plan)
    if is_list_wrapper(desc):
        plan.item = plan.by_name["items"]
    return plan


def message_class(cls_or_descriptor: type[Message] | Descriptor) -> type[Message]:
    """The message class for a class or a message descriptor."""
    if isinstance(cls_or_descriptor, type):
        return cls_or_descriptor
    return message_factory.GetMessageClass(cls_or_descriptor)


def to_message(cls_or_descriptor: type[Message] | Descriptor, value: Any) -> Message:
    """Build a message of the given type from the plain document *value*.

    Raises TypeError, ValueError or KeyError when *value* does not fit the type.
    """
    cls = message_class(cls_or_descriptor)
    plan = _plan(cls.DESCRIPTOR)
    if plan.direct and type(value) is dict:
        return cls(**value)  # None leaves a field unset, as in _fill
    msg = cls()
    _fill(msg, plan, value)
    return msg


def _fill(msg: Message, plan: _Plan, value: Any) -> None:
    if plan.item is not None:
        if type(value) is not list:
            raise TypeError(f"{plan.full_name} is a list, got {type(value).__name__}")
        _fill_repeated(msg.items, *plan.item, value)
        return
    if type(value) is not dict:
        raise TypeError(f"{plan.full_name} is a dict, got {type(value).__name__}")
    by_name = plan.by_name
    for key, item in value.items():
        try:
            kind, sub = by_name[key]
        except KeyError:
            raise KeyError(f"{plan.full_name} has no field {key!r}") from None
        if item is None:
            if kind in _NULLABLE:
                continue
            raise TypeError(f"{plan.full_name}.{key} cannot be null")
        if kind <= ONEOF_SCALAR:
            setattr(msg, key, item)
        elif kind <= ONEOF_MESSAGE:
            child = getattr(msg, key)
            child.SetInParent()
            _fill(child, sub, item)
        elif kind <= REPEATED_MESSAGE:
            _fill_repeated(getattr(msg, key), kind, sub, item)
        elif kind == MAP_SCALAR:
            getattr(msg, key).update(item)
        else:
            entries = getattr(msg, key)
            for k, v in item.items():
                _fill(entries[k], sub, v)


def _fill_repeated(container: Any, kind: int, sub: _Plan | None, items: list[Any]) -> None:
    if type(items) is not list:
        raise TypeError(f"expected a list, got {type(items).__name__}")
    if kind == REPEATED_SCALAR:
        container.extend(items)
    elif sub.direct:
        add = container.add
        for item in items:
            if type(item) is not dict:
                raise TypeError(f"{sub.full_name} is a dict, got {type(item).__name__}")
            add(**item)
    else:
        add = container.add
        for item in items:
            _fill(add(), sub, item)


def to_plain(message: Message) -> Any:
    """The plain document carried by *message* (dict, or list for a ``*List`` message)."""
    return _plain(message, _plan(message.DESCRIPTOR))


def _plain_seq(container: Any, kind: int, sub: _Plan | None) -> list[Any]:
    if kind == REPEATED_SCALAR:
        return list(container)
    if sub.item is not None and sub.item[0] == REPEATED_SCALAR:  # e.g. a list of points
        return [list(m.items) for m in container]
    return [_plain(m, sub) for m in container]


def _plain(msg: Message, plan: _Plan) -> Any:
    if plan.item is not None:
        return _plain_seq(msg.items, *plan.item)
    out: dict[str, Any] = {}
    for name, kind, sub in plan.fields:
        if kind == SCALAR:
            out[name] = getattr(msg, name)
        elif kind == REPEATED_SCALAR:
            out[name] = list(getattr(msg, name))
        elif kind == REPEATED_MESSAGE:
            out[name] = _plain_seq(getattr(msg, name), kind, sub)
        elif kind == OPTIONAL:
            out[name] = getattr(msg, name) if msg.HasField(name) else None
        elif kind == MESSAGE:
            out[name] = _plain(getattr(msg, name), sub) if msg.HasField(name) else None
        elif kind == MAP_SCALAR:
            out[name] = dict(getattr(msg, name))
        elif kind == MAP_MESSAGE:
            out[name] = {k: _plain(v, sub) for k, v in getattr(msg, name).items()}
        elif msg.HasField(name):  # oneof member: absent when unset
            value = getattr(msg, name)
            out[name] = value if kind == ONEOF_SCALAR else _plain(value, sub)
    return out


def touch(message: Message) -> int:
    """Read every value of *message* recursively; return the number of leaf values.

    Leaves are counted as in the plain document: a None (unset optional or message
    field) counts as one, an unset oneof member as none, map keys not at all. So
    ``touch(m) == touch_plain(to_plain(m))``, without building the document.
    """
    return _touch(message, _plan(message.DESCRIPTOR))


def _touch_seq(container: Any, kind: int, sub: _Plan | None) -> int:
    if kind == REPEATED_SCALAR:
        return len(list(container))
    if sub.item is not None and sub.item[0] == REPEATED_SCALAR:
        return sum(len(list(m.items)) for m in container)
    return sum(_touch(m, sub) for m in container)


def _touch(msg: Message, plan: _Plan) -> int:
    if plan.item is not None:
        return _touch_seq(msg.items, *plan.item)
    count = 0
    for name, kind, sub in plan.fields:
        if kind == SCALAR:
            getattr(msg, name)
            count += 1
        elif REPEATED_SCALAR <= kind <= REPEATED_MESSAGE:
            count += _touch_seq(getattr(msg, name), kind, sub)
        elif kind == MAP_SCALAR:
            count += len(list(getattr(msg, name).items()))
        elif kind == MAP_MESSAGE:
            for _, v in getattr(msg, name).items():
                count += _touch(v, sub)
        elif msg.HasField(name):
            if kind <= ONEOF_SCALAR:
                getattr(msg, name)
                count += 1
            else:
                count += _touch(getattr(msg, name), sub)
        elif kind in (OPTIONAL, MESSAGE):
            count += 1  # a None in the plain document
    return count
