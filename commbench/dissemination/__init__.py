"""Dissemination: topologies, protocols and metrics (pure, seeded, vectorised).

Each protocol module exposes ``PROTOCOLS: tuple[Protocol, ...]``; this registry
collects them for ``commbench simulate`` and the benchmarks.
"""

from __future__ import annotations

from typing import Any

from commbench.dissemination.protocol import Option, Protocol, simulate
from commbench.registry import collect

_MODULES = (
    "flooding",
    "anti_entropy",
    "rumor",
    "death_certificates",
    "tree_multicast",
    "group_multicast",
    "plumtree",
)


def __getattr__(name: str) -> Any:
    """``PROTOCOLS``, collected on first use: importing every protocol module (networkx,
    scipy.sparse) takes most of a second, which ``import commbench.dissemination.rumor``
    (the report's analytic curve) should not pay."""
    if name == "PROTOCOLS":
        protocols: dict[str, Protocol] = collect("commbench.dissemination", _MODULES, "PROTOCOLS")
        globals()["PROTOCOLS"] = protocols
        return protocols
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PROTOCOLS", "Option", "Protocol", "simulate"]
