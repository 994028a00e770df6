"""Which rpc measurements a run makes: framework x placement x payload, and their labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commbench.corpus import GENERATORS, Payload, compact_json_size
from commbench.corpus.sweep import size_label, sweep_payload
from commbench.rpc import FRAMEWORKS, Framework
from commbench.rpc.profile import LARGE_BYTES, RpcProfile
from commbench.transports.placement import Placement, placements


def rpc_payloads(prof: RpcProfile, seed: int = 0) -> dict[str, Payload]:
    """The profile's payloads by name: corpus shapes and sweep sizes."""
    found = {f"sweep-{size_label(s)}": sweep_payload(s, seed) for s in prof.sweep_sizes_bytes}
    for name in prof.payloads:
        if name not in found:
            found[name] = GENERATORS[name](seed)
    return {name: found[name] for name in prof.payloads}


def rpc_placements(prof: RpcProfile) -> list[Placement]:
    return [p for p in placements(spinning=False) if p.name in prof.placements]


@dataclass(frozen=True)
class Case:
    framework: Framework
    placement: Placement
    payload: Payload
    size_bytes: int  # compact JSON bytes of the document (the corpus's size measure)
    path: str = "localhost"  # or "lan": calls to `commbench peer`'s servers (--peer)

    @property
    def id(self) -> str:
        return f"{self.framework.name}-{self.placement.name}-{self.payload.name}"

    def calls(self, prof: RpcProfile) -> int:
        return prof.calls_large if self.size_bytes >= LARGE_BYTES else prof.calls

    def params(self) -> dict[str, Any]:
        return {
            "framework": self.framework.name,
            "encoding": self.framework.encoding,
            "payload": self.payload.name,
            "size_bytes": self.size_bytes,
            "placement": self.placement.name,
            "client_cpu": self.placement.client_cpu,
            "server_cpu": self.placement.peer_cpu,
            "path": self.path,
            "measure": "latency",
            "tls": False,
            "concurrency": 1,
            "connections": 1,
        }


def spots(prof: RpcProfile, peer: str | None) -> tuple[list[Placement], str]:
    """Placements and path: the profile's on loopback, or the LAN's with ``--peer``."""
    if peer:
        from commbench.transports.cases import lan_placement

        return [lan_placement()], "lan"
    return rpc_placements(prof), "localhost"


def latency_cases(prof: RpcProfile, peer: str | None = None) -> list[Case]:
    """Grouped by framework and placement, so one server runs at a time."""
    payloads = rpc_payloads(prof)
    sizes = {name: compact_json_size(p.value) for name, p in payloads.items()}
    where, path = spots(prof, peer)
    return [
        Case(framework, placement, payload, sizes[name], path)
        for framework in FRAMEWORKS.values()
        for placement in where
        for name, payload in payloads.items()
    ]


@dataclass(frozen=True)
class LoadCase:
    """Calls under load: *concurrency* in flight (closed loop), or open loop when None."""

    framework: Framework
    placement: Placement
    payload: Payload
    size_bytes: int
    concurrency: int | None  # None: open loop at a fraction of the measured maximum
    path: str = "localhost"

    @property
    def id(self) -> str:
        mode = "open" if self.concurrency is None else f"c{self.concurrency}"
        return f"{self.framework.name}-{self.placement.name}-{self.payload.name}-{mode}"

    def params(self) -> dict[str, Any]:
        return {
            "framework": self.framework.name,
            "encoding": self.framework.encoding,
            "payload": self.payload.name,
            "size_bytes": self.size_bytes,
            "placement": self.placement.name,
            "client_cpu": self.placement.client_cpu,
            "server_cpu": self.placement.peer_cpu,
            "path": self.path,
            "measure": "open-loop" if self.concurrency is None else "concurrency",
            "tls": False,
        }


LOAD_PAYLOAD = "rpc"


def load_cases(prof: RpcProfile, peer: str | None = None) -> list[LoadCase]:
    """Concurrency levels then the open loop, per framework, on the widest placement."""
    payload = GENERATORS[LOAD_PAYLOAD](0)
    size = compact_json_size(payload.value)
    where, path = spots(prof, peer)
    placement = where[-1]  # cross-core where there are two cores
    levels: list[int | None] = [*prof.concurrency, None]
    return [
        LoadCase(framework, placement, payload, size, level, path)
        for framework in FRAMEWORKS.values()
        for level in levels
    ]
