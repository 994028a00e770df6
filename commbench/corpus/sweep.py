"""The size sweep: RPC records wrapped as ``{"records": [...]}`` up to a target size."""

from __future__ import annotations

import random
from typing import Any

from commbench.corpus import Payload, compact_json_size
from commbench.corpus.rpc import record

_WRAPPER_BYTES = len('{"records":[]}')
TOLERANCE = 0.2
"""The compact JSON of a sweep payload is within 20% of its target size."""


def size_label(target_bytes: int) -> str:
    """100 -> "100B", 10_000 -> "10KB", 1_000_000 -> "1MB" (decimal units)."""
    for unit, scale in (("MB", 10**6), ("KB", 10**3)):
        if target_bytes >= scale and target_bytes % scale == 0:
            return f"{target_bytes // scale}{unit}"
    return f"{target_bytes}B"


def _shrink(rec: dict[str, Any]) -> bool:
    """Make *rec* a little smaller; False when there is nothing left to trim."""
    if rec["tags"]:
        rec["tags"].pop()
    elif len(rec["user"]) > 1:
        rec["user"] = rec["user"][: len(rec["user"]) // 2]
    elif len(rec["method"]) > 1:
        rec["method"] = rec["method"][: len(rec["method"]) // 2]
    elif rec["id"] >= 10:
        rec["id"] //= 1000
    elif rec["args"]["offset"]:
        rec["args"]["offset"] = 0  # the first page
    elif rec["ts"] != round(rec["ts"], 1):
        rec["ts"] = round(rec["ts"], 1)
    else:
        return False
    return True


def sweep_payload(target_bytes: int, seed: int = 0) -> Payload:
    """Records adding up to ~*target_bytes* of compact JSON (message ``Sweep``)."""
    if target_bytes <= 0:
        raise ValueError(f"target size must be positive, got {target_bytes}")
    rng = random.Random(f"sweep-{target_bytes}-{seed}")
    records: list[dict[str, Any]] = []
    size = _WRAPPER_BYTES - 1  # the first record needs no comma
    while not records or size < target_bytes:
        rec = record(rng)
        grown = size + 1 + compact_json_size(rec)
        if records and grown - target_bytes > target_bytes - size:
            break  # the record would overshoot more than stopping here undershoots
        records.append(rec)
        size = grown
    while size > target_bytes and _shrink(records[-1]):
        size = _WRAPPER_BYTES + len(records) - 1 + sum(map(compact_json_size, records))
    label = size_label(target_bytes)
    return Payload(
        name=f"sweep-{label}",
        value={"records": records},
        message="Sweep",
        source="sweep",
        description=f"{len(records)} RPC records, ~{label} of compact JSON",
        params={"seed": seed, "target_bytes": target_bytes, "records": len(records)},
    )
