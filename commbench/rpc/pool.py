"""The running server and connected client shared by the payloads of one framework x placement.

Cases come grouped by framework and placement, so one server runs at a time: asking
for another closes the previous client and stops its server by PID, and restores
this process's CPU affinity. :meth:`ServerPool.close` runs at the end of the
session whatever happens, so no server outlives the run.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from commbench.rpc import Client, Framework, Unsupported, load
from commbench.rpc.process import PeerError, ServerProcess
from commbench.transports.placement import Placement


@dataclass
class Open:
    framework: Framework
    server: ServerProcess
    client: Client
    adapter: ModuleType
    options: dict[str, Any]

    def more_clients(self, n: int) -> list[Client]:
        """*n* clients for *n* calls in flight: the same one where calls multiplex (HTTP/2),
        else this one and n - 1 new connections (close those with :func:`close_all`)."""
        if self.framework.multiplexed:
            return [self.client] * n
        return [self.client] + [
            self.adapter.connect(self.server.address, self.options) for _ in range(n - 1)
        ]

    def connections(self, n: int) -> int:
        return 1 if self.framework.multiplexed else n

    @property
    def info(self) -> dict[str, Any]:
        skip = ("pid", "server", "listen", "cpu")
        return {**{k: v for k, v in self.server.info.items() if k not in skip}, **self.client.info}


def open_pair(
    framework_name: str, placement: Placement | None, options: dict[str, Any] | None = None
) -> Open:
    """Start the framework's server (pinned) and connect a client (this process pinned)."""
    framework, adapter = load(framework_name)
    merged = {**framework.options, **(options or {})}
    if placement is not None:
        os.sched_setaffinity(0, {placement.client_cpu})
    try:
        server = ServerProcess(
            framework.name, cpu=placement.peer_cpu if placement else None, options=merged
        )
    except PeerError as exc:
        raise Unsupported(f"server did not start: {exc}") from None
    try:
        client = adapter.connect(server.address, merged)
    except BaseException:
        server.stop()
        raise
    return Open(framework, server, client, adapter, merged)


def close_all(clients: list[Client], keep: Client) -> None:
    """Close the clients :meth:`Open.more_clients` opened (not *keep*, the pair's own)."""
    for client in {id(c): c for c in clients if c is not keep}.values():
        client.close()


def open_remote(framework_name: str, placement: Placement, servers: dict[str, Any]) -> Open:
    """Connect a client (this process pinned) to the framework's server on the LAN peer
    (:mod:`commbench.rpc.lan`); :class:`Unsupported` with the peer's reason when it has none."""
    from commbench.rpc.lan import RemoteServer

    framework, adapter = load(framework_name)
    state = servers.get(framework_name) or {"reason": "the peer does not serve it"}
    if state.get("state") != "up":
        raise Unsupported(f"on the peer: {state.get('reason') or state.get('state')}")
    os.sched_setaffinity(0, {placement.client_cpu})
    server = RemoteServer(framework_name, state["address"])
    client = adapter.connect(server.address, dict(framework.options))
    return Open(framework, server, client, adapter, dict(framework.options))  # type: ignore[arg-type]


class ServerPool:
    """One framework's server (and client) at a time: started here, or, with *peer*, the
    LAN peer's (``commbench peer``), whose server list is asked for once."""

    def __init__(self, peer: str | None = None) -> None:
        self.peer = peer
        self._remote: dict[str, Any] | None = None
        self._affinity = os.sched_getaffinity(0)
        self._key: tuple[str, str] | None = None
        self._open: Open | None = None
        self._refused: dict[tuple[str, str], str] = {}

    def get(self, framework: str, placement: Placement) -> Open:
        key = (framework, placement.name)
        if key in self._refused:
            raise Unsupported(self._refused[key])
        if key != self._key:
            self.close()
            try:
                self._open = self._open_pair(framework, placement)
            except Unsupported as exc:
                self._refused[key] = str(exc)
                if str(exc).startswith("server did not start"):
                    sys.stderr.write(f"commbench: error: rpc {framework}: {exc}\n")
                raise
            self._key = key
        assert self._open is not None
        return self._open

    def _open_pair(self, framework: str, placement: Placement) -> Open:
        if not self.peer:
            return open_pair(framework, placement)
        if self._remote is None:
            from commbench.rpc.lan import remote_servers

            try:
                self._remote = remote_servers(self.peer)
            except (OSError, ValueError) as exc:
                self._remote = {}
                raise Unsupported(f"peer {self.peer}: no RPC control channel ({exc})") from None
        return open_remote(framework, placement, self._remote)

    def close(self) -> None:
        opened, self._open, self._key = self._open, None, None
        try:
            if opened is not None:
                try:
                    opened.client.close()
                finally:
                    opened.server.stop()
        finally:
            os.sched_setaffinity(0, self._affinity)
