"""Walks over plain documents: strict comparison, touching every value, base64 repair.

A *plain document* is what JSON-like codecs carry: dict (str keys), list, str,
int, float, bool, None, and bytes.
"""

from __future__ import annotations

import base64
import math
from typing import Any


def first_difference(sent: Any, received: Any, path: str = "$") -> str | None:
    """Return where *received* differs from *sent*, or None when they are the same.

    Stricter than ``==``: ``True`` is not ``1``, ``1`` is not ``1.0``, a tuple is
    not a list, and NaN equals NaN (a codec that carries NaN carries it).
    """
    stack = [(sent, received, path)]
    while stack:
        a, b, where = stack.pop()
        if type(a) is not type(b):
            return f"{where}: sent {type(a).__name__}, got {type(b).__name__}"
        if isinstance(a, dict):
            if a.keys() != b.keys():
                missing = sorted(map(str, a.keys() - b.keys()))[:3]
                extra = sorted(map(str, b.keys() - a.keys()))[:3]
                return f"{where}: keys differ (missing {missing}, extra {extra})"
            stack.extend((a[k], b[k], f"{where}.{k}") for k in a)
        elif isinstance(a, list):
            if len(a) != len(b):
                return f"{where}: sent {len(a)} items, got {len(b)}"
            stack.extend((x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
        elif isinstance(a, float) and math.isnan(a):
            if not math.isnan(b):
                return f"{where}: sent nan, got {b!r}"
        elif a != b:
            return f"{where}: sent {_short(a)}, got {_short(b)}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def touch_plain(doc: Any) -> int:
    """Visit every value of a decoded plain document; return how many scalars were seen."""
    count = 0
    stack = [doc]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        if kind is dict:
            extend(node.values())
        elif kind is list:
            extend(node)
        else:
            count += 1
    return count


def b64_default(value: Any) -> str:
    """``default=`` hook for JSON encoders: bytes travel as base64 text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"type {type(value).__name__} is not JSON serializable")


def restore_binary(doc: Any, keys: frozenset[str]) -> Any:
    """Turn the base64 text under *keys* back into bytes, in place; return *doc*.

    The receiving side of a JSON message that carries binary must do this, so the
    cost is part of decoding.
    """
    if not keys:
        return doc
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys and isinstance(value, str):
                    node[key] = base64.b64decode(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(x for x in node if isinstance(x, dict | list))
    return doc
