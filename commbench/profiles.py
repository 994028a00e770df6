"""Run profiles: how long each benchmark is measured, and which sizes are swept.

``quick`` is for a first look (the whole marshalling family in under a minute on
2 cores); ``full`` measures longer for numbers to publish. Any
``--benchmark-*`` option given on the command line overrides these.
"""

from __future__ import annotations

PROFILES: dict[str, tuple[str, ...]] = {
    "quick": (
        "--benchmark-max-time=0.04",
        "--benchmark-min-rounds=5",
        "--benchmark-min-time=0.0001",
        "--benchmark-warmup=on",
        "--benchmark-warmup-iterations=20",
    ),
    "full": (
        "--benchmark-max-time=0.5",
        "--benchmark-min-rounds=15",
        "--benchmark-min-time=0.0005",
        "--benchmark-warmup=on",
        "--benchmark-warmup-iterations=1000",
    ),
}

DEFAULT_PROFILE = "quick"
