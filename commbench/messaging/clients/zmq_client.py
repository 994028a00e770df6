"""ZeroMQ PUSH/PULL (pyzmq), brokerless: the consumer binds PULL, the producer PUSHes.

Transient and asynchronous: a send returns once the message is queued in the
producer's process. What sits in a queue of a peer that dies is gone (the lecture:
"forever"). With no peer connected, a send waits up to ``publish_timeout_s`` and is
then recorded as failed.
"""

from __future__ import annotations

import time
from typing import Any

import zmq

from commbench.messaging.worker import Recorder, Stopping, message, say_ready, schedule


def producer(config: dict[str, Any], rec: Recorder) -> None:
    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.SNDTIMEO, int(config.get("publish_timeout_s", 1.0) * 1000))
    push.setsockopt(zmq.LINGER, 1000)
    for port in config.get("ports") or [config["port"]]:  # round-robin over the pullers
        push.connect(f"tcp://127.0.0.1:{port}")
    say_ready()
    for seq in schedule(config["count"], config["rate_per_s"], config["max_seconds"]):
        data, t = message(seq, config["size_bytes"])
        rec.sent(seq, t)
        try:
            push.send(data, copy=False)
        except zmq.Again as exc:
            rec.failed(seq, exc)
            continue
        rec.returned(seq)
    push.close()  # lingers up to 1 s to hand over what is queued
    context.term()


def consumer(config: dict[str, Any], rec: Recorder) -> None:
    stopping = Stopping()
    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.bind(f"tcp://127.0.0.1:{config['port']}")
    say_ready()
    deadline = time.monotonic() + config.get("lifetime_s", 600.0)
    while not stopping and time.monotonic() < deadline:
        if pull.poll(50):
            while True:
                try:
                    rec.delivered(pull.recv(zmq.NOBLOCK))
                except zmq.Again:
                    break
    pull.close()
    context.term()
