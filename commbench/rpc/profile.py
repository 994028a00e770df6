"""The rpc family's knobs, one frozen dataclass per profile (folded into profiles.py later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RpcProfile:
    name: str
    payloads: tuple[str, ...]  # corpus payload names (commbench.corpus), sweep included
    sweep_sizes_bytes: tuple[int, ...]  # which sweep payloads to generate
    placements: tuple[str, ...]  # "same-core", "cross-core"
    calls: int  # timed calls per latency case (payloads under LARGE_BYTES)
    calls_large: int  # timed calls per latency case at or above LARGE_BYTES
    warmup: int
    max_seconds: float  # per case: every loop is bounded in time
    concurrency: tuple[int, ...]  # calls in flight for the load sweep
    load_seconds: float  # per concurrency level
    open_loop_fraction: float  # open-loop rate as a fraction of the measured maximum
    reference_calls: int  # the side-by-side references
    codec_seconds: float  # measuring the codec work of one echo, per latency case
    fault_frameworks: tuple[str, ...]  # frameworks run through the fault cases
    fault_seconds: float  # one fault run (the fault at a quarter, the hold a fifth)
    byref_frameworks: tuple[str, ...]  # by value vs by reference
    byref_sizes_bytes: tuple[int, ...]
    byref_calls: int  # per size and mode, at most
    byref_seconds: float  # per size and mode, at most
    tls_frameworks: tuple[str, ...]  # TLS off against on (frameworks with tls=True)


LARGE_BYTES = 100_000

QUICK = RpcProfile(
    name="quick",
    payloads=("rpc", "sweep-10KB", "sweep-1MB"),
    sweep_sizes_bytes=(10_000, 1_000_000),
    placements=("cross-core",),
    calls=300,
    calls_large=20,
    warmup=20,
    max_seconds=2.0,
    concurrency=(1, 4, 16),
    load_seconds=0.6,
    open_loop_fraction=0.5,
    reference_calls=1000,
    codec_seconds=0.2,
    fault_frameworks=("tcp", "grpc"),
    fault_seconds=2.0,
    byref_frameworks=("tcp",),
    byref_sizes_bytes=(64, 4096, 262_144, 4 * 2**20),
    byref_calls=100,
    byref_seconds=0.4,
    tls_frameworks=("grpc", "connect-proto", "jsonrpc"),  # Connect JSON: in full
)

FULL = RpcProfile(
    name="full",
    payloads=("rpc", "github", "sweep-100B", "sweep-1KB", "sweep-10KB", "sweep-100KB",
              "sweep-1MB"),
    sweep_sizes_bytes=(100, 1_000, 10_000, 100_000, 1_000_000),
    placements=("same-core", "cross-core"),
    calls=3000,
    calls_large=100,
    warmup=100,
    max_seconds=8.0,
    concurrency=(1, 4, 16, 64),
    load_seconds=2.0,
    open_loop_fraction=0.5,
    reference_calls=3000,
    codec_seconds=0.5,
    fault_frameworks=("tcp", "zmq", "grpc", "grpc-aio", "connect-proto", "connect-json",
                      "jsonrpc", "capnp"),
    fault_seconds=3.0,
    byref_frameworks=("tcp", "grpc"),
    byref_sizes_bytes=tuple(64 * 4**k for k in range(11)),  # 64 B .. 64 MiB
    byref_calls=500,
    byref_seconds=1.0,
    tls_frameworks=("grpc", "grpc-aio", "connect-proto", "connect-json", "jsonrpc"),
)  # fmt: skip

PROFILES = {p.name: p for p in (QUICK, FULL)}


def profile(name: str) -> RpcProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})") from None
