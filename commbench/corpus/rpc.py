"""A small RPC-style record (~150 bytes of compact JSON): the message of a chatty service."""

from __future__ import annotations

import random
from typing import Any

from commbench.corpus import Payload

_SERVICES = ("inventory", "billing", "users", "search", "orders", "auth", "feed", "geo")
_VERBS = ("list_items", "get", "update", "create", "delete", "lookup", "refresh", "query")
_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
_DOMAINS = ("example.com", "example.org", "corp.example.net")
_TAGS = ("beta", "eu-west", "us-east", "mobile", "web", "retry", "batch", "canary", "internal")


def record(rng: random.Random) -> dict[str, Any]:
    """One RPC record: ``{id, method, user, ts, ok, tags, args: {limit, offset}}``."""
    return {
        "id": rng.randrange(1, 2**40),
        "method": f"{rng.choice(_SERVICES)}.{rng.choice(_VERBS)}",
        "user": f"{rng.choice(_USERS)}{rng.randrange(100)}@{rng.choice(_DOMAINS)}",
        "ts": 1_700_000_000 + rng.random() * 30_000_000,
        "ok": rng.random() < 0.9,
        "tags": rng.sample(_TAGS, rng.randint(1, 3)),
        "args": {"limit": rng.choice((10, 20, 50, 100)), "offset": rng.randrange(0, 10_000)},
    }


def generate(seed: int) -> Payload:
    """One RPC record as a payload (message ``Rpc``)."""
    return Payload(
        name="rpc",
        value=record(random.Random(seed)),
        message="Rpc",
        source="builtin",
        description="one small RPC-style record (~150 B): ints, a float, a bool, short strings",
        params={"seed": seed},
    )
