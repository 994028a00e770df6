"""NATS clients (nats-py): core NATS publish/subscribe and JetStream (file storage).

Modes (``config["mode"]``):
- ``core``: publish and go on (asynchronous, transient; no acknowledgement);
- ``core-sync``: publish, then flush: wait for the server's PONG (synchronous,
  transient; the flush is the acknowledgement that the server has the message);
- ``js``: JetStream publish awaiting its PubAck (synchronous, persistent);
- ``js-async``: JetStream publish_async, acknowledgements as they come, at most
  ``window`` outstanding (asynchronous, persistent).
The consumer of core NATS is a plain subscription; of JetStream a durable pull
consumer with explicit acks (acked after the delivery is recorded).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import nats
from nats.js import api

from commbench.messaging.worker import Recorder, Stopping, aschedule, message, say_ready

STREAM = "BENCH"
SUBJECT = "bench.msgs"


async def _connect(config: dict[str, Any]) -> nats.NATS:
    async def quiet(*_: object) -> None:  # reconnects are expected under faults
        return None

    return await nats.connect(
        config["url"],
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.05,
        connect_timeout=2,
        error_cb=quiet,
        disconnected_cb=quiet,
        reconnected_cb=quiet,
        pending_size=64 * 1024 * 1024,
    )


async def _ensure_stream(js: Any) -> None:
    config = api.StreamConfig(
        name=STREAM, subjects=[SUBJECT], storage=api.StorageType.FILE, num_replicas=1
    )
    for _ in range(50):  # JetStream may still be recovering after a restart: bounded
        try:
            await js.add_stream(config)
            return
        except Exception:
            await asyncio.sleep(0.1)
    await js.add_stream(config)


async def _produce(config: dict[str, Any], rec: Recorder) -> None:
    nc = await _connect(config)
    mode, size = config["mode"], config["size_bytes"]
    timeout = config.get("publish_timeout_s", 1.0)
    js = nc.jetstream(timeout=timeout, publish_async_max_pending=config.get("window", 256))
    say_ready()
    pending: set[asyncio.Future] = set()
    async for seq in aschedule(config["count"], config["rate_per_s"], config["max_seconds"]):
        data, t = message(seq, size)
        rec.sent(seq, t)
        try:
            if mode == "core":
                await nc.publish(SUBJECT, data)
                rec.returned(seq)
            elif mode == "core-sync":
                await nc.publish(SUBJECT, data)
                await nc.flush(timeout=timeout)
                rec.acked(seq)
            elif mode == "js":
                await js.publish(SUBJECT, data, timeout=timeout)
                rec.acked(seq)
            else:  # js-async
                future = await js.publish_async(SUBJECT, data, wait_stall=timeout)
                rec.returned(seq)
                future.add_done_callback(lambda f, s=seq: _settled(rec, s, f))
                pending.add(future)
                future.add_done_callback(pending.discard)
        except Exception as exc:
            rec.failed(seq, exc)
    if pending:  # outstanding acknowledgements: wait a bounded time for them
        with contextlib.suppress(Exception):
            await asyncio.wait(pending, timeout=config.get("settle_s", 3.0))
    with contextlib.suppress(Exception):
        await nc.flush(timeout=2)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(nc.close(), 2)


def _settled(rec: Recorder, seq: int, future: asyncio.Future) -> None:
    if future.cancelled():
        rec.failed(seq, "cancelled")
    elif future.exception() is not None:
        rec.failed(seq, future.exception())
    else:
        rec.acked(seq)


async def _consume(config: dict[str, Any], rec: Recorder) -> None:
    stopping = Stopping()
    nc = await _connect(config)
    deadline = time.monotonic() + config.get("lifetime_s", 600.0)
    if config["mode"].startswith("core"):

        async def on_message(msg: Any) -> None:
            rec.delivered(msg.data)

        await nc.subscribe(SUBJECT, cb=on_message, pending_msgs_limit=1_000_000)
        await nc.flush(timeout=5)
        say_ready()
        while not stopping and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    else:
        js = nc.jetstream(timeout=2.0)
        await _ensure_stream(js)
        consumer = api.ConsumerConfig(
            durable_name="bench",
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=config.get("ack_wait_s", 2.0),
            max_ack_pending=config.get("window", 256) * 4,
        )
        sub = await js.pull_subscribe(SUBJECT, durable="bench", stream=STREAM, config=consumer)
        say_ready()
        while not stopping and time.monotonic() < deadline:
            try:
                msgs = await sub.fetch(batch=256, timeout=0.1)
            except Exception:  # timeout, or the server is away: try again (bounded)
                continue
            for msg in msgs:
                rec.delivered(msg.data)
                with contextlib.suppress(Exception):
                    await msg.ack()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(nc.close(), 2)


def producer(config: dict[str, Any], rec: Recorder) -> None:
    asyncio.run(_produce(config, rec))


def consumer(config: dict[str, Any], rec: Recorder) -> None:
    asyncio.run(_consume(config, rec))
