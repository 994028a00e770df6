"""Reading a JSON file a user handed us: every problem is one line, never a traceback."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import simdjson

from commbench.errors import UserError


def read_json(
    path: Path,
    label: str,
    *,
    hint: str = "",
    number_array: tuple[str, ...] = (),
    drop: bool = False,
) -> Any:
    """The document in *path*, or UserError naming ``label`` and the problem.

    ``hint`` is added after "not valid JSON" (e.g. " (truncated or corrupt?)").
    ``number_array``: the keys leading to arrays that, when of numbers only, come back as
    read-only float64 numpy arrays instead of lists; ``"*"`` stands for every item of an
    array (``("benchmarks", "*", "stats", "data")``: every benchmark's raw samples). They
    are parsed without making a Python float per number, which is most of the time of
    reading a result file holding raw samples. ``drop``: leave the values at
    ``number_array`` out altogether (their keys absent), for readers that need no samples.
    """
    if number_array:
        try:
            return _with_number_arrays(_parser().load(str(path)), number_array, drop)
        except (OSError, ValueError, RuntimeError):
            _PARSERS.parser = None  # one that failed half-way may hold stale documents
            # unreadable, NaN, a BOM, or a real error: the paths below say which
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
    try:
        return _dropped(orjson.loads(raw), number_array if drop else ())  # 3x faster than json
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
        return _dropped(json.loads(text), number_array if drop else ())
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{label}: not valid JSON{hint} at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise UserError(f"{label}: nested too deeply for Python's JSON parser") from None


_PARSERS = threading.local()


def _parser() -> simdjson.Parser:
    """This thread's simdjson parser. Reused: it keeps its buffers from one file to the
    next, which saves the page faults of a new 100 MB buffer per file (a third of the
    time of reading a big result file)."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = simdjson.Parser()
    return parser


def _dropped(doc: Any, path: tuple[str, ...]) -> Any:
    """*doc* without the values at *path* (``"*"``: every item of an array); as is when
    *path* is empty or leads nowhere."""
    if not path:
        return doc
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(doc, list):
        for item in doc:
            _dropped(item, rest)
    elif isinstance(doc, dict) and head in doc:
        if rest:
            _dropped(doc[head], rest)
        else:
            del doc[head]
    return doc


def _with_number_arrays(node: Any, path: tuple[str, ...], drop: bool = False) -> Any:
    """A simdjson document as Python objects, the number array at *path* as float64 (left
    out with *drop*).

    Only the objects on *path* are walked here; everything else is converted by simdjson
    in one call.
    """
    if not path:
        if isinstance(node, simdjson.Array):
            try:
                return np.frombuffer(node.as_buffer(of_type="d"), dtype=np.float64)
            except (TypeError, ValueError):  # not numbers only: an ordinary list
                pass
        return _plain(node)
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(node, simdjson.Array):
        return [_with_number_arrays(item, rest, drop) for item in node]
    if isinstance(node, simdjson.Object):
        return {
            key: _with_number_arrays(node[key], rest, drop) if key == head else _plain(node[key])
            for key in node
            if not (drop and key == head and not rest)
        }
    return _plain(node)


def _plain(node: Any) -> Any:
    if isinstance(node, simdjson.Object):
        return node.as_dict()
    if isinstance(node, simdjson.Array):
        return node.as_list()
    return node
