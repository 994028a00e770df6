"""The rpc family on a LAN: ``commbench peer`` serves every RPC framework, on a port plan.

Port plan, from the peer's ``--listen HOST:PORT`` (PORT itself is TCP and UDP echo,
PORT+1 and PORT+2 ZeroMQ, see :mod:`commbench.transports.peer`):

- PORT+3: the RPC control channel (:data:`CONTROL_OFFSET`), one JSON line per request
  and per reply over TCP: ``{"op": "list"}`` gives every framework's address or the
  reason it is not served; ``{"op": "kill"|"restart"|"pause"|"resume", "framework": F}``
  SIGKILLs, restarts on the same port, SIGSTOPs or SIGCONTs that framework's server
  (the fault cases' actions, done on the peer's machine); ``ids-on``, ``ids`` (with
  ``first_id``) and ``ids-off`` keep, read and drop the server's log of executed
  request ids (duplicates under retries);
- PORT+4 onwards: one server per framework, in the registry's order
  (:data:`PORT_PLAN`: grpc PORT+4, grpc-aio PORT+5, ... capnp PORT+12).

The servers are ordinary :class:`commbench.rpc.process.ServerProcess` es, children of
the peer (they die with it, ``PR_SET_PDEATHSIG``), bound to the peer's address. They
are started in the background once the peer is ready; ``list`` says ``starting``
until each is up. ``commbench run --peer HOST:PORT`` measures calls against them.
"""

from __future__ import annotations

import json
import queue
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from commbench.rpc import FRAMEWORKS
from commbench.rpc.process import PeerError, ServerProcess
from commbench.rpc.service import read_ids

CONTROL_OFFSET = 3
FIRST_SERVER_OFFSET = 4
PORT_PLAN: dict[str, int] = {name: FIRST_SERVER_OFFSET + i for i, name in enumerate(FRAMEWORKS)}
"""Framework -> its server's port, as an offset from the peer's port."""
LAST_OFFSET = max(PORT_PLAN.values())
ACTIONS = ("kill", "restart", "pause", "resume")
ID_OPS = ("ids-on", "ids", "ids-off")
CONTROL_TIMEOUT_S = 30.0


class RpcHost:
    """The peer's RPC servers and their control channel (a context manager)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.servers: dict[str, ServerProcess] = {}
        self.state: dict[str, dict[str, Any]] = {n: {"state": "starting"} for n in PORT_PLAN}
        self.lock = threading.Lock()
        self.closed = False
        self.tmp = tempfile.TemporaryDirectory(prefix="commbench-peer-rpc-")
        self.control = socket.create_server((host, port + CONTROL_OFFSET))
        # every server process is made by this one thread, which lives as long as the
        # host: PR_SET_PDEATHSIG fires when the *thread* that forked a child ends
        self.jobs: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._spawner, daemon=True).start()
        self.jobs.put((self._start_all, None))
        threading.Thread(target=self._serve_control, daemon=True).start()

    def _spawner(self) -> None:
        while True:
            job, done = self.jobs.get()
            if job is None:
                return
            try:
                result: Any = job()
            except Exception as exc:  # reported to whoever asked
                result = exc
            if done is not None:
                done.put(result)

    def _in_spawner(self, job: Any, timeout_s: float = CONTROL_TIMEOUT_S) -> Any:
        done: queue.Queue[Any] = queue.Queue()
        self.jobs.put((job, done))
        result = done.get(timeout=timeout_s)
        if isinstance(result, Exception):
            raise result
        return result

    def _start_all(self) -> None:
        for name, offset in PORT_PLAN.items():
            listen = f"{self.host}:{self.port + offset}"
            try:
                server = ServerProcess(name, listen=listen, options=dict(FRAMEWORKS[name].options))
            except PeerError as exc:
                state = {"state": "unsupported", "reason": f"server did not start: {exc}"}
            else:
                with self.lock:
                    if self.closed:
                        server.stop()
                        return
                    self.servers[name] = server
                state = {"state": "up", "address": server.address}
            with self.lock:
                self.state[name] = state

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """One control request -> its reply."""
        op = request.get("op")
        if op == "list":
            with self.lock:
                return {"ok": True, "servers": json.loads(json.dumps(self.state))}
        name = request.get("framework")
        if op in ID_OPS:
            return self._ids(op, str(name), int(request.get("first_id", 0)))
        if op not in ACTIONS:
            return {"ok": False, "error": f"unknown op {op!r} (list, {', '.join(ACTIONS)})"}
        with self.lock:
            server = self.servers.get(str(name))
        if server is None:
            return {"ok": False, "error": f"no server for framework {name!r}"}
        start = time.perf_counter()
        try:
            self._in_spawner(getattr(server, op))
        except (PeerError, OSError, queue.Empty) as exc:
            return {"ok": False, "error": f"{op} {name}: {type(exc).__name__}: {exc}"}
        with self.lock:
            self.state[str(name)] = {
                "state": {"kill": "killed", "pause": "paused"}.get(op, "up"),
                "address": server.address,
            }
        return {"ok": True, "op": op, "framework": name, "took_s": time.perf_counter() - start}

    def _ids(self, op: str, name: str, first_id: int) -> dict[str, Any]:
        """The fault cases' id log on this side: ``ids-on`` restarts the server with an
        id log (not kept otherwise: a write per call is not part of a plain call),
        ``ids`` reads how many times each id from *first_id* on was executed,
        ``ids-off`` restarts the server without the log."""
        with self.lock:
            server = self.servers.get(name)
        if server is None:
            return {"ok": False, "error": f"no server for framework {name!r}"}
        path = str(Path(self.tmp.name) / f"{name}.ids")
        if op == "ids":
            executed = read_ids(path) if Path(path).exists() else {}
            return {"ok": True, "executed": [[i, n] for i, n in executed.items() if i >= first_id]}
        if op == "ids-on":
            Path(path).unlink(missing_ok=True)
            server.options["ids_file"] = path
        else:
            server.options.pop("ids_file", None)
        try:
            self._in_spawner(server.restart)
        except (PeerError, OSError, queue.Empty) as exc:
            return {"ok": False, "error": f"{op} {name}: {type(exc).__name__}: {exc}"}
        with self.lock:
            self.state[name] = {"state": "up", "address": server.address}
        return {"ok": True, "op": op, "framework": name}

    def _serve_control(self) -> None:
        while True:
            try:
                conn, _ = self.control.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:
            conn.settimeout(600.0)
            try:
                for line in stream:
                    try:
                        reply = self.handle(json.loads(line))
                    except (ValueError, OSError) as exc:
                        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                    stream.write(json.dumps(reply).encode() + b"\n")
                    stream.flush()
            except OSError:
                return

    def close(self) -> None:
        with self.lock:
            self.closed = True
            servers = list(self.servers.values())
        self.control.close()
        for server in servers:
            server.stop()
        self.jobs.put((None, None))
        self.tmp.cleanup()

    def __enter__(self) -> RpcHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def control_address(peer: str) -> tuple[str, int]:
    from commbench.transports.sockets import parse_host_port

    host, port = parse_host_port(peer, port_required=True)
    return host, port + CONTROL_OFFSET


class Control:
    """A connection to a peer's RPC control channel."""

    def __init__(self, peer: str, timeout_s: float = CONTROL_TIMEOUT_S) -> None:
        self.sock = socket.create_connection(control_address(peer), timeout=timeout_s)
        self.stream = self.sock.makefile("rwb")

    def ask(self, op: str, framework: str | None = None, **extra: Any) -> dict[str, Any]:
        request = {"op": op, **({"framework": framework} if framework else {}), **extra}
        self.stream.write(json.dumps(request).encode() + b"\n")
        self.stream.flush()
        line = self.stream.readline()
        if not line:
            raise ConnectionError("the peer closed its RPC control channel")
        return json.loads(line)

    def close(self) -> None:
        self.stream.close()
        self.sock.close()

    def __enter__(self) -> Control:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remote_servers(peer: str, wait_s: float = 60.0) -> dict[str, dict[str, Any]]:
    """Every framework's state on the peer (``up`` with its address, or ``unsupported``
    with the reason), once none is ``starting`` any more or *wait_s* has passed."""
    deadline = time.monotonic() + wait_s
    with Control(peer) as control:
        while True:
            servers = control.ask("list")["servers"]
            if all(s["state"] != "starting" for s in servers.values()):  # killed: reported
                return servers
            if time.monotonic() > deadline:
                return {
                    name: s if s["state"] != "starting" else
                    {"state": "unsupported", "reason": f"not up on the peer after {wait_s:.0f} s"}
                    for name, s in servers.items()
                }  # fmt: skip
            time.sleep(0.2)


class RemoteServer:
    """A framework's server on the peer, as the pool sees a server: its address, no CPU
    reading (another machine's), and nothing to stop (the peer owns it)."""

    cpu = None

    def __init__(self, framework: str, address: dict[str, Any]) -> None:
        self.framework = framework
        self.address = dict(address)
        self.info = {"server": framework, **address}

    cpu_seconds = None

    def stop(self, grace_s: float = 5.0) -> None:
        pass


class RemoteFaultServer:
    """A framework's server on the peer, driven through the control channel as the fault
    harness drives a local :class:`ServerProcess` (kill, restart, pause, resume), with
    its executed-id log kept on the peer for the run (a context manager)."""

    def __init__(self, peer: str, framework: str) -> None:
        from commbench.rpc import Unsupported

        self.peer, self.framework = peer, framework
        try:
            self.control = Control(peer)
        except OSError as exc:
            raise Unsupported(f"peer {peer}: no RPC control channel ({exc})") from None
        try:
            self._ask("ids-on")
            self.address = self._ask("list")["servers"][framework]["address"]
        except (PeerError, KeyError) as exc:
            self.control.close()
            raise Unsupported(f"on the peer: {exc}") from None

    def _ask(self, op: str, **extra: Any) -> dict[str, Any]:
        reply = self.control.ask(op, self.framework if op != "list" else None, **extra)
        if not reply.get("ok"):
            raise PeerError(f"peer {self.peer}: {reply.get('error')}")
        return reply

    def kill(self) -> None:
        self._ask("kill")

    def restart(self) -> None:
        self._ask("restart")

    def pause(self) -> None:
        self._ask("pause")

    def resume(self) -> None:
        self._ask("resume")

    def executed(self, first_id: int) -> dict[int, int]:
        """How many times the peer's server executed each request id from *first_id* on."""
        return {int(i): int(n) for i, n in self._ask("ids", first_id=first_id)["executed"]}

    def close(self) -> None:
        try:
            self._ask("ids-off")  # also brings a killed or paused server back
        finally:
            self.control.close()

    def __enter__(self) -> RemoteFaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
