"""Dissemination: topologies, protocols and metrics (pure, seeded, vectorised).

Each protocol module exposes ``PROTOCOLS: tuple[Protocol, ...]``; this registry
collects them for ``commbench simulate`` and the benchmarks.
"""

from __future__ import annotations

from commbench.dissemination.protocol import Option, Protocol, simulate
from commbench.registry import collect

_MODULES = ("flooding", "anti_entropy", "rumor", "death_certificates", "tree_multicast", "plumtree")


PROTOCOLS: dict[str, Protocol] = collect("commbench.dissemination", _MODULES, "PROTOCOLS")

__all__ = ["PROTOCOLS", "Option", "Protocol", "simulate"]
