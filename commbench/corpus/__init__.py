"""The payload corpus: realistic documents, regenerated from a seed.

Each built-in shape is one small module with ``generate(seed) -> Payload``; the
documents are plain Python (dict, list, str, int, float, bool, None, and bytes
only in the blob). Dict keys are protobuf field names, so the same document is
carried by the message named in ``Payload.message`` (``payloads/corpus.proto``);
every field of that message is present in the document, a null as None.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Payload:
    """One document to marshal, with where it came from."""

    name: str
    value: Any
    message: str | None  # top-level message in payloads/corpus.proto; None for user payloads
    source: str  # "builtin", "sweep" or "user"
    description: str
    params: dict = field(default_factory=dict)


def sweep_sizes(profile: str) -> list[int]:
    """Target sizes (compact JSON bytes) of the size sweep for *profile*."""
    from commbench.profiles import PROFILES

    if profile not in PROFILES:
        choices = ", ".join(PROFILES)
        raise ValueError(f"unknown profile {profile!r} (choose from {choices})")
    return list(PROFILES[profile].sweep_sizes_bytes)


def builtin_payloads(profile: str = "quick", seed: int = 0) -> list[Payload]:
    """The built-in shapes followed by the size sweep of *profile*, all from *seed*."""
    sizes = sweep_sizes(profile)
    return [generate(seed) for generate in GENERATORS.values()] + [
        sweep.sweep_payload(size, seed) for size in sizes
    ]


def binary_keys(payload: Payload) -> frozenset[str]:
    """Dict keys whose values are bytes anywhere in the document (JSON sends them as base64)."""
    keys: set[str] = set()
    stack = [payload.value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, bytes):
                    keys.add(key)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(x for x in node if isinstance(x, dict | list))
    return frozenset(keys)


def _b64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"type {type(value).__name__} is not JSON serializable")


def compact_json_size(value: Any) -> int:
    """Bytes of *value* as compact UTF-8 JSON (bytes counted as base64 text)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_b64)
    return len(text.encode("utf-8", "surrogatepass"))


# The shape modules import Payload from this package, so they come after it.
from commbench.corpus import (  # noqa: E402
    blob,
    canada,
    citm,
    github,
    rpc,
    sweep,
    twitter,
)

GENERATORS: dict[str, Callable[[int], Payload]] = {
    "twitter": twitter.generate,
    "canada": canada.generate,
    "citm": citm.generate,
    "github": github.generate,
    "rpc": rpc.generate,
    "blob": blob.generate,
}
"""Built-in shape name -> ``generate(seed) -> Payload``."""

__all__ = [
    "GENERATORS",
    "Payload",
    "binary_keys",
    "builtin_payloads",
    "compact_json_size",
    "sweep_sizes",
]
