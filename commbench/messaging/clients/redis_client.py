"""Redis Streams clients (redis-py): XADD awaiting its reply, a consumer group with XACK.

Modes: ``sync`` (one XADD, wait for its reply, the next: synchronous) and
``pipelined`` (up to ``window`` XADDs per round trip: asynchronous within the
window). The reply is the acknowledgement: the broker has the message in memory and,
with ``appendfsync always``, in its append-only file. The consumer reads its pending
entries first (those delivered to a killed incarnation and never acked), then new
ones, and XACKs each batch after recording it.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import redis

from commbench.messaging.worker import Recorder, Stopping, message, say_ready, schedule

STREAM = "bench"
GROUP = "bench"


def _client(config: dict[str, Any]) -> redis.Redis:
    return redis.Redis.from_url(config["url"], socket_timeout=1.0, socket_connect_timeout=1.0)


def producer(config: dict[str, Any], rec: Recorder) -> None:
    client = _client(config)
    client.ping()
    say_ready()
    window = config.get("window", 1) if config.get("mode") == "pipelined" else 1
    batch: list[tuple[int, bytes]] = []

    def flush() -> None:
        pipe = client.pipeline(transaction=False)
        for _, data in batch:
            pipe.xadd(STREAM, {"m": data})
        try:
            pipe.execute()
        except redis.RedisError as exc:
            for seq, _ in batch:
                rec.failed(seq, exc)
        else:
            for seq, _ in batch:
                rec.acked(seq)
        batch.clear()

    for seq in schedule(config["count"], config["rate_per_s"], config["max_seconds"]):
        data, t = message(seq, config["size_bytes"])
        rec.sent(seq, t)
        batch.append((seq, data))
        if len(batch) >= window or config["rate_per_s"] > 0:
            flush()
    if batch:
        flush()


def consumer(config: dict[str, Any], rec: Recorder) -> None:
    stopping = Stopping()
    client = _client(config)
    with contextlib.suppress(redis.ResponseError):  # BUSYGROUP: it exists (a restart)
        client.xgroup_create(STREAM, GROUP, id="$", mkstream=True)
    say_ready()
    deadline = time.monotonic() + config.get("lifetime_s", 600.0)
    cursor = "0"  # first our pending entries, then new ones
    while not stopping and time.monotonic() < deadline:
        try:
            reply = client.xreadgroup(GROUP, "c", {STREAM: cursor}, count=256, block=100)
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):  # the broker lost the group (a power cut): again,
                with contextlib.suppress(redis.RedisError):  # from what it still holds
                    client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
            time.sleep(0.05)
            continue
        except redis.RedisError:
            time.sleep(0.05)  # the broker is away: try again (bounded by the deadline)
            continue
        entries = reply[0][1] if reply else []
        if cursor == "0" and not entries:
            cursor = ">"
            continue
        ids = []
        for entry_id, fields in entries:
            if fields:  # a pending entry trimmed away has no fields
                rec.delivered(fields[b"m"])
            ids.append(entry_id)
        if ids:
            with contextlib.suppress(redis.RedisError):
                client.xack(STREAM, GROUP, *ids)
