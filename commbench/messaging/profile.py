"""The messaging family's knobs: one frozen dataclass per profile (quick, full).

Quick takes one system and mode per cell of the lecture's 2x2 table (sync/async x
transient/persistent) with broker and consumer kills; full runs every system, mode and
fault. Every stream is bounded in messages and in time.
"""

from __future__ import annotations

from dataclasses import dataclass

from commbench.messaging.modes import FAULTS, MODES


@dataclass(frozen=True)
class RateSearch:
    """The search's bounds: every one of them limits trials or time."""

    start_per_s: float = 2000.0
    low_per_s: float = 100.0  # below this the mode is reported as not sustaining any rate
    high_per_s: float = 128_000.0
    trials: int = 6  # at most this many rates per mode
    retries: int = 1  # a failed trial is run again this often before its rate fails
    # (so at most trials * (1 + retries) streams per mode)
    trial_s: float = 1.0
    p99_bound_ms: float = 50.0
    min_pace: float = 0.9
    fractions: tuple[float, ...] = (0.5, 0.8, 0.95)
    size_bytes: int = 64


@dataclass(frozen=True)
class MessagingProfile:
    name: str
    latency_modes: tuple[str, ...]  # keys of modes.MODES
    latency_sizes_bytes: tuple[int, ...]
    latency_messages: int
    latency_rate_per_s: float  # paced: latency, not queueing, is measured
    throughput_modes: tuple[str, ...]
    throughput_sizes_bytes: tuple[int, ...]
    throughput_seconds: float  # the unpaced producer sends for this long at most
    crash_modes: tuple[str, ...]
    crash_faults: tuple[str, ...]
    crash_messages: int
    crash_rate_per_s: float
    crash_down_s: float
    crash_size_bytes: int = 64
    powercut_modes: tuple[str, ...] = ()  # the power cut (FUSE layer), on top of crash_faults
    pullers: tuple[int, ...] = (1, 2, 4)  # ZeroMQ PUSH/PULL: the share of each puller
    pullers_messages: int = 2000
    # MPI rank kill (commbench.messaging.rankkill): ranks, launcher policies, victims
    rank_kill_ranks: tuple[int, ...] = (4,)
    rank_kill_policies: tuple[str, ...] = ("hydra-default",)
    rank_kill_victims: tuple[str, ...] = ("consumer",)  # consumer: the last rank; producer: 0
    rank_kill_limit_s: float = 10.0
    # maximum sustainable rate (commbench.messaging.maxrate), then latency at fractions
    rate_modes: tuple[str, ...] = ()
    rate_search: RateSearch = RateSearch()
    # LAN (--peer): brokers started on the peer by `commbench peer`, paced e2e latency
    lan_modes: tuple[str, ...] = ("nats/core", "nats/js-always")


# One per cell: core NATS publish (async, transient), a Redis Streams XADD in memory
# awaiting its reply (sync, transient), JetStream publish_async (async, persistent) and
# a JetStream publish awaiting its ack with sync_interval always (sync, persistent).
# js-default beside js-always gives the cost of fsync in the same run.
QUICK_CELLS = ("nats/core", "redis/memory", "nats/js-async", "nats/js-always")

QUICK = MessagingProfile(
    name="quick",
    latency_modes=(*QUICK_CELLS, "nats/js-default"),
    latency_sizes_bytes=(64, 4096, 65536),
    latency_messages=1000,
    latency_rate_per_s=1000.0,
    throughput_modes=QUICK_CELLS,
    throughput_sizes_bytes=(64,),
    throughput_seconds=1.5,
    # and ZeroMQ, whose killed peer loses what it had queued (the lecture's claim)
    crash_modes=(*QUICK_CELLS, "zmq/push-pull"),
    crash_faults=("consumer-kill", "broker-kill"),
    crash_messages=1500,
    crash_rate_per_s=1000.0,
    crash_down_s=0.5,
    powercut_modes=("nats/js-async", "nats/js-always"),  # default sync against always
    rate_modes=("nats/core", "nats/js-async"),  # transient against persistent, async both
    rate_search=RateSearch(start_per_s=4000.0, trials=6, trial_s=1.0),
)

FULL = MessagingProfile(
    name="full",
    latency_modes=tuple(MODES),
    latency_sizes_bytes=(64, 1024, 16384, 65536),
    latency_messages=2000,
    latency_rate_per_s=1000.0,
    throughput_modes=tuple(MODES),
    throughput_sizes_bytes=(64, 16384),
    throughput_seconds=2.0,
    crash_modes=tuple(MODES),
    crash_faults=tuple(f for f in FAULTS if f not in ("none", "power-cut")),
    crash_messages=2000,
    crash_rate_per_s=1000.0,
    crash_down_s=1.0,
    powercut_modes=tuple(k for k, m in MODES.items() if m.persistent),
    rank_kill_ranks=(2, 4),
    rank_kill_policies=("hydra-default", "disable-auto-cleanup"),
    rank_kill_victims=("consumer", "producer"),
    rate_modes=tuple(MODES),
    rate_search=RateSearch(start_per_s=2000.0, trials=5, trial_s=0.8),
    rank_kill_limit_s=5.0,
)

# The small committed result for the report's golden tests (tests/data): chosen with
# the pytest option --messaging-profile tiny (also `commbench run --messaging-profile`),
# which overrides --profile for this family only.
TINY = MessagingProfile(
    name="tiny",
    latency_modes=("nats/core", "nats/js-always"),
    latency_sizes_bytes=(64,),
    latency_messages=300,
    latency_rate_per_s=1000.0,
    throughput_modes=("nats/core",),
    throughput_sizes_bytes=(64,),
    throughput_seconds=0.5,
    crash_modes=("nats/core", "nats/js-always"),
    crash_faults=("consumer-kill", "broker-kill"),
    crash_messages=600,
    crash_rate_per_s=1000.0,
    crash_down_s=0.3,
    pullers=(),
    rank_kill_limit_s=5.0,
    rate_modes=("nats/core",),
    rate_search=RateSearch(start_per_s=2000.0, trials=3, trial_s=0.5, fractions=(0.5, 0.95)),
)

PROFILES: dict[str, MessagingProfile] = {"quick": QUICK, "full": FULL, "tiny": TINY}
