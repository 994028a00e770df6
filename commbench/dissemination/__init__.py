"""Dissemination: topologies, protocols and metrics (pure, seeded, vectorised).

Each protocol module exposes ``PROTOCOLS: tuple[Protocol, ...]``; this registry
collects them for ``commbench simulate`` and the benchmarks.
"""

from __future__ import annotations

import importlib

from commbench.dissemination.protocol import Option, Protocol, simulate

_MODULES = ("flooding", "anti_entropy", "rumor", "death_certificates", "tree_multicast", "plumtree")


def _registry() -> dict[str, Protocol]:
    protocols: dict[str, Protocol] = {}
    for name in _MODULES:
        try:
            module = importlib.import_module(f"commbench.dissemination.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"commbench.dissemination.{name}":
                raise
            continue  # not written yet
        for protocol in module.PROTOCOLS:
            protocols[protocol.name] = protocol
    return protocols


PROTOCOLS: dict[str, Protocol] = _registry()

__all__ = ["PROTOCOLS", "Option", "Protocol", "simulate"]
