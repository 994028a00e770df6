"""Systems and their modes: the registry the benchmarks and the crash matrix walk.

A :class:`Mode` says which broker (if any) runs with which options, which client module
produces and consumes, and where it sits in the lecture's 2x2 table: *sync* (the
producer waits for each message's acknowledgement before the next) or not, and
*persistent* (the middleware keeps the message while the receiver is down) or not.
``acks`` says whether the producer gets acknowledgements at all (loss is then counted
per acknowledged message; without, per sent message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FAULTS = ("none", "consumer-kill", "broker-kill", "broker-stop", "producer-kill", "power-cut")
BROKER_FAULTS = ("broker-kill", "broker-stop", "power-cut")


@dataclass(frozen=True)
class Mode:
    system: str
    mode: str
    client: str  # module with producer() and consumer()
    sync: bool
    persistent: bool
    acks: bool
    broker: str | None = None  # a key of brokers.BROKERS; None: brokerless
    broker_options: dict[str, Any] = field(default_factory=dict)
    client_options: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.system}/{self.mode}"

    @property
    def cell(self) -> str:
        """The 2x2 cell: "sync-persistent", "async-transient", ..."""
        return (
            f"{'sync' if self.sync else 'async'}-{'persistent' if self.persistent else 'transient'}"
        )

    def applies(self, fault: str) -> bool:
        """Broker faults do not apply to brokerless systems."""
        return not (self.broker is None and fault in BROKER_FAULTS)

    def params(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "mode": self.mode,
            "sync": self.sync,
            "persistent": self.persistent,
            "acks": self.acks,
            "cell": self.cell,
        }


_CLIENTS = "commbench.messaging.clients."
_NATS = _CLIENTS + "nats_client"
_JS = {"jetstream": True}
_REDIS = _CLIENTS + "redis_client"
_MQTT = _CLIENTS + "mqtt_client"
_RABBIT = _CLIENTS + "rabbitmq_client"


def _modes() -> list[Mode]:
    return [
        Mode("nats", "core", _NATS, False, False, False, "nats", {}, {"mode": "core"}),
        Mode("nats", "core-sync", _NATS, True, False, True, "nats", {}, {"mode": "core-sync"}),
        Mode("nats", "js-default", _NATS, True, True, True, "nats", _JS, {"mode": "js"}),
        Mode(
            "nats",
            "js-always",
            _NATS,
            True,
            True,
            True,
            "nats",
            {**_JS, "sync_interval": "always"},
            {"mode": "js"},
        ),
        Mode("nats", "js-async", _NATS, False, True, True, "nats", _JS, {"mode": "js-async"}),
        # Redis Streams: the XADD reply is the acknowledgement; without the append-only
        # file the stream lives in memory only (transient across a broker crash)
        Mode("redis", "memory", _REDIS, True, False, True, "redis", {"appendonly": False}),
        *(
            Mode("redis", f"aof-{fsync}", _REDIS, True, True, True, "redis", {"appendfsync": fsync})
            for fsync in ("no", "everysec", "always")
        ),
        Mode("mqtt", "qos0", _MQTT, False, False, False, "mosquitto", {}, {"qos": 0}),
        Mode("mqtt", "qos1", _MQTT, True, True, True, "mosquitto", {}, {"qos": 1}),
        Mode("mqtt", "qos2", _MQTT, True, True, True, "mosquitto", {}, {"qos": 2}),
        *(
            Mode("rabbitmq", name, _RABBIT, sync, persistent, sync, "rabbitmq", {}, {"mode": name})
            for name, sync, persistent in (
                ("classic-transient", False, False),
                ("durable", True, True),
                ("quorum", True, True),
            )
        ),
        Mode("zmq", "push-pull", _CLIENTS + "zmq_client", False, False, False),
        Mode("tcp", "raw", _CLIENTS + "tcp_client", False, False, False),
    ]


MODES: dict[str, Mode] = {m.key: m for m in _modes()}
"""``system/mode`` -> Mode; a new system adds its modes here."""


def mode(key: str) -> Mode:
    try:
        return MODES[key]
    except KeyError:
        from commbench.errors import UserError

        raise UserError(f"unknown messaging mode {key!r}; known: {', '.join(MODES)}") from None


AT_THE_ACK: dict[str, str] = {
    "nats/js-default": "acked before fsync: JetStream fsyncs every sync_interval, 2 min by default",
    "nats/js-async": "acked before fsync: JetStream fsyncs every sync_interval, 2 min by default",
    "nats/js-always": "fsynced before the ack (sync_interval: always)",
    "redis/aof-no": "appended to the AOF, acked before fsync; the OS writes it back when it will",
    "redis/aof-everysec": "acked before fsync: the AOF is fsynced once a second",
    "redis/aof-always": "the AOF is fsynced before the reply",
    "mqtt/qos1": (
        "held in memory: mosquitto writes mosquitto.db only every autosave_interval "
        "(1800 s) or at a clean exit, so a killed broker loses what it queued"
    ),
    "mqtt/qos2": (
        "held in memory: mosquitto writes mosquitto.db only every autosave_interval "
        "(1800 s) or at a clean exit, so a killed broker loses what it queued"
    ),
    "rabbitmq/durable": "publisher confirm after the queue index / message store is fsynced",
    "rabbitmq/quorum": "publisher confirm after the Raft log (WAL) is fdatasynced",
}
"""Persistent mode -> where an acknowledged message is when the ack is sent: why a
power cut (or, for mosquitto, any broker kill with a backlog) loses it or not."""
