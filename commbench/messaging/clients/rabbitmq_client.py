"""RabbitMQ clients (pika, AMQP 0-9-1) for a private rabbitmq-server node.

Modes (``config["mode"]``):
- ``classic-transient``: non-durable classic queue, transient messages, no publisher
  confirms, auto-ack consumer (asynchronous, transient; no acknowledgement);
- ``durable``: durable classic queue, persistent messages, publisher confirms awaited
  per message, manual consumer acks after recording (synchronous, persistent);
- ``quorum``: the same on a quorum queue (Raft log, fsynced before the confirm).
The consumer declares the queue before it says READY, and again after a reconnect.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pika
import pika.exceptions

from commbench.messaging.worker import Recorder, Stopping, message, say_ready, schedule

QUEUE = "bench"


def _durable(config: dict[str, Any]) -> bool:
    return config["mode"] != "classic-transient"


def _connect(config: dict[str, Any]) -> pika.BlockingConnection:
    params = pika.URLParameters(config["url"])
    params.socket_timeout = 2.0
    params.blocked_connection_timeout = 5.0
    params.connection_attempts = 1
    params.heartbeat = 0
    return pika.BlockingConnection(params)


def _declare(channel: Any, config: dict[str, Any]) -> None:
    arguments = {"x-queue-type": "quorum"} if config["mode"] == "quorum" else None
    channel.queue_declare(QUEUE, durable=_durable(config), arguments=arguments)


def producer(config: dict[str, Any], rec: Recorder) -> None:
    durable = _durable(config)
    properties = pika.BasicProperties(delivery_mode=2 if durable else 1)
    connection = channel = None

    def open_channel() -> Any:
        nonlocal connection
        connection = _connect(config)
        ch = connection.channel()
        if durable:
            ch.confirm_delivery()
        return ch

    channel = open_channel()
    say_ready()
    for seq in schedule(config["count"], config["rate_per_s"], config["max_seconds"]):
        data, t = message(seq, config["size_bytes"])
        rec.sent(seq, t)
        try:
            if channel is None:
                channel = open_channel()
            channel.basic_publish("", QUEUE, data, properties, mandatory=durable)
        except (pika.exceptions.AMQPError, OSError) as exc:
            rec.failed(seq, exc or type(exc).__name__)
            with contextlib.suppress(Exception):
                connection.close()  # type: ignore[union-attr]
            channel = None
            continue
        if durable:
            rec.acked(seq)  # basic_publish returned: the broker confirmed it
        else:
            rec.returned(seq)
    with contextlib.suppress(Exception):
        connection.close()  # type: ignore[union-attr]


def consumer(config: dict[str, Any], rec: Recorder) -> None:
    stopping = Stopping()
    durable = _durable(config)
    deadline = time.monotonic() + config.get("lifetime_s", 600.0)

    def on_message(channel: Any, method: Any, _props: Any, body: bytes) -> None:
        rec.delivered(body)
        if durable:
            channel.basic_ack(method.delivery_tag)

    first = True
    while not stopping and time.monotonic() < deadline:
        try:
            connection = _connect(config)
            channel = connection.channel()
            _declare(channel, config)
            channel.basic_qos(prefetch_count=256)
            channel.basic_consume(QUEUE, on_message, auto_ack=not durable)
            if first:
                say_ready()
                first = False
            while not stopping and time.monotonic() < deadline:
                connection.process_data_events(time_limit=0.05)
            with contextlib.suppress(Exception):
                connection.close()
        except (pika.exceptions.AMQPError, OSError):
            if first:
                raise
            time.sleep(0.1)  # the broker is away: reconnect (bounded by the deadline)
