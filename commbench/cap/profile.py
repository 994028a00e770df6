"""The cap family's knobs: one frozen dataclass per profile (folded into profiles.py later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CapProfile:
    runs: tuple[tuple[str, str, str], ...]
    """(store, mode, scenario fault) per benchmark row."""
    before_s: float
    during_s: float
    after_s: float
    rate_per_client: float
    keys: int
    op_timeout_s: float
    checker_budget_steps: int
    pbs_samples: int = 300
    """Latency samples per member for PBS's model (Redis, healthy, async)."""
    pbs_trials: int = 100
    """Observed write-then-read trials per W and per t of the sweep."""


FULL_FAULTS = (
    "leader-isolated",
    "follower-isolated",
    "leader-link-down",
    "leader-killed",
    "leader-paused",
)
"""Every scenario of the full profile (see :data:`commbench.cap.workload.FAULTS`)."""

QUICK = CapProfile(
    runs=(
        ("etcd", "linearizable", "leader-isolated"),
        ("etcd", "serializable", "leader-isolated"),
        ("redis", "async", "leader-isolated"),
        ("nats", "kv-r3", "leader-isolated"),
        # the lecture's "replicas keep the service up when an instance dies" needs a kill
        ("etcd", "linearizable", "leader-killed"),
    ),
    before_s=2.0,
    during_s=5.0,
    after_s=10.0,  # Sentinel demotes a returning old primary ~8 s after the heal
    rate_per_client=40.0,
    keys=3,
    op_timeout_s=1.0,
    checker_budget_steps=2_000_000,
    pbs_samples=300,
    pbs_trials=100,
)

FULL = CapProfile(
    runs=tuple(
        (store, mode, fault)
        for store, modes in (
            ("etcd", ("linearizable", "serializable")),
            ("redis", ("async", "wait")),
            ("nats", ("kv-r3", "kv-r3-leader")),
        )
        for mode in modes
        for fault in FULL_FAULTS
    ),
    before_s=3.0,
    during_s=8.0,
    after_s=12.0,  # Sentinel demotes a returning old primary ~8 s after the heal
    rate_per_client=40.0,
    keys=5,
    op_timeout_s=1.0,
    checker_budget_steps=10_000_000,
    pbs_samples=1000,
    pbs_trials=400,
)

PROFILES: dict[str, CapProfile] = {"quick": QUICK, "full": FULL}
