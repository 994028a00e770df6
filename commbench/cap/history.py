"""Histories of register operations: the record a workload writes and the checker reads.

One operation per JSON line, Jepsen-style but flattened (invoke and completion in one record)::

    {"process": 3, "key": "k1", "f": "write", "value": "v-3-17",
     "invoke_s": 12.5, "complete_s": 12.51, "outcome": "ok"}

- ``f`` is ``read`` (``value`` = the value read, null when the key is absent),
  ``write`` (``value`` = the value written) or ``cas`` (``value`` = [expected, new]).
- ``outcome`` is ``ok`` (took effect, result known), ``fail`` (definitely did not take
  effect; a compare-and-set whose comparison failed is a ``fail``) or ``unknown`` (a timeout:
  may or may not have taken effect). An unknown operation's completion is infinity
  (``complete_s`` null in the file).
- Times are seconds of one monotonic clock; only their order matters to the checker.
- Extra fields (``side``, ``phase``, ``node``, ``error``) are kept and ignored by the checker.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from commbench.errors import UserError

KINDS = ("read", "write", "cas")
OUTCOMES = ("ok", "fail", "unknown")
INF = math.inf


@dataclass(frozen=True, slots=True)
class Op:
    """One register operation with its invoke and completion times and its outcome."""

    process: int
    key: str
    f: str
    value: Any
    invoke_s: float
    complete_s: float
    outcome: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        extra = record.pop("extra")
        if isinstance(record["value"], tuple):
            record["value"] = list(record["value"])
        if math.isinf(record["complete_s"]):
            record["complete_s"] = None
        return {**record, **extra}


def op(
    process: int,
    key: str,
    f: str,
    value: Any,
    invoke_s: float,
    complete_s: float | None,
    outcome: str = "ok",
    **extra: Any,
) -> Op:
    """Build and validate an :class:`Op`; an unknown outcome completes at infinity."""
    if f not in KINDS:
        raise UserError(f"history: operation kind {f!r} is not one of {', '.join(KINDS)}")
    if outcome not in OUTCOMES:
        raise UserError(f"history: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if f == "cas":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise UserError(f"history: a cas value is [expected, new], not {value!r}")
        value = tuple(value)
    complete = INF if outcome == "unknown" or complete_s is None else float(complete_s)
    if outcome != "unknown" and math.isinf(complete):
        raise UserError("history: only an unknown outcome may lack a completion time")
    if complete < invoke_s:
        raise UserError(f"history: an operation completes ({complete}) before it starts")
    return Op(int(process), str(key), f, value, float(invoke_s), complete, outcome, extra)


_FIELDS = ("process", "key", "f", "value", "invoke_s", "complete_s", "outcome")


def from_json(record: dict[str, Any]) -> Op:
    try:
        fields = [record[name] for name in _FIELDS]
    except KeyError as exc:
        raise UserError(f"history: a record lacks the field {exc.args[0]!r}") from None
    extra = {k: v for k, v in record.items() if k not in _FIELDS}
    return op(*fields, **extra)


def save(ops: Iterable[Op], path: Path | str) -> Path:
    """Write *ops* as JSON lines to *path* (its folder is created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for o in ops:
            f.write(json.dumps(o.to_json(), separators=(",", ":")) + "\n")
    return path


def load(path: Path | str) -> list[Op]:
    """Read a JSON-lines history; a bad line is a :class:`UserError` naming the line."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise UserError(f"history {path}: {exc.strerror}") from None
    ops = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ops.append(from_json(json.loads(line)))
        except (ValueError, TypeError, UserError) as exc:
            raise UserError(f"history {path}:{number}: {exc}") from None
    return ops


def by_key(ops: Iterable[Op]) -> dict[str, list[Op]]:
    """The per-key sub-histories, keys in order of their first invocation."""
    keys: dict[str, list[Op]] = {}
    for o in sorted(ops, key=lambda o: o.invoke_s):
        keys.setdefault(o.key, []).append(o)
    return keys


def iter_jsonable(ops: Iterable[Op]) -> Iterator[dict[str, Any]]:
    for o in ops:
        yield o.to_json()
