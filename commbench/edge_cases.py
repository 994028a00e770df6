"""Documents at the edges of what wire formats carry, and which codec carries which.

Each edge case either round-trips exactly through a codec or is recorded as
unsupported with the reason; a run never stops on one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from commbench.codecs import Codec, Unsupported
from commbench.corpus import Payload


def _nested(depth: int) -> list[Any]:
    doc: list[Any] = []
    for _ in range(depth - 1):
        doc = [doc]
    return doc


EDGE_CASES: dict[str, Any] = {
    "unicode-cjk": {"text": "日本語のテキスト, 中文, 한국어, emoji 🎉, é, ß, \u0000 nul"},
    "lone-surrogate": {"text": "half a pair: \ud800"},
    "int-beyond-64-bits": {"n": 2**70, "negative": -(2**70)},
    "int64-limits": {"max": 2**63 - 1, "min": -(2**63)},
    "nan-and-infinity": {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf")},
    "empty-containers": {"object": {}, "list": [], "text": ""},
    "empty-object": {},
    "nesting-depth-1000": {"deep": _nested(1000)},
    "null-in-list": {"items": [1, None, 3]},
    "heterogeneous-list": {"items": [1, "two", 3.0, True]},
}


def edge_payload(name: str) -> Payload:
    """The edge case *name* as a payload with no protobuf schema (one is inferred)."""
    return Payload(
        name=f"edge-{name}",
        value=EDGE_CASES[name],
        message=None,
        source="edge",
        description=f"edge case: {name}",
        params={},
    )


def support_matrix(codecs: Iterable[Codec]) -> list[dict[str, str]]:
    """For every codec and edge case: ``{"codec", "case", "outcome"}``.

    The outcome is "ok" when the document round-trips exactly, else the reason.
    """
    from commbench.marshalling import prepare

    rows = []
    for codec in codecs:
        for case in EDGE_CASES:
            try:
                prepare(codec, edge_payload(case))
                outcome = "ok"
            except Unsupported as exc:
                outcome = str(exc)
            rows.append({"codec": codec.name, "case": case, "outcome": outcome})
    return rows
