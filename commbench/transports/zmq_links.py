"""ZeroMQ transports (pyzmq): REQ/REP latency, PUSH/PULL and PUB/SUB throughput.

The client runs in this process with its context's I/O thread pinned beside it;
peers are :mod:`commbench.transports.zmq_peer` servers in :class:`PeerProcess`
processes (the inproc REP is a thread). Every receive has a timeout and every
socket LINGER 0: a dead peer gives an error or a counted loss, never a hang.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from typing import Any

from commbench.transports import Link, StreamResult, Transport, Unsupported
from commbench.transports.latency import RttSamples, measure_rtt
from commbench.transports.peerproc import PeerProcess
from commbench.transports.placement import Placement, available_cpus, pinned

REPLY_TIMEOUT_S = 5.0
REPORT_MARGIN_S = 0.3  # of a stream's max_seconds, kept for the peers' reports
IDLE_S = 0.5  # a PULL sink that hears nothing for this long reports what it has
RESEND_NS = 10_000_000  # PUB/SUB hello and end are repeated every 10 ms until answered
CHUNK = 1024  # messages published between two clock checks


@dataclass(frozen=True)
class ZmqStreamResult(StreamResult):
    """A stream and why it ended: ``count`` (all sent and counted), idle, budget, no-report."""

    ended: str = "count"


@dataclass(frozen=True)
class FanoutResult(ZmqStreamResult):
    """PUB/SUB: ``received`` and ``received_bytes`` are the MINIMUM over subscribers.

    ``lost`` is thus the worst subscriber's drops; every count is in
    ``per_subscriber_received``. ``elapsed_ns`` runs from the first publish to the
    last frame's arrival at the slowest subscriber (CLOCK_MONOTONIC, shared by the
    processes of one machine); ``publish_ns`` is the publishing loop alone.
    """

    per_subscriber_received: tuple[int, ...] = ()
    publish_ns: int = 0

    @property
    def lost_per_subscriber(self) -> tuple[int, ...]:
        return tuple(self.sent - n for n in self.per_subscriber_received)


def _zmq():
    try:
        import zmq
    except ImportError as exc:
        raise Unsupported("pyzmq is not installed") from exc
    return zmq


def _context(cpu: int | None):
    """A context with one I/O thread, pinned to *cpu* like the client thread."""
    zmq = _zmq()
    ctx = zmq.Context(io_threads=1)
    if cpu is not None:
        ctx.set(zmq.THREAD_AFFINITY_CPU_ADD, cpu)
    return ctx


def _info(pattern: str, kind: str, placement: Placement) -> dict[str, Any]:
    from commbench.transports.zmq_peer import HWM

    zmq = _zmq()
    return {
        "pattern": pattern,
        "zmq_transport": kind,
        "libzmq": zmq.zmq_version(),
        "pyzmq": zmq.__version__,
        "io_threads": 1,
        "io_thread_cpu": placement.client_cpu,  # pinned beside the client thread
        "sndhwm": HWM,  # messages, on every socket at both ends
        "rcvhwm": HWM,
    }


def _remaining_ms(deadline_ns: int) -> int:
    return max(0, (deadline_ns - time.perf_counter_ns()) // 1_000_000)


class ZmqLink:
    """REQ/REP round trips and PUSH/PULL streams to a peer's REP and PULL."""

    def __init__(self, ctx, endpoints: dict[str, str], placement: Placement, info: dict):
        self.ctx, self.endpoints, self.placement, self.info = ctx, endpoints, placement, info

    def _connect(self, kind: str):
        from commbench.transports import zmq_peer

        socket_type = {"rep": _zmq().REQ, "pull": _zmq().PUSH}[kind]
        return zmq_peer.connect(self.ctx, socket_type, self.endpoints[kind], REPLY_TIMEOUT_S)

    def measure(self, size_bytes: int, count: int, max_seconds: float) -> RttSamples:
        if self.info["pattern"] != "REQ/REP":
            raise Unsupported("PUSH/PULL is one-way: no round trip (see zmq-reqrep-*)")
        zmq = _zmq()
        endpoint = self.endpoints["rep"]
        message = bytes(range(256)) * (size_bytes // 256) + bytes(size_bytes % 256)
        buffer = bytearray(max(size_bytes, 1))
        with pinned(self.placement.client_cpu), closing(self._connect("rep")) as req:
            send, recv_into = req.send, req.recv_into

            def round_trip() -> int:
                send(message, copy=False)
                try:
                    return recv_into(buffer)  # the frame's length, even if longer than buffer
                except zmq.Again:
                    raise TimeoutError(
                        f"no reply from the REP peer at {endpoint} in {REPLY_TIMEOUT_S:.0f} s"
                    ) from None

            result = measure_rtt(round_trip, size_bytes, count=count, max_seconds=max_seconds)
        if buffer[:size_bytes] != message:
            raise RuntimeError(f"the REP peer at {endpoint} echoed different bytes")
        return result

    def stream(self, size_bytes: int, count: int, max_seconds: float) -> StreamResult:
        """PUSH *count* messages; the peer's PULL counts them and reports over REQ/REP."""
        if self.info["pattern"] != "PUSH/PULL":
            raise Unsupported("REQ/REP is lock-step: no stream (see zmq-pushpull-*)")
        from commbench.transports.zmq_peer import PRIME

        clock = time.perf_counter_ns
        deadline = clock() + int(max_seconds * 1e9)
        stream_id = os.urandom(8).hex()
        with ExitStack() as stack:
            stack.enter_context(pinned(self.placement.client_cpu))
            ctl = stack.enter_context(closing(self._connect("rep")))
            push = stack.enter_context(closing(self._connect("pull")))
            push.send(PRIME + stream_id.encode())  # tells the sink where this stream starts
            budget_s = max(0.1, (deadline - clock()) / 1e9 - REPORT_MARGIN_S)
            start = {"stream": stream_id, "count": count, "size": size_bytes}
            start |= {"budget_s": budget_s, "idle_s": min(IDLE_S, budget_s / 4)}
            if not (_control(ctl, b"start", start, deadline) or {}).get("ok"):
                raise TimeoutError(f"the PULL peer at {self.endpoints['pull']} did not start")
            sent, began = _push(push, b"\xa5" * size_bytes, count, deadline)
            report = _control(ctl, b"report", {}, deadline)
            elapsed_ns = clock() - began
        if report is None:  # the sink died or hangs: what it got is unknown, counted as lost
            return ZmqStreamResult(sent, 0, 0, elapsed_ns, True, "no-report")
        ended = report["ended"] if sent == count else "budget"
        return ZmqStreamResult(
            sent,
            report["received"],
            report["received_bytes"],
            elapsed_ns - report["tail_ns"],  # the sink's final silent wait is not transfer
            ended != "count",
            ended,
        )


def _push(push, message: bytes, count: int, deadline: int) -> tuple[int, int]:
    """Send up to *count* messages, waiting for room at the HWM until shortly before *deadline*.

    Returns (messages sent, perf_counter_ns at the first send).
    """
    zmq = _zmq()
    send, clock = push.send, time.perf_counter_ns
    stop = deadline - int(REPORT_MARGIN_S * 1e9)
    sent, began = 0, clock()
    while sent < count:
        try:
            send(message, zmq.NOBLOCK, copy=False)
            sent += 1
        except zmq.Again:
            if not push.poll(_remaining_ms(stop), zmq.POLLOUT):
                break
    return sent, began


def _control(ctl, verb: bytes, request: dict, deadline: int) -> dict | None:
    """One control request to the peer's REP; None when no answer came by *deadline*."""
    from commbench.transports.zmq_peer import CONTROL

    ctl.send_multipart([CONTROL, verb, json.dumps(request).encode()])
    if not ctl.poll(_remaining_ms(deadline)):
        return None
    return ctl.recv_json()


def _opener(pattern: str, kind: str):
    @contextmanager
    def open_link(placement: Placement, options: dict[str, Any]) -> Iterator[Link]:
        from commbench.transports import zmq_peer
        from commbench.transports.sockets import parse_host_port

        if options.get("peer") and kind != "tcp":
            raise Unsupported(f"ZeroMQ {kind}:// does not cross machines")
        info = _info(pattern, kind, placement)
        ctx = _context(placement.client_cpu)
        try:
            if options.get("peer"):  # a LAN peer (commbench peer): REP on PORT+1, PULL on PORT+2
                host, port = parse_host_port(options["peer"])
                rep, pull = (zmq_peer.tcp_endpoint(host, port + i) for i in (1, 2))
                info |= {"path": "lan", "peer": options["peer"], "rep": rep, "pull": pull}
                yield ZmqLink(ctx, {"rep": rep, "pull": pull}, placement, info)
            elif kind == "inproc":
                endpoint = f"inproc://commbench-echo-{os.urandom(4).hex()}"
                stop, bound = threading.Event(), threading.Event()
                args = (ctx, endpoint, placement.peer_cpu, stop, bound)
                thread = threading.Thread(target=zmq_peer.serve_inproc, args=args, daemon=True)
                thread.start()
                try:
                    if not bound.wait(REPLY_TIMEOUT_S):
                        raise TimeoutError("the inproc REP thread did not bind")
                    info |= {"path": "localhost", "rep": endpoint, "peer_kind": "thread"}
                    yield ZmqLink(ctx, {"rep": endpoint}, placement, info)
                finally:
                    stop.set()
                    thread.join(REPLY_TIMEOUT_S)
            else:
                peer_options = json.dumps({"transport": kind})
                with PeerProcess("zmq", "--options", peer_options, cpu=placement.peer_cpu) as peer:
                    endpoints = {"rep": peer.info["rep"], "pull": peer.info["pull"]}
                    info |= {"path": "localhost", "peer_kind": "process", "peer_pid": peer.pid}
                    info |= endpoints
                    yield ZmqLink(ctx, endpoints, placement, info)
        finally:
            ctx.destroy(linger=0)

    return open_link


class FanoutLink:
    """A PUB in this process; subscriber processes answer on a PUSH -> PULL back channel."""

    def __init__(self, pub, back, subscribers: int, placement: Placement, info: dict):
        self.pub, self.back, self.subscribers = pub, back, subscribers
        self.placement, self.info = placement, info

    def measure(self, size_bytes: int, count: int, max_seconds: float) -> RttSamples:
        raise Unsupported("PUB/SUB is one-way: no round trip (see zmq-reqrep-*)")

    def stream(self, size_bytes: int, count: int, max_seconds: float) -> StreamResult:
        """Publish *count* messages (paced if ``publish_rate_msgs_per_s`` was given)."""
        clock = time.perf_counter_ns
        deadline = clock() + int(max_seconds * 1e9)
        stop = deadline - int(REPORT_MARGIN_S * 1e9)
        stream_id = os.urandom(8).hex()
        rate = self.info["publish_rate_msgs_per_s"]
        chunk = max(1, min(CHUNK, rate // 1000)) if rate else CHUNK
        with pinned(self.placement.client_cpu):
            # Slow joiner: PUB drops what it sends before a subscription reached it, so
            # hello is repeated until every subscriber has answered on the back channel.
            joined = self._until_all(b"hello", {"stream": stream_id, "size": size_bytes}, stop)
            if len(joined) < self.subscribers:
                missing = sorted(set(range(self.subscribers)) - set(joined))
                raise TimeoutError(f"subscribers {missing} never answered hello")
            message, send = b"\xa5" * size_bytes, self.pub.send
            sent, began = 0, clock()
            while sent < count and clock() < stop:
                n = min(chunk, count - sent)
                for _ in range(n):
                    send(message, copy=False)  # never blocks: PUB drops at the HWM
                sent += n
                if rate and (ahead_ns := began + sent * 10**9 // rate - clock()) > 0:
                    time.sleep(ahead_ns / 1e9)
            published = clock()
            reports = self._until_all(b"end", {"stream": stream_id}, deadline)
        per = [reports.get(i, {}) for i in range(self.subscribers)]
        received = tuple(r.get("received", 0) for r in per)
        arrived = max(published, *(r.get("last_ns", 0) for r in per))
        ended = "no-report" if len(reports) < self.subscribers else "budget"
        ended = "count" if ended == "budget" and sent == count else ended
        return FanoutResult(
            sent,
            min(received),
            min(r.get("received_bytes", 0) for r in per),
            arrived - began,
            ended != "count",
            ended,
            per_subscriber_received=received,
            publish_ns=published - began,
        )

    def _until_all(self, verb: bytes, payload: dict, deadline: int) -> dict[int, dict]:
        """Publish a control message every 10 ms until every subscriber has answered it."""
        from commbench.transports.zmq_peer import CONTROL

        zmq = _zmq()
        frames = [CONTROL, verb, json.dumps(payload).encode()]
        answers: dict[int, dict] = {}
        next_send = now = time.perf_counter_ns()
        while len(answers) < self.subscribers and now < deadline:
            if now >= next_send:
                self.pub.send_multipart(frames)
                next_send = now + RESEND_NS
            if self.back.poll(max(1, (min(next_send, deadline) - now) // 1_000_000)):
                while self.back.poll(0):
                    answer = self.back.recv_json(zmq.NOBLOCK)
                    if answer["verb"] == verb.decode() and answer["stream"] == payload["stream"]:
                        answers[answer["index"]] = answer
            now = time.perf_counter_ns()
        return answers


def _fanout_opener(subscribers: int):
    @contextmanager
    def open_link(placement: Placement, options: dict[str, Any]) -> Iterator[Link]:
        from commbench.transports import zmq_peer

        if options.get("peer"):
            raise Unsupported("the PUB/SUB fan-out runs on this machine only")
        zmq = _zmq()
        cpus = available_cpus()  # subscribers round-robin from the peer's CPU
        first = cpus.index(placement.peer_cpu) if placement.peer_cpu in cpus else 0
        sub_cpus = [cpus[(first + i) % len(cpus)] for i in range(subscribers)]
        ctx = _context(placement.client_cpu)
        try:
            with pinned(placement.client_cpu), ExitStack() as stack:
                pub = zmq_peer.bind(ctx, zmq.PUB, "tcp://127.0.0.1:*")
                back = zmq_peer.bind(ctx, zmq.PULL, "tcp://127.0.0.1:*")
                endpoints = {"pub": pub.last_endpoint.decode(), "back": back.last_endpoint.decode()}
                pids = []
                for index, cpu in enumerate(sub_cpus):
                    sub_options = json.dumps({**endpoints, "index": index})
                    peer = PeerProcess("zmq-sub", "--options", sub_options, cpu=cpu)
                    pids.append(stack.enter_context(peer).pid)
                info = _info("PUB/SUB", "tcp", placement) | endpoints
                info |= {"path": "localhost", "peer_kind": "process", "subscribers": subscribers}
                info |= {"subscriber_cpus": sub_cpus, "subscriber_pids": pids}
                info |= {"received": "minimum over subscribers"}
                info |= {"publish_rate_msgs_per_s": options.get("publish_rate_msgs_per_s")}
                yield FanoutLink(pub, back, subscribers, placement, info)
        finally:
            ctx.destroy(linger=0)

    return open_link


_INPROC = (
    "inproc has no second process: the REP is a thread of the client's process on the "
    "same Context, sharing its GIL; it measures pyzmq and the GIL hand-off, not IPC"
)
_PULL = "the PULL peer counts and reports over REQ/REP; losses are counted, not hung on"
_PUBSUB = "received = minimum over subscribers; per subscriber in FanoutResult"


def _transport(pattern: str, kind: str, notes: str) -> Transport:
    name = f"zmq-{pattern.replace('/', '').lower()}-{kind}"
    label = f"ZeroMQ {pattern}, {kind}://"
    opener, streams = _opener(pattern, kind), pattern == "PUSH/PULL"
    tags = ("zmq", "one-way") if streams else ("zmq",)  # PUSH/PULL has no round trip
    return Transport(
        name, label, opener, remote=kind == "tcp", streams=streams, notes=notes, tags=tags
    )


TRANSPORTS = (
    _transport("REQ/REP", "tcp", ""),
    _transport("REQ/REP", "ipc", ""),
    _transport("REQ/REP", "inproc", _INPROC),
    _transport("PUSH/PULL", "tcp", _PULL),
    _transport("PUSH/PULL", "ipc", _PULL),
    *(
        Transport(
            f"zmq-pubsub-{n}",
            f"ZeroMQ PUB/SUB to {n} subscriber process(es), tcp://",
            _fanout_opener(n),
            streams=True,
            notes=_PUBSUB,
            tags=("zmq", "fanout"),  # no latency cases: PUB/SUB has no round trip
        )
        for n in (1, 2, 4)
    ),
)
