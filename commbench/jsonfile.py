"""Reading a JSON file a user handed us: every problem is one line, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from commbench.errors import UserError


def read_json(path: Path, label: str, *, hint: str = "") -> Any:
    """The document in *path*, or UserError naming ``label`` and the problem.

    ``hint`` is added after "not valid JSON" (e.g. " (truncated or corrupt?)").
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
