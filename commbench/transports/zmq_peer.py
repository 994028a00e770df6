"""ZeroMQ peer servers: a REP echo with a PULL sink, and a SUB subscriber.

Run inside ``python -m commbench.transports.peer zmq|zmq-sub --options JSON``
(one process per peer), or in a thread (the inproc echo, the LAN peer).

Wire protocol, shared with :mod:`commbench.transports.zmq_links`:

* REP: a request is echoed back unchanged, except ``[CONTROL, verb, json]``,
  which drives the PULL sink. ``start {stream, count, size, budget_s, idle_s}``:
  wait for the frame ``PRIME + stream`` on PULL (older frames are discarded),
  answer ``{"ok": true}``, then count frames until *count* arrived, none arrived
  for *idle_s*, or *budget_s* passed. ``report``: answer the counts of the last
  stream (``received``, ``received_bytes``, ``ended``, ``tail_ns``: the final
  silent wait, to subtract from the client's elapsed time).
* SUB: ``[CONTROL, b"hello", {stream, size}]`` starts a stream (counters
  reset) and is acknowledged on the back channel; single frames are counted;
  ``[CONTROL, b"end", {stream}]`` is answered with the counts and the
  ``perf_counter_ns`` (CLOCK_MONOTONIC, shared by the machine's processes) at
  which the last data frame had arrived.

Every wait is bounded (``POLL_MS``, the idle timeout, ``PRIME_TIMEOUT_S``) and
SIGTERM ends the process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq

CONTROL = b"commbench-ctl"
PRIME = b"commbench-prime:"
POLL_MS = 200
# Every socket queues at most HWM messages per peer (libzmq's default, set explicitly).
# Set before bind/connect and never changed: changing RCVHWM on a connected PULL
# crashed libzmq 4.3.5's I/O thread here (SIGSEGV).
HWM = 1000
PRIME_TIMEOUT_S = 5.0


def tcp_endpoint(host: str, port: int) -> str:
    """``tcp://HOST:PORT``; port 0 lets the OS choose (``*``), read back from LAST_ENDPOINT."""
    host = f"[{host}]" if ":" in host else host
    return f"tcp://{host}:{port or '*'}"


def bind(ctx: zmq.Context, kind: int, endpoint: str) -> zmq.Socket:
    """A socket of *kind* bound to *endpoint*, LINGER 0 (closing never blocks), HWM set."""
    sock = ctx.socket(kind)
    sock.linger, sock.sndhwm, sock.rcvhwm = 0, HWM, HWM
    if endpoint.startswith("tcp://["):
        sock.ipv6 = True
    try:
        sock.bind(endpoint)
    except zmq.ZMQError as exc:
        sock.close()
        raise OSError(exc.errno, f"ZeroMQ bind {endpoint}: {exc.strerror}") from exc
    return sock


def connect(ctx: zmq.Context, kind: int, endpoint: str, timeout_s: float = -1) -> zmq.Socket:
    """A socket of *kind* connected to *endpoint*: LINGER 0, HWM set, send/receive timeouts."""
    sock = ctx.socket(kind)
    sock.linger, sock.sndhwm, sock.rcvhwm = 0, HWM, HWM
    sock.rcvtimeo = sock.sndtimeo = int(timeout_s * 1000) if timeout_s > 0 else -1
    if endpoint.startswith("tcp://["):
        sock.ipv6 = True
    sock.connect(endpoint)
    return sock


def serve_rep(
    rep: zmq.Socket, pull: zmq.Socket | None, stop: threading.Event | None = None
) -> None:
    """Echo requests and run the sink's control requests until *stop* is set."""
    rep.rcvtimeo = POLL_MS
    recv, send = rep.recv, rep.send
    last: dict[str, Any] = {"error": "no stream was started"}
    while stop is None or not stop.is_set():
        try:
            first = recv(copy=False)
        except zmq.Again:
            continue
        if not first.more:  # a single-frame request, the echo's case: one call each way
            send(first, copy=False)
            continue
        frames = [first, *rep.recv_multipart(copy=False)]  # the rest of this message
        if len(frames) != 3 or frames[0].bytes != CONTROL:
            rep.send_multipart(frames, copy=False)
            continue
        verb = frames[1].bytes
        if verb == b"start" and pull is not None:
            try:  # a LAN peer may hear anyone: a bad request gets an answer, not a crash
                request = json.loads(frames[2].bytes)
                marker = PRIME + request["stream"].encode()
                stream = {key: request[key] for key in ("count", "size", "budget_s", "idle_s")}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                rep.send_json({"error": f"bad start request: {exc!r}"})
                continue
            ok = _wait_prime(pull, marker)
            rep.send_json({"ok": ok})
            if ok:
                last = count_stream(pull, **stream)
        elif verb == b"report":
            rep.send_json(last)
        else:
            rep.send_json({"error": f"unknown control request {verb!r}"})


def _wait_prime(pull: zmq.Socket, marker: bytes) -> bool:
    deadline = time.monotonic() + PRIME_TIMEOUT_S
    while (remaining := deadline - time.monotonic()) > 0:
        if pull.poll(int(remaining * 1000) + 1) and pull.recv() == marker:
            return True
    return False


def count_stream(
    pull: zmq.Socket, *, count: int, size: int, budget_s: float, idle_s: float
) -> dict[str, Any]:
    """Receive up to *count* frames into one buffer; counts, bytes and why it ended."""
    buffer = bytearray(min(max(size, 1), 2**24))  # recv_into gives the whole frame's size
    recv_into, poll, clock = pull.recv_into, pull.poll, time.perf_counter_ns
    received = received_bytes = 0
    deadline = clock() + int(budget_s * 1e9)
    idle_ms = max(1, int(idle_s * 1000))
    ended, tail_ns = "count", 0
    while received < count:
        try:
            received_bytes += recv_into(buffer, flags=zmq.NOBLOCK)
            received += 1
            continue
        except zmq.Again:
            pass
        # The queue is empty: the frames so far had all arrived before this instant.
        empty_at = clock()
        if empty_at >= deadline:
            ended, tail_ns = "budget", 0
            break
        if not poll(min(idle_ms, (deadline - empty_at) // 1_000_000 + 1)):
            now = clock()
            ended, tail_ns = ("budget" if now >= deadline else "idle"), now - empty_at
            break
    return {
        "received": received,
        "received_bytes": received_bytes,
        "ended": ended,
        "tail_ns": tail_ns,
    }


def subscribe(sub: zmq.Socket, back: zmq.Socket, index: int) -> None:
    """Count what a SUB socket gets, stream by stream, forever (see the module docstring)."""
    buffer = bytearray(len(CONTROL))
    recv_into, poll, clock = sub.recv_into, sub.poll, time.perf_counter_ns
    stream, received, received_bytes, last_ns, pending = "", 0, 0, 0, False
    while True:
        try:
            n = recv_into(buffer, flags=zmq.NOBLOCK)
        except zmq.Again:
            if pending:  # the last frame counted arrived before now
                last_ns, pending = clock(), False
            poll(POLL_MS)
            continue
        if not (n == len(CONTROL) and buffer[:n] == CONTROL):
            received += 1
            received_bytes += n
            pending = True
            continue
        if pending:
            last_ns, pending = clock(), False
        verb, payload = sub.recv_multipart()
        message = json.loads(payload)
        if verb == b"hello":
            if message["stream"] != stream:
                stream, received, received_bytes, last_ns = message["stream"], 0, 0, 0
                buffer = bytearray(max(message["size"], len(CONTROL)))
            back.send_json({"verb": "hello", "stream": stream, "index": index})
        elif verb == b"end" and message["stream"] == stream:
            report = {"received": received, "received_bytes": received_bytes, "last_ns": last_ns}
            back.send_json({"verb": "end", "stream": stream, "index": index, **report})


def serve_inproc(
    ctx: zmq.Context, endpoint: str, cpu: int | None, stop: threading.Event, bound: threading.Event
) -> None:
    """The inproc REP echo, in a thread of the client's process pinned to *cpu*."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # pid 0 is the calling thread only (Linux)
    rep = bind(ctx, zmq.REP, endpoint)
    bound.set()
    try:
        serve_rep(rep, None, stop)
    finally:
        rep.close()


def start_lan(host: str, port: int) -> dict[str, str]:
    """The LAN peer's ZeroMQ side: REP on *port* + 1, PULL on *port* + 2, in a thread."""
    ctx = zmq.Context()
    rep = bind(ctx, zmq.REP, tcp_endpoint(host, port + 1))
    pull = bind(ctx, zmq.PULL, tcp_endpoint(host, port + 2))
    endpoints = {"zmq_rep": rep.last_endpoint.decode(), "zmq_pull": pull.last_endpoint.decode()}
    threading.Thread(target=serve_rep, args=(rep, pull), daemon=True).start()
    return endpoints


def serve_zmq(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    """REP echo and PULL sink over ``options["transport"]``: tcp (OS-chosen ports) or ipc."""
    transport = args.options.get("transport", "tcp")
    host = args.listen.rpartition(":")[0].strip("[]") or "127.0.0.1"
    directory = tempfile.mkdtemp(prefix="commbench-zmq-") if transport == "ipc" else None
    ctx = zmq.Context()
    try:
        if directory:
            rep_ep, pull_ep = f"ipc://{directory}/rep.sock", f"ipc://{directory}/pull.sock"
        else:
            rep_ep = pull_ep = tcp_endpoint(host, 0)
        rep, pull = bind(ctx, zmq.REP, rep_ep), bind(ctx, zmq.PULL, pull_ep)
        ready({"rep": rep.last_endpoint.decode(), "pull": pull.last_endpoint.decode()})
        serve_rep(rep, pull)
    finally:
        ctx.destroy(linger=0)
        if directory:
            shutil.rmtree(directory, ignore_errors=True)


def serve_sub(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    """One subscriber: SUB to ``options["pub"]``, reports by PUSH to ``options["back"]``."""
    ctx = zmq.Context()
    try:
        sub = connect(ctx, zmq.SUB, args.options["pub"])
        sub.subscribe(b"")
        back = connect(ctx, zmq.PUSH, args.options["back"])
        ready({"index": args.options["index"]})
        subscribe(sub, back, args.options["index"])
    finally:
        ctx.destroy(linger=0)
