"""Reading a JSON file a user handed us: every problem is one line, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import simdjson

from commbench.errors import UserError


def read_json(
    path: Path, label: str, *, hint: str = "", number_arrays: frozenset[str] = frozenset()
) -> Any:
    """The document in *path*, or UserError naming ``label`` and the problem.

    ``hint`` is added after "not valid JSON" (e.g. " (truncated or corrupt?)").
    ``number_arrays``: members named ``"parent.key"`` (e.g. ``"stats.data"``: the key
    ``data`` of any object that is the value of a key ``stats``) whose value, when an array
    of numbers only, comes back as a read-only float64 numpy array instead of a list. It is
    parsed without making a Python float per number, which is most of the time of reading
    a result file holding raw samples.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{label}: is a directory, not a JSON file") from None
    except OSError as exc:
        raise UserError(f"{label}: cannot read: {exc.strerror}") from None
    if not raw:
        raise UserError(f"{label}: empty file (it must hold one JSON document)")
    if b"\x00" in raw[:8192]:
        raise UserError(f"{label}: binary file, not JSON text")
    if number_arrays:
        try:
            return _with_number_arrays(simdjson.Parser().parse(raw), number_arrays)
        except (ValueError, RuntimeError):
            pass  # NaN, a BOM, or a real error: the paths below say which
    try:
        return orjson.loads(raw)  # 3x faster than json on result files full of samples
    except orjson.JSONDecodeError:
        pass  # NaN or Infinity (Python's json writes them), a BOM, or a real error: below
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{label}: not UTF-8 text (byte {exc.start}): binary file, not JSON"
        ) from None
    if not text.strip():
        raise UserError(f"{label}: only white space (it must hold one JSON document)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{label}: not valid JSON{hint} at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise UserError(f"{label}: nested too deeply for Python's JSON parser") from None


def _with_number_arrays(node: Any, members: frozenset[str], parent: str = "") -> Any:
    """A simdjson document as Python objects, the arrays of *members* as float64 arrays."""
    if isinstance(node, simdjson.Object):
        out = {}
        for key in node:
            value = node[key]
            if f"{parent}.{key}" in members and isinstance(value, simdjson.Array):
                try:
                    value = np.frombuffer(value.as_buffer(of_type="d"), dtype=np.float64)
                except (TypeError, ValueError):  # not numbers only: an ordinary list
                    value = value.as_list()
            out[key] = _with_number_arrays(value, members, key)
        return out
    if isinstance(node, simdjson.Array):
        return [_with_number_arrays(item, members) for item in node]
    return node
