"""Run profiles: every knob of what ``quick`` and ``full`` measure, in one place.

``quick`` is a first look: the marshalling family in under a minute on 2 cores, five
latency sizes, five seeded dissemination runs. ``full`` measures longer for numbers to
publish: every power-of-two size from 1 B to 1 MiB, 10,000 round trips per small
latency case (OSU ``osu_latency``'s count), 30 seeded runs and n up to 10^5.

Any ``--benchmark-*`` option given on the command line overrides
:attr:`Profile.benchmark_flags`. A family reads its knobs from here
(``profile(name).latency_sizes_bytes``), never from a dict of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commbench.errors import UserError

LATENCY_SIZES_BYTES = tuple(2**i for i in range(21))  # 1 B .. 1 MiB


@dataclass(frozen=True)
class Profile:
    """What one profile measures, family by family."""

    name: str
    description: str
    benchmark_flags: tuple[str, ...]
    """pytest-benchmark's own flags: how long each timed benchmark runs."""
    # marshalling
    sweep_sizes_bytes: tuple[int, ...]
    """Target sizes (compact JSON bytes) of the RPC-record size sweep."""
    # latency
    latency_sizes_bytes: tuple[int, ...]
    latency_round_trips: int
    """Timed round trips per small message; >= 64 KiB gets a quarter, >= 1 MiB a 40th."""
    latency_max_seconds: float
    """Time limit of one latency case: a stalled transport ends here."""
    # throughput
    throughput_sizes_bytes: tuple[int, ...]
    throughput_bytes_per_run: int
    throughput_max_messages: int
    throughput_runs: int
    throughput_max_seconds: float
    # dissemination
    dissemination_sizes: tuple[int, ...]
    """Node counts n of the scaling benchmarks."""
    dissemination_runs: int
    """Seeded runs per dissemination benchmark (means and 95% CIs over them)."""

    # The newer families keep their knobs in one frozen dataclass of their own package
    # (sizes, frameworks, modes, faults, phases); these name it for this profile.
    @property
    def floors(self) -> Any:
        """Native floors: :class:`commbench.transports.native.FloorProfile`."""
        from commbench.transports import native

        return native.PROFILES[self.name]

    @property
    def rpc(self) -> Any:
        """RPC: :class:`commbench.rpc.profile.RpcProfile`."""
        from commbench.rpc import profile

        return profile.PROFILES[self.name]

    @property
    def messaging(self) -> Any:
        """Messaging: :class:`commbench.messaging.profile.MessagingProfile`."""
        from commbench.messaging import profile

        return profile.PROFILES[self.name]

    @property
    def cap(self) -> Any:
        """CAP: :class:`commbench.cap.profile.CapProfile`."""
        from commbench.cap import profile

        return profile.PROFILES[self.name]


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        description="a first look: short timings, few sizes, 5 seeded runs",
        benchmark_flags=(
            "--benchmark-max-time=0.04",
            "--benchmark-min-rounds=5",
            "--benchmark-min-time=0.0001",
            "--benchmark-warmup=on",
            "--benchmark-warmup-iterations=20",
        ),
        sweep_sizes_bytes=(100, 10_000, 1_000_000),
        latency_sizes_bytes=(1, 64, 4096, 65536, 2**20),
        latency_round_trips=2000,
        latency_max_seconds=5.0,
        throughput_sizes_bytes=(64, 4096, 65536, 2**20),
        throughput_bytes_per_run=32 * 2**20,
        throughput_max_messages=20_000,
        throughput_runs=3,
        throughput_max_seconds=10.0,
        dissemination_sizes=(1000, 10_000),
        dissemination_runs=5,
    ),
    "full": Profile(
        name="full",
        description="numbers to publish: longer timings, every size, 30 seeded runs",
        benchmark_flags=(
            "--benchmark-max-time=0.5",
            "--benchmark-min-rounds=15",
            "--benchmark-min-time=0.0005",
            "--benchmark-warmup=on",
            "--benchmark-warmup-iterations=1000",
        ),
        sweep_sizes_bytes=(100, 1_000, 10_000, 100_000, 1_000_000),
        latency_sizes_bytes=LATENCY_SIZES_BYTES,
        latency_round_trips=10_000,
        latency_max_seconds=30.0,
        throughput_sizes_bytes=(16, 256, 4096, 65536, 2**20),
        throughput_bytes_per_run=128 * 2**20,
        throughput_max_messages=100_000,
        throughput_runs=5,
        throughput_max_seconds=60.0,
        dissemination_sizes=(1000, 10_000, 100_000),
        dissemination_runs=30,
    ),
}

DEFAULT_PROFILE = "quick"


def profile(name: str) -> Profile:
    """The profile called *name*; a UserError naming the choices otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UserError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}") from None
