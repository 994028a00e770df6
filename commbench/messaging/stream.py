"""One message stream, producer to consumer through a system, with an optional fault.

The harness (this module, in the pytest process) starts the broker, the consumer and
the producer as separate processes pinned to their CPUs, applies the fault mid-stream
(consumer SIGKILLed then restarted, broker SIGKILLed then restarted, broker SIGSTOPped
then continued, producer SIGKILLed), waits for the backlog to drain, and counts the
books from the processes' record files (:mod:`commbench.messaging.worker`). Every wait is
bounded; a stream that stalls ends at its time limit and is flagged ``timed_out``.

The record files stay in the stream's directory (one per process incarnation, JSON
lines, one event per line) with ``stream.json`` (the spec, the fault's times, the
ledger), so anyone can re-count the books.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from commbench.messaging import Unsupported
from commbench.messaging.brokers import BROKERS, Broker, free_port
from commbench.messaging.ledger import Ledger, count
from commbench.messaging.modes import Mode

READY_TIMEOUT_S = 20.0
POLL_S = 0.02
TIMELINE_BIN_S = 0.1


def default_cpus() -> dict[str, int | None]:
    """Producer on the first CPU, broker and consumer on the second (one CPU: all on it)."""
    cpus = sorted(os.sched_getaffinity(0))
    other = cpus[1] if len(cpus) > 1 else cpus[0]
    return {"producer": cpus[0], "broker": other, "consumer": other}


@dataclass(frozen=True)
class StreamSpec:
    """One stream: what to send, how fast, which fault, and every time bound."""

    mode: Mode
    size_bytes: int = 64
    count: int = 2000
    rate_per_s: float = 1000.0  # 0: as fast as the producer can
    fault: str = "none"
    fault_at: float = 0.4  # fraction of the planned duration
    down_s: float = 1.0  # how long the victim stays down (or stopped)
    idle_s: float | None = None  # the drain ends this long after the last delivery
    # (None: 3 s for persistent modes, longer than the 2 s redelivery wait; 1 s otherwise)
    drain_timeout_s: float = 15.0
    max_seconds: float = 30.0  # the producer stops sending after this
    consumers: int = 1  # >1: pullers sharing one stream (brokerless PUSH/PULL only)
    peer: str | None = None  # HOST:PORT of `commbench peer`: the broker runs there (LAN)
    cpus: dict[str, int | None] = field(default_factory=default_cpus)

    @property
    def idle_limit_s(self) -> float:
        if self.idle_s is not None:
            return self.idle_s
        return 3.0 if self.mode.persistent else 1.0

    @property
    def planned_s(self) -> float:
        return self.count / self.rate_per_s if self.rate_per_s > 0 else 0.0

    def params(self) -> dict[str, Any]:
        return {
            **self.mode.params(),
            "size_bytes": self.size_bytes,
            "messages": self.count,
            "rate_per_s": self.rate_per_s,
            "fault": self.fault,
            **({"consumers": self.consumers} if self.consumers > 1 else {}),
            "path": "lan" if self.peer else "localhost",
            "down_s": self.down_s if self.fault != "none" else 0.0,
            "cpu_producer": self.cpus["producer"],
            "cpu_broker": self.cpus["broker"] if self.mode.broker and not self.peer else None,
            "cpu_consumer": self.cpus["consumer"],
        }


@dataclass
class StreamResult:
    spec: StreamSpec
    ledger: Ledger
    e2e_ns: np.ndarray  # first delivery of each message: delivered - sent
    publish_ns: np.ndarray  # acknowledged (or returned, without acks) - sent
    duration_s: float  # first send to last delivery
    timed_out: bool
    broker: dict[str, Any]
    events: list[dict[str, Any]]  # the fault's steps, monotonic ns
    timeline: dict[str, list[float]]
    directory: Path
    errors: list[str]
    planned_messages: int = 0
    broker_start_s: float = 0.0
    drain: dict[str, Any] = field(default_factory=dict)
    shares: list[int] = field(default_factory=list)  # deliveries per consumer incarnation
    send_s: float = 0.0  # first send to last send

    @property
    def throughput_msgs_per_s(self) -> float:
        return self.ledger.distinct / self.duration_s if self.duration_s > 0 else 0.0


class Worker:
    """A producer or consumer process with a READY handshake, ended by its PID."""

    def __init__(self, role: str, config: dict[str, Any], directory: Path) -> None:
        self.role = role
        name = f"{role}-{config.get('incarnation', 0)}"
        self.record = directory / f"{name}.jsonl"
        self.log_path = directory / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "commbench.messaging.worker",
                    role,
                    json.dumps({**config, "record": str(self.record)}),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        stdout = self.process.stdout
        assert stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([stdout], [], [], 0.1)
            if ready:
                line = stdout.readline()
                if line.startswith(b"READY"):
                    return
                if not line:
                    break
            elif self.process.poll() is not None:
                break
        self.kill()
        raise Unsupported(f"{self.role} did not start: {self.last_log_line() or 'no output'}")

    def last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = [x for x in self.log_path.read_text(errors="replace").splitlines() if x]
            return lines[-1][:300] if lines else ""
        return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self._close()

    def stop(self, grace_s: float = 5.0) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()

    def _close(self) -> None:
        if self.process.stdout:
            self.process.stdout.close()


class Tail:
    """Reads the new complete lines of a growing record file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def events(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        return [json.loads(x) for x in lines if x]


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event of a record file (a torn last line from a kill is skipped)."""
    if not path.exists():
        return []
    events = []
    for line in path.read_bytes().split(b"\n"):
        with contextlib.suppress(ValueError):
            if line:
                events.append(json.loads(line))
    return events


def books(directory: Path) -> tuple[Ledger, dict[str, list[dict[str, Any]]]]:
    """The ledger of a stream from its record files alone (for re-checking the books)."""
    producer = [e for p in sorted(directory.glob("producer-*.jsonl")) for e in read_events(p)]
    consumer = [e for p in sorted(directory.glob("consumer-*.jsonl")) for e in read_events(p)]
    deliveries = sorted((e for e in consumer if e["e"] == "d"), key=lambda e: e["t"])
    ledger = count(
        [e["q"] for e in producer if e["e"] == "s"],
        [e["q"] for e in producer if e["e"] == "a"],
        [e["q"] for e in deliveries],
    )
    return ledger, {"producer": producer, "deliveries": deliveries}


class _Run:
    """The moving parts of one stream; everything is ended in :meth:`close`."""

    def __init__(self, spec: StreamSpec, directory: Path) -> None:
        self.spec = spec
        self.directory = directory
        self.broker: Broker | None = None
        self.consumer: Worker | None = None
        self.producer: Worker | None = None
        self.consumer_tails: list[Tail] = []
        self.delivered: set[int] = set()
        self.last_delivery = time.monotonic()
        self.events: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.incarnation = 0
        self.others: list[Worker] = []  # consumers 1.. of a shared stream
        self.broker_start_s = 0.0
        mode = spec.mode
        self.config: dict[str, Any] = {
            "client": mode.client,
            **mode.client_options,
            "size_bytes": spec.size_bytes,
            "count": spec.count,
            "rate_per_s": spec.rate_per_s,
            "max_seconds": spec.max_seconds,
            "lifetime_s": spec.max_seconds + spec.drain_timeout_s + 60,
        }

    def start_broker(self) -> None:
        mode = self.spec.mode
        if mode.broker is None:
            # brokerless: each consumer listens on its own port, the producer connects to all
            self.config["ports"] = [free_port() for _ in range(self.spec.consumers)]
            self.config["port"] = self.config["ports"][0]
            return
        options = {**mode.broker_options, "powercut": self.spec.fault == "power-cut"}
        if self.spec.peer:
            from commbench.messaging.remote import RemoteBroker

            self.broker = RemoteBroker(self.spec.peer, mode.broker, options)  # type: ignore[assignment]
        else:
            self.broker = BROKERS[mode.broker](options, self.spec.cpus["broker"])
        began = time.monotonic()
        self.broker.start()
        self.broker_start_s = time.monotonic() - began
        self.config["url"] = self.broker.url

    def start_consumer(self, index: int = 0) -> None:
        """Start consumer *index* (a new incarnation, its own record file)."""
        config = {**self.config, "cpu": self.spec.cpus["consumer"], "incarnation": self.incarnation}
        if "ports" in self.config:
            config["port"] = self.config["ports"][index]
        worker = Worker("consumer", config, self.directory)
        self.incarnation += 1
        if index == 0:
            self.consumer = worker
        else:
            self.others.append(worker)
        self.consumer_tails.append(Tail(worker.record))

    def stream_count(self) -> int:
        """Messages to send: a broker-kill stream runs on at least 1 s after the restart."""
        spec = self.spec
        if (
            spec.fault not in ("broker-kill", "power-cut")
            or self.broker is None
            or spec.rate_per_s <= 0
        ):
            return spec.count
        downs = 2 if spec.fault == "power-cut" else 1
        needed_s = (
            spec.fault_at * spec.planned_s + downs * spec.down_s + 1.5 * self.broker_start_s + 1.0
        )
        return max(spec.count, math.ceil(needed_s * spec.rate_per_s))

    def restart_consumer(self) -> None:
        """A new consumer after a fault; one that cannot start is this row's error."""
        try:
            self.start_consumer()
        except Unsupported as exc:
            self.errors.append(f"consumer did not restart: {exc}")

    def start_producer(self) -> None:
        self.config["count"] = self.stream_count()
        self.producer = Worker(
            "producer", {**self.config, "cpu": self.spec.cpus["producer"]}, self.directory
        )

    def mark(self, what: str) -> None:
        self.events.append({"event": what, "t": time.monotonic_ns()})

    def poll(self) -> None:
        for tail in self.consumer_tails:
            new = [e["q"] for e in tail.events() if e["e"] == "d"]
            if new:
                self.delivered.update(new)
                self.last_delivery = time.monotonic()

    def fault(self) -> None:
        kind, down = self.spec.fault, self.spec.down_s
        self.mark(f"{kind} start")
        if kind == "consumer-kill":
            assert self.consumer is not None
            self.consumer.kill()
            self._sleep(down)
            self.restart_consumer()
        elif kind == "broker-kill":
            assert self.broker is not None
            self.broker.kill()
            self._sleep(down)
            try:
                self.broker.start()
            except Unsupported as exc:
                self.errors.append(f"broker did not restart: {exc}")
        elif kind == "power-cut":
            # the receiver is down while messages pile up in the broker, then the power
            # goes: only what the broker fsynced is still there for the new consumer
            assert self.broker is not None and self.consumer is not None
            self.consumer.kill()
            self._sleep(down)
            self.mark("power cut")
            self.broker.power_cut()
            self._sleep(down)
            try:
                self.broker.start()
            except Unsupported as exc:
                self.errors.append(f"broker did not restart: {exc}")
            self.restart_consumer()
        elif kind == "broker-stop":
            assert self.broker is not None
            self.broker.pause()
            self._sleep(down)
            self.broker.resume()
        elif kind == "producer-kill":
            assert self.producer is not None
            self.producer.kill()
        self.mark(f"{kind} end")

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:  # no reading of records meanwhile: less noise
            time.sleep(POLL_S)

    def run(self) -> bool:
        """Start everything, apply the fault, drain; True if a time limit was hit."""
        spec = self.spec
        if spec.consumers > 1 and spec.mode.broker is not None:
            raise Unsupported("several consumers: brokerless PUSH/PULL only")
        self.start_broker()
        for index in range(spec.consumers):
            self.start_consumer(index)
        if spec.fault == "power-cut" and self.broker is not None:
            # the broker's start-up writes are on disk, as after a while of uptime: the
            # cut is to test the stream's messages, not files written seconds before
            try:
                self.broker.settle()
                self.mark("settled")
            except Unsupported as exc:  # the cut still runs: on the stricter model, said so
                self.errors.append(f"not settled, start-up writes unsynced at the cut: {exc}")
        self.start_producer()
        self.mark("producer ready")
        start = time.monotonic()
        fault_due = start + spec.fault_at * spec.planned_s if spec.fault != "none" else None
        limit = start + spec.max_seconds + 10.0
        timed_out = False
        assert self.producer is not None
        while self.producer.alive():
            if fault_due is not None and time.monotonic() >= fault_due:
                fault_due = None
                self.fault()
                continue
            if time.monotonic() > limit:
                timed_out = True
                self.errors.append("producer did not finish in time")
                break
            time.sleep(POLL_S)
        self.producer.stop()
        if fault_due is not None and spec.fault != "producer-kill":
            self.errors.append("the fault was not applied: the producer ended first")
        self.mark("producer done")
        return self.drain() or timed_out

    def drain(self) -> bool:
        """Wait until every sent message arrived or deliveries stopped; True on time-out."""
        sent = {e["q"] for e in read_events(self.producer.record) if e["e"] == "s"}  # type: ignore[union-attr]
        deadline = time.monotonic() + self.spec.drain_timeout_s
        self.last_delivery = max(self.last_delivery, time.monotonic())
        while time.monotonic() < deadline:
            self.poll()
            if sent <= self.delivered:
                return False
            if time.monotonic() - self.last_delivery > self.spec.idle_limit_s:
                return False
            time.sleep(POLL_S)
        return time.monotonic() - self.last_delivery < self.spec.idle_limit_s

    def close(self) -> None:
        for worker in (self.producer, self.consumer, *self.others):
            if worker is not None:
                worker.stop()
        if self.broker is not None:
            self.broker.close()


def timeline(
    producer: list[dict[str, Any]], deliveries: list[dict[str, Any]], t0: int
) -> dict[str, list[float]]:
    """Published, acknowledged, delivered (distinct) and backlog per bin since *t0*."""
    sends = np.array([e["t"] for e in producer if e["e"] == "s"], dtype=np.int64)
    acks = np.array([e["t"] for e in producer if e["e"] == "a"], dtype=np.int64)
    seen: set[int] = set()
    firsts = []
    for e in deliveries:
        if e["q"] not in seen:
            seen.add(e["q"])
            firsts.append(e["t"])
    dels = np.array(firsts, dtype=np.int64)
    end = max([int(a.max()) for a in (sends, acks, dels) if a.size] or [t0])
    bins = np.arange(0, (end - t0) / 1e9 + TIMELINE_BIN_S, TIMELINE_BIN_S)
    edges = t0 + (bins * 1e9).astype(np.int64)

    def cumulative(times: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.sort(times), edges, side="right")

    published, delivered = cumulative(sends), cumulative(dels)
    return {
        "t_s": [round(float(b), 3) for b in bins],
        "published": published.tolist(),
        "acknowledged": cumulative(acks).tolist(),
        "delivered": delivered.tolist(),
        "backlog": (published - delivered).tolist(),
    }


def backlog_drain(
    producer: list[dict[str, Any]], deliveries: list[dict[str, Any]], t_restart: int
) -> dict[str, float | int]:
    """How fast the backlog built during an outage drains once the victim is back.

    The backlog is the messages sent before *t_restart* and delivered (first) after it;
    it has drained when the last of them arrives. Lost messages are not backlog.
    """
    sent_before = {e["q"] for e in producer if e["e"] == "s" and e["t"] <= t_restart}
    first: dict[int, int] = {}
    for e in deliveries:
        first.setdefault(e["q"], e["t"])
    late = [t for q, t in first.items() if q in sent_before and t > t_restart]
    if not late:
        return {"backlog_at_restart": 0, "drain_s": 0.0, "drain_msgs_per_s": None}
    drain_s = (max(late) - t_restart) / 1e9
    return {
        "backlog_at_restart": len(late),
        "drain_s": drain_s,
        "drain_msgs_per_s": len(late) / drain_s if drain_s > 0 else None,
    }


def latencies(
    producer: list[dict[str, Any]], deliveries: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """End-to-end (first delivery - send) and publish (ack or return - send) in ns."""
    seen: set[int] = set()
    e2e = []
    for e in deliveries:
        if e["q"] not in seen:
            seen.add(e["q"])
            e2e.append(e["t"] - e["ts"])
    sent = {e["q"]: e["t"] for e in producer if e["e"] == "s"}
    done = {}
    for e in producer:  # the acknowledgement if any, else the call's return
        if e["e"] == "a" or (e["e"] == "r" and e["q"] not in done):
            done[e["q"]] = e["t"]
    publish = [t - sent[q] for q, t in done.items() if q in sent]
    return np.array(e2e, dtype=np.int64), np.array(publish, dtype=np.int64)


def run_stream(spec: StreamSpec, directory: str | os.PathLike[str]) -> StreamResult:
    """Run one stream; its record files and ``stream.json`` land in *directory*.

    Raises :class:`Unsupported` (one line) if the broker or a client cannot start.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    run = _Run(spec, directory)
    try:
        timed_out = run.run()
        broker_info = run.broker.info() if run.broker else {"broker": None}
    finally:
        run.close()
    ledger, records = books(directory)
    producer, deliveries = records["producer"], records["deliveries"]
    e2e, publish = latencies(producer, deliveries)
    sends = [e["t"] for e in producer if e["e"] == "s"]
    t0 = min(sends) if sends else 0
    t_end = max((e["t"] for e in deliveries), default=t0)
    result = StreamResult(
        spec=spec,
        ledger=ledger,
        e2e_ns=e2e,
        publish_ns=publish,
        duration_s=(t_end - t0) / 1e9,
        timed_out=timed_out,
        broker=broker_info,
        events=[{**e, "t_s": round((e["t"] - t0) / 1e9, 4)} for e in run.events],
        timeline=timeline(producer, deliveries, t0),
        directory=directory,
        errors=run.errors,
        planned_messages=run.config["count"],
        broker_start_s=run.broker_start_s,
        send_s=(max(sends) - t0) / 1e9 if sends else 0.0,
    )
    per_consumer = Counter(e.get("c", 0) for e in deliveries)
    result.shares = [per_consumer.get(i, 0) for i in range(run.incarnation)]
    restarted = [e["t"] for e in run.events if e["event"] == f"{spec.fault} end"]
    if restarted and spec.fault != "producer-kill":
        result.drain = backlog_drain(producer, deliveries, restarted[0])
    summary = {
        "spec": {**asdict(spec), "mode": spec.mode.params()},
        "broker": broker_info,
        "events": result.events,
        "timed_out": timed_out,
        "errors": run.errors,
        "planned_messages": run.config["count"],
        "broker_start_s": run.broker_start_s,
        "ledger": ledger.metrics(),
        "drain": result.drain,
        "deliveries_per_consumer": result.shares,
        "files": sorted(p.name for p in directory.glob("*.jsonl")),
    }
    (directory / "stream.json").write_text(json.dumps(summary, indent=1, default=str))
    return result
