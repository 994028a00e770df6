"""MQTT clients (paho-mqtt) for mosquitto: QoS 0, 1 and 2 with a persistent session.

The consumer connects with a fixed client id and ``clean_session=False``, so the
broker queues QoS 1/2 messages while it is down. QoS 0 is fire and forget
(asynchronous, transient; no acknowledgement). For QoS 1 and 2 the producer waits
for each message's PUBACK / PUBCOMP before the next (synchronous); an
acknowledgement not in within the timeout is recorded as a failure and the producer
goes on (paho still retries it; a later delivery counts as unacknowledged-delivered).
paho acknowledges a delivery to the broker after the callback that records it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from commbench.messaging.worker import Recorder, Stopping, message, say_ready, schedule

TOPIC = "bench/msgs"


def _client(client_id: str, clean: bool) -> mqtt.Client:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean,
        protocol=mqtt.MQTTv311,
    )
    client.reconnect_delay_set(min_delay=0.05, max_delay=0.2)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


def _connect(client: mqtt.Client, config: dict[str, Any]) -> None:
    host, port = config["url"].rsplit(":", 1)
    connected = threading.Event()
    client.on_connect = lambda *a, **k: connected.set()
    client.connect(host, int(port), keepalive=5)
    client.loop_start()
    if not connected.wait(5):
        raise ConnectionError("no CONNACK in 5 s")


def producer(config: dict[str, Any], rec: Recorder) -> None:
    qos = int(config["qos"])
    client = _client(f"commbench-producer-{time.monotonic_ns()}", clean=True)
    _connect(client, config)
    say_ready()
    timeout = config.get("publish_timeout_s", 1.0)
    for seq in schedule(config["count"], config["rate_per_s"], config["max_seconds"]):
        data, t = message(seq, config["size_bytes"])
        rec.sent(seq, t)
        info = client.publish(TOPIC, data, qos=qos)
        if qos == 0:
            rec.returned(seq)
            continue
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            rec.failed(seq, exc)
            continue
        if info.is_published():
            rec.acked(seq)
        else:
            rec.failed(seq, "no acknowledgement in time")
    time.sleep(0.2)  # QoS 0: let the network loop write what is queued
    client.disconnect()
    client.loop_stop()


def consumer(config: dict[str, Any], rec: Recorder) -> None:
    stopping = Stopping()
    qos = int(config["qos"])
    client = _client("commbench-consumer", clean=qos == 0)
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, msg: rec.delivered(msg.payload)
    client.on_subscribe = lambda *a, **k: subscribed.set()
    _connect(client, config)
    client.on_connect = lambda c, *a, **k: c.subscribe(TOPIC, qos=qos)  # again on reconnects
    client.subscribe(TOPIC, qos=qos)
    if not subscribed.wait(5):
        raise ConnectionError("no SUBACK in 5 s")
    say_ready()
    deadline = time.monotonic() + config.get("lifetime_s", 600.0)
    while not stopping and time.monotonic() < deadline:
        time.sleep(0.02)
    client.disconnect()
    client.loop_stop()
