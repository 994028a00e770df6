"""Replicated stores as private clusters: one member per network namespace.

A cluster class starts its members inside a :class:`~commbench.cap.netns.Network`, each
with a private data directory under one temporary folder, waits for them to be ready
(bounded), and stops them by PID (SIGTERM, then SIGKILL) and removes the folder on
exit, also on an exception. Its :meth:`client` is called from a thread already inside
a member's namespace (:func:`~commbench.cap.netns.enter`) and returns a
:class:`RegisterClient`: read / write / compare-and-set on string keys.

A client raises :class:`Failed` when the operation surely did not take effect (refused
before it was sent, or a definite error from the store) and :class:`Indefinite` when it
may have (a timeout, a connection lost after sending): the workload records them as
``fail`` and ``unknown``.

Stores are registered in :data:`STORES` (name -> class).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from commbench import cleanup
from commbench.cap.netns import Network, in_namespace
from commbench.errors import UserError

READY_TIMEOUT_S = 30.0


class Failed(Exception):
    """The operation did not take effect."""


class Indefinite(Exception):
    """The operation may or may not have taken effect."""


class RegisterClient(Protocol):
    def read(self, key: str) -> str | None: ...
    def write(self, key: str, value: str) -> None: ...
    def cas(self, key: str, expected: str | None, new: str) -> bool: ...
    def close(self) -> None: ...


def stop_process(process: subprocess.Popen, grace_s: float = 5.0) -> None:
    """End *process* by its PID: SIGTERM, then SIGKILL after *grace_s*."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Cluster:
    """Common life cycle: a temp folder, member processes, stop by PID, cleanup."""

    name: ClassVar[str] = ""
    modes: ClassVar[tuple[str, ...]] = ()
    binary: ClassVar[str] = ""

    def answers_read(self, member: int, make_client: Any) -> bool:
        """Whether a read through *member* answers (a client made by *make_client* inside
        that member's namespace, closed after)."""

        def attempt() -> bool:
            client = make_client()
            try:
                client.read("cb-cap-probe")
                return True
            except (Failed, Indefinite):
                return False
            finally:
                client.close()

        return in_namespace(self.network.members[member], attempt)

    def __init__(self, network: Network, mode: str, op_timeout_s: float = 1.0) -> None:
        if mode not in self.modes:
            raise UserError(f"cap: {self.name} has no mode {mode!r} ({', '.join(self.modes)})")
        if shutil.which(self.binary) is None:
            raise UserError(f"cap: {self.name} needs `{self.binary}`, which is not installed")
        self.network = network
        self.mode = mode
        self.op_timeout_s = op_timeout_s
        self.processes: list[subprocess.Popen] = []
        self.tmp: Path | None = None
        self.commands: dict[str, tuple[int, list[str]]] = {}
        """log name -> (member, command) of every process spawned, to restart it."""
        self.store_processes: dict[int, subprocess.Popen] = {}
        """member -> its store process (the one logging to ``m<member+1>.log``)."""
        self.heals: list[Callable[[], None]] = []
        """What undoes the process faults in place (run by :meth:`heal`)."""

    def __enter__(self) -> Cluster:
        self.tmp = cleanup.owned_tempdir(f"cap-{self.name}")
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        raise NotImplementedError

    def client(self, member: int) -> RegisterClient:
        """A client of *member* in this cluster's mode (call it inside member's namespace)."""
        raise NotImplementedError

    def final_client(self, member: int) -> RegisterClient:
        """The store's strongest read, for the final reads after the heal."""
        return self.client(member)

    def leader(self) -> int | None:
        """The member that leads (or is primary), if the store has one."""
        return None

    # --- process faults (the network's are :class:`Network`'s) --------------------------

    def kill_member(self, member: int) -> None:
        """SIGKILL *member*'s store process; :meth:`heal` restarts it on its data."""
        process = self.store_processes[member]
        process.kill()
        process.wait(10)
        self.heals.append(lambda: self.restart_member(member))

    def restart_member(self, member: int) -> None:
        log_name = f"m{member + 1}.log"
        owner, command = self.commands[log_name]
        self.spawn(owner, command, log_name)

    def pause_member(self, member: int) -> None:
        """SIGSTOP *member*'s store process; :meth:`heal` sends SIGCONT."""
        process = self.store_processes[member]
        process.send_signal(signal.SIGSTOP)
        self.heals.append(lambda: process.poll() is None and process.send_signal(signal.SIGCONT))

    def heal(self) -> None:
        """Undo every process fault in place (restart the killed, continue the paused)."""
        heals, self.heals = self.heals, []
        for undo in heals:
            undo()

    def close(self) -> None:
        self.heals.clear()  # a killed member stays down: no restart only to stop it
        for process in self.processes:  # a paused one could not act on SIGTERM
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGCONT)
        for process in self.processes:
            stop_process(process)
        for process in self.processes:
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()
        self.processes.clear()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def spawn(self, member: int, command: list[str], log_name: str) -> subprocess.Popen:
        assert self.tmp is not None
        log = (self.tmp / log_name).open("ab")
        try:
            process = self.network.popen(
                member, command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        self.processes.append(process)
        cleanup.record_pid(process.pid)
        self.commands[log_name] = (member, list(command))
        if log_name == f"m{member + 1}.log":
            self.store_processes[member] = process
        return process

    def log_tail(self, log_name: str, lines: int = 1) -> str:
        assert self.tmp is not None
        try:
            text = (self.tmp / log_name).read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def version(self) -> str:
        try:
            out = subprocess.run(
                [self.binary, "--version"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        return out.strip().splitlines()[0] if out.strip() else "unknown"


# --- etcd ------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class EtcdClient:
    """etcd's v3 JSON gateway over plain HTTP/1.1 (one keep-alive connection)."""

    def __init__(self, address: str, port: int, serializable: bool, timeout_s: float) -> None:
        self.address, self.port = address, port
        self.serializable = serializable
        self.timeout_s = timeout_s
        self.connection: http.client.HTTPConnection | None = None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                self.address, self.port, timeout=self.timeout_s
            )
            try:
                self.connection.connect()
            except OSError as exc:  # nothing was sent
                self.close()
                raise Failed(f"connect: {exc}") from None
        try:
            self.connection.request(
                "POST", path, json.dumps(body), {"Content-Type": "application/json"}
            )
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Indefinite(f"{type(exc).__name__}: {exc}") from None
        try:
            answer = json.loads(payload or b"{}")
        except ValueError:
            raise Indefinite(f"HTTP {response.status}: not JSON") from None
        if response.status != 200:
            message = answer.get("error") or answer.get("message") or str(answer)
            raise Indefinite(f"HTTP {response.status}: {message}")
        return answer

    def read(self, key: str) -> str | None:
        body: dict[str, Any] = {"key": _b64(key)}
        if self.serializable:
            body["serializable"] = True
        kvs = self._post("/v3/kv/range", body).get("kvs") or []
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None

    def write(self, key: str, value: str) -> None:
        self._post("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def cas(self, key: str, expected: str | None, new: str) -> bool:
        if expected is None:
            compare = {
                "key": _b64(key),
                "target": "CREATE",
                "result": "EQUAL",
                "create_revision": "0",
            }
        else:
            compare = {
                "key": _b64(key),
                "target": "VALUE",
                "result": "EQUAL",
                "value": _b64(expected),
            }
        answer = self._post(
            "/v3/kv/txn",
            {
                "compare": [compare],
                "success": [{"request_put": {"key": _b64(key), "value": _b64(new)}}],
            },
        )
        return bool(answer.get("succeeded", False))

    def status(self) -> dict[str, Any]:
        return self._post("/v3/maintenance/status", {})

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class EtcdCluster(Cluster):
    """etcd (Debian's etcd-server), one member per namespace, Raft over the bridge.

    Modes: ``linearizable`` reads (through Raft's read index) and ``serializable`` reads
    (the member's local state, possibly stale). Writes and compare-and-set (a txn
    comparing the value) always go through Raft.
    """

    name = "etcd"
    modes = ("linearizable", "serializable")
    binary = "etcd"
    CLIENT_PORT, PEER_PORT = 2379, 2380

    def start(self) -> None:
        assert self.tmp is not None
        net = self.network
        names = [f"m{i}" for i in range(1, net.n + 1)]
        initial = ",".join(
            f"{name}=http://{addr}:{self.PEER_PORT}" for name, addr in zip(names, net.addresses)
        )
        for i, (name, addr) in enumerate(zip(names, net.addresses)):
            command = [
                self.binary,
                "--name", name,
                "--data-dir", str(self.tmp / name),
                "--listen-peer-urls", f"http://{addr}:{self.PEER_PORT}",
                "--initial-advertise-peer-urls", f"http://{addr}:{self.PEER_PORT}",
                "--listen-client-urls", f"http://{addr}:{self.CLIENT_PORT}",
                "--advertise-client-urls", f"http://{addr}:{self.CLIENT_PORT}",
                "--initial-cluster", initial,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", net.name,
                "--heartbeat-interval", "100",
                "--election-timeout", "1000",
                "--logger", "zap",
                "--log-outputs", "stderr",
            ]  # fmt: skip
            self.spawn(i, command, f"{name}.log")
        self.wait_ready()

    def wait_ready(self) -> None:
        """Every member answers a linearizable read (so a leader exists); bounded."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        pending = set(range(self.network.n))
        while pending and time.monotonic() < deadline:
            for i, process in enumerate(self.processes):
                if process.poll() is not None:
                    tail = self.log_tail(f"m{i + 1}.log")
                    raise UserError(
                        f"cap: etcd member m{i + 1} exited ({process.returncode}): {tail}"
                    )
            for i in sorted(pending):
                if self._probe(i):
                    pending.discard(i)
            time.sleep(0.1)
        if pending:
            raise UserError(
                f"cap: etcd members {sorted(pending)} not ready in {READY_TIMEOUT_S:.0f} s"
            )

    def _probe(self, member: int) -> bool:
        """A linearizable read through member, from the calling namespace via the bridge."""

        address = self.network.addresses[member]
        return self.answers_read(member, lambda: EtcdClient(address, self.CLIENT_PORT, False, 1.0))

    def client(self, member: int) -> EtcdClient:
        return EtcdClient(
            self.network.addresses[member],
            self.CLIENT_PORT,
            self.mode == "serializable",
            self.op_timeout_s,
        )

    def final_client(self, member: int) -> EtcdClient:
        """The strongest read: linearizable, whatever the mode."""
        return EtcdClient(
            self.network.addresses[member], self.CLIENT_PORT, False, self.op_timeout_s
        )

    def leader(self) -> int | None:
        """Index of the member that believes it leads (asked of every member)."""
        for i, member in enumerate(self.network.members):

            def ask(i: int = i) -> dict[str, Any] | None:
                client = EtcdClient(self.network.addresses[i], self.CLIENT_PORT, True, 1.0)
                try:
                    return client.status()
                except (Failed, Indefinite):
                    return None
                finally:
                    client.close()

            status = in_namespace(member, ask)
            if status and status.get("leader") == status.get("header", {}).get("member_id"):
                return i
        return None


# --- Redis -----------------------------------------------------------------------------


class RespError(Exception):
    """An error reply from Redis (``-ERR ...``)."""


class Resp:
    """A minimal RESP2 connection: one command at a time, no retries, a timeout per call."""

    def __init__(self, address: str, port: int, timeout_s: float) -> None:
        self.address, self.port, self.timeout_s = address, port, timeout_s
        self.sock: socket.socket | None = None
        self.buffer = b""

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.address, self.port), self.timeout_s)
        except OSError as exc:
            self.sock = None
            raise Failed(f"connect {self.address}:{self.port}: {exc}") from None
        self.buffer = b""

    def call(self, *args: str | int) -> Any:
        """Send one command; Failed if nothing was sent, Indefinite if the answer is lost."""
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        try:
            self.sock.sendall(b"".join(parts))
            return self._reply()
        except RespError:
            raise
        except (OSError, ValueError) as exc:
            self.close()
            raise Indefinite(f"{type(exc).__name__}: {exc}") from None

    def _line(self) -> bytes:
        assert self.sock is not None
        for _ in range(100_000):  # bounded: a reply line is short
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
                return line
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("connection closed")
            self.buffer += chunk
        raise ValueError("reply line too long")

    def _exactly(self, n: int) -> bytes:
        assert self.sock is not None
        while len(self.buffer) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n + 2 :]
        return data

    def _reply(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exactly(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ValueError(f"bad RESP reply {line[:40]!r}")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


CAS_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if (ARGV[1] == '' and current == false) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class RedisClient:
    """Reads from the local member (a replica, or the primary in ``wait`` mode); writes
    and compare-and-set (a Lua script) to the primary the local Sentinel names. In ``wait``
    mode every write is followed by ``WAIT 1``: not acknowledged by a replica = unknown."""

    def __init__(self, cluster: RedisCluster, member: int) -> None:
        net = cluster.network
        self.wait = cluster.mode == "wait"
        self.timeout_s = cluster.op_timeout_s
        self.local = Resp(net.addresses[member], cluster.PORT, self.timeout_s)
        self.sentinel = Resp(net.addresses[member], cluster.SENTINEL_PORT, self.timeout_s)
        self.primary: Resp | None = None
        self.primary_addr: tuple[str, int] | None = None

    def _primary(self) -> Resp:
        if self.primary is None:
            try:
                host, port = self.sentinel.call("SENTINEL", "get-master-addr-by-name", "cb")
            except (RespError, Indefinite, TypeError, ValueError) as exc:
                self.sentinel.close()
                raise Failed(f"sentinel: {exc}") from None
            self.primary_addr = (host, int(port))
            self.primary = Resp(host, int(port), self.timeout_s)
        return self.primary

    def _on_primary(self, *args: str | int) -> Any:
        primary = self._primary()
        try:
            return primary.call(*args)
        except RespError as exc:  # READONLY (no longer primary), NOREPLICAS, ...: not applied
            self._forget_primary()
            raise Failed(str(exc)) from None
        except (Failed, Indefinite):
            self._forget_primary()
            raise

    def _forget_primary(self) -> None:
        if self.primary is not None:
            self.primary.close()
        self.primary = None

    def _replicated(self) -> None:
        if self.wait:
            acked = self._on_primary("WAIT", 1, int(self.timeout_s * 500))
            if int(acked) < 1:
                raise Indefinite("WAIT: no replica acknowledged")

    def read(self, key: str) -> str | None:
        if self.wait:
            return self._on_primary("GET", key)
        try:
            return self.local.call("GET", key)
        except RespError as exc:
            raise Failed(str(exc)) from None

    def write(self, key: str, value: str) -> None:
        self._on_primary("SET", key, value)
        self._replicated()

    def cas(self, key: str, expected: str | None, new: str) -> bool:
        swapped = self._on_primary("EVAL", CAS_SCRIPT, 1, key, expected or "", new) == 1
        if swapped:
            self._replicated()
        return swapped

    def close(self) -> None:
        for conn in (self.local, self.sentinel):
            conn.close()
        self._forget_primary()


class RedisCluster(Cluster):
    """Redis (Debian's redis-server): a primary (member 1) and two replicas, a Sentinel
    beside each (quorum 2, down-after 1 s, failover-timeout 3 s).

    Modes: ``async`` (asynchronous replication, reads from the local replica) and ``wait``
    (reads and writes at the primary, ``WAIT 1`` after each write,
    ``min-replicas-to-write 1`` with ``min-replicas-max-lag 2``)."""

    name = "redis"
    modes = ("async", "wait")
    binary = "redis-server"
    PORT, SENTINEL_PORT = 6379, 26379

    def start(self) -> None:
        assert self.tmp is not None
        net = self.network
        primary = net.addresses[0]
        for i, addr in enumerate(net.addresses):
            data = self.tmp / f"m{i + 1}"
            data.mkdir()
            command = [
                self.binary,
                "--port", str(self.PORT), "--bind", addr, "--protected-mode", "no",
                "--dir", str(data), "--save", "", "--appendonly", "no",
                "--repl-diskless-sync-delay", "0", "--replica-announce-ip", addr,
            ]  # fmt: skip
            if self.mode == "wait":
                command += ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"]
            if i > 0:
                command += ["--replicaof", primary, str(self.PORT)]
            self.spawn(i, command, f"m{i + 1}.log")
        for i, addr in enumerate(net.addresses):
            conf = self.tmp / f"sentinel{i + 1}.conf"  # Sentinel rewrites its config file
            conf.write_text(
                f"port {self.SENTINEL_PORT}\nbind {addr}\nprotected-mode no\n"
                f"dir {self.tmp}\nsentinel announce-ip {addr}\n"
                f"sentinel monitor cb {primary} {self.PORT} 2\n"
                "sentinel down-after-milliseconds cb 1000\n"
                "sentinel failover-timeout cb 3000\n"
                "sentinel parallel-syncs cb 1\n"
            )
            self.spawn(i, [self.binary, str(conf), "--sentinel"], f"sentinel{i + 1}.log")
        self.wait_ready()

    def wait_ready(self) -> None:
        """Both replicas linked, every Sentinel sees 2 replicas and 2 other Sentinels."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise UserError(f"cap: a redis process exited ({process.returncode})")
            if all(self._member_ready(i) for i in range(self.network.n)):
                return
            time.sleep(0.2)
        raise UserError(f"cap: redis cluster not ready in {READY_TIMEOUT_S:.0f} s")

    def _member_ready(self, member: int) -> bool:
        addr = self.network.addresses[member]

        def probe() -> bool:
            local = Resp(addr, self.PORT, 1.0)
            sentinel = Resp(addr, self.SENTINEL_PORT, 1.0)
            try:
                info = local.call("INFO", "replication")
                if member > 0 and "master_link_status:up" not in info:
                    return False
                sentinels = sentinel.call("SENTINEL", "sentinels", "cb")
                replicas = sentinel.call("SENTINEL", "replicas", "cb")
                return len(sentinels) == 2 and len(replicas) == 2
            except (Failed, Indefinite, RespError):
                return False
            finally:
                local.close()
                sentinel.close()

        return in_namespace(self.network.members[member], probe)

    def client(self, member: int) -> RedisClient:
        return RedisClient(self, member)

    def final_client(self, member: int) -> RedisClient:
        """Reads at the primary the local Sentinel names, whatever the mode."""
        client = RedisClient(self, member)
        client.wait = True
        return client

    def leader(self) -> int | None:
        """The member whose redis says it is the primary."""
        for i, addr in enumerate(self.network.addresses):

            def role(addr: str = addr) -> str | None:
                conn = Resp(addr, self.PORT, 1.0)
                try:
                    return conn.call("ROLE")[0]
                except (Failed, Indefinite, RespError):
                    return None
                finally:
                    conn.close()

            if in_namespace(self.network.members[i], role) == "master":
                return i
        return None


STORES: dict[str, type[Cluster]] = {"etcd": EtcdCluster, "redis": RedisCluster}
"""Store name -> cluster class; a store adds itself here."""

from commbench.cap.nats_kv import NatsKvCluster  # noqa: E402 (it builds on Cluster above)

STORES["nats"] = NatsKvCluster
