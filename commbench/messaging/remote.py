"""Brokers on the LAN peer: ``commbench peer`` starts them there, the harness drives them.

The peer serves a small control protocol (one JSON object per line, one reply per
request) on its broker port (``commbench peer``'s port + 13). A request names an
operation: ``start`` (a broker of :data:`commbench.messaging.brokers.BROKERS` with
options from :data:`ALLOWED_OPTIONS` only, listening on the peer's own address),
``kill``, ``restart``, ``pause``, ``resume``, ``stop`` and ``info``, for the broker
``id`` it returned. Every broker a connection started is stopped when that
connection ends, so none outlives the run that asked for it (and each dies with the
peer: PR_SET_PDEATHSIG).

:class:`RemoteBroker` is the harness's side: the interface of
:class:`~commbench.messaging.brokers.Broker` that :mod:`commbench.messaging.stream`
uses, over that connection. RabbitMQ is not offered (its guest user is loopback-only)
and neither is the power cut (the FUSE layer is on the peer's disk).
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
from typing import Any

from commbench.messaging import Unsupported

BROKER_PORT_OFFSET = 13
"""After ZeroMQ's (+1, +2) and the RPC plan's (+3 to +12, :mod:`commbench.rpc.lan`)."""
LAN_BROKERS = ("nats", "redis", "mosquitto")
ALLOWED_OPTIONS = ("jetstream", "sync_interval", "appendonly", "appendfsync")
REPLY_TIMEOUT_S = 60.0  # a start waits for the broker's ready check (30 s at most)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        from commbench.messaging.brokers import BROKERS

        brokers: dict[int, Any] = {}
        host = self.server.server_address[0]  # type: ignore[attr-defined]
        try:
            for line in self.rfile:
                try:
                    request = json.loads(line)
                    reply = _serve(request, brokers, host, BROKERS)
                except Unsupported as exc:
                    reply = {"ok": False, "error": str(exc)}
                except (ValueError, KeyError, TypeError) as exc:
                    reply = {"ok": False, "error": f"bad request: {exc}"}
                self.wfile.write((json.dumps(reply) + "\n").encode())
                self.wfile.flush()
        except OSError:
            pass
        finally:
            for broker in brokers.values():
                broker.close()


def _serve(request: dict[str, Any], brokers: dict[int, Any], host: str, registry) -> dict:
    op = request["op"]
    if op == "start":
        name = request["broker"]
        if name not in LAN_BROKERS:
            raise Unsupported(
                f"{name}: not offered by the LAN peer (only {', '.join(LAN_BROKERS)})"
            )
        options = {k: v for k, v in (request.get("options") or {}).items() if k in ALLOWED_OPTIONS}
        broker = registry[name]({**options, "host": host}, None)
        began = time.monotonic()
        broker.start()
        ident = max(brokers, default=0) + 1
        brokers[ident] = broker
        return {"ok": True, "id": ident, "url": broker.url, "start_s": time.monotonic() - began}
    broker = brokers[int(request["id"])]
    if op == "kill":
        broker.kill()
    elif op in ("restart", "start-again"):
        broker.start()
    elif op == "pause":
        broker.pause()
    elif op == "resume":
        broker.resume()
    elif op == "stop":
        broker.close()
        del brokers[int(request["id"])]
        return {"ok": True}
    elif op != "info":
        raise ValueError(f"unknown op {op!r}")
    return {"ok": True, "info": broker.info() if broker.dir else {}, "alive": broker.alive()}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_control(host: str, port: int) -> socketserver.ThreadingTCPServer:
    """Serve the broker control protocol on host:port in a daemon thread."""
    server = _Server((host, port), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class RemoteBroker:
    """A broker on the LAN peer, driven over its control connection."""

    def __init__(self, peer: str, name: str, options: dict[str, Any]) -> None:
        host, _, port = peer.rpartition(":")
        self.peer_host, self.control_port = host, int(port) + BROKER_PORT_OFFSET
        self.name = name
        self.options = {k: v for k, v in options.items() if k in ALLOWED_OPTIONS}
        if options.get("powercut"):
            raise Unsupported(f"{name}: the power cut is not offered on the LAN peer")
        self.sock: socket.socket | None = None
        self.file: Any = None
        self.ident: int | None = None
        self._url = ""
        self.started = False

    def _ask(self, **request: Any) -> dict[str, Any]:
        if self.sock is None:
            try:
                self.sock = socket.create_connection(
                    (self.peer_host, self.control_port), timeout=REPLY_TIMEOUT_S
                )
            except OSError as exc:
                raise Unsupported(
                    f"{self.name}: no broker control at the peer "
                    f"{self.peer_host}:{self.control_port}: {exc.strerror or exc}"
                ) from None
            self.file = self.sock.makefile("rwb")
        try:
            self.file.write((json.dumps(request) + "\n").encode())
            self.file.flush()
            line = self.file.readline()
        except OSError as exc:
            raise Unsupported(f"{self.name}: the peer's broker control failed: {exc}") from None
        if not line:
            raise Unsupported(f"{self.name}: the peer closed the broker control connection")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise Unsupported(str(reply.get("error")))
        return reply

    def start(self) -> RemoteBroker:
        if self.ident is None:
            reply = self._ask(op="start", broker=self.name, options=self.options)
            self.ident, self._url = reply["id"], reply["url"]
        else:
            self._ask(op="restart", id=self.ident)
        self.started = True
        return self

    @property
    def url(self) -> str:
        return self._url

    def alive(self) -> bool:
        return self.ident is not None and bool(self._ask(op="info", id=self.ident)["alive"])

    def kill(self) -> None:
        self._ask(op="kill", id=self.ident)

    def pause(self) -> None:
        self._ask(op="pause", id=self.ident)

    def resume(self) -> None:
        self._ask(op="resume", id=self.ident)

    def power_cut(self) -> None:
        raise Unsupported(f"{self.name}: the power cut is not offered on the LAN peer")

    def info(self) -> dict[str, Any]:
        if self.ident is None:
            return {"broker": self.name}
        return {**self._ask(op="info", id=self.ident)["info"], "broker_on": "peer"}

    def close(self) -> None:
        """Stop the broker on the peer and close the connection (which stops it anyway)."""
        if self.sock is not None:
            with contextlib.suppress(Unsupported, OSError):
                if self.ident is not None:
                    self._ask(op="stop", id=self.ident)
            with contextlib.suppress(OSError):
                self.file.close()
                self.sock.close()
        self.sock, self.ident = None, None
