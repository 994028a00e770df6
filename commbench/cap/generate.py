"""Seeded histories of a simulated linearizable register store (checker tests and bench).

Each client issues operations one after another; every operation takes effect at one
instant between its invocation and completion (its linearization point), on a true
register per key, so the history is linearizable by construction. A share of the
operations time out: their outcome is ``unknown`` and, at random, they either took effect
at their point or never did. :func:`stale_reads` then breaks such a history on purpose.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from commbench.cap.history import Op, op


def linearizable_history(
    n_ops: int = 10_000,
    clients: int = 8,
    keys: int = 5,
    unknown_share: float = 0.01,
    seed: int = 0,
    mix: tuple[float, float, float] = (0.5, 0.3, 0.2),
) -> list[Op]:
    """*n_ops* read/write/cas operations of *clients* on *keys* registers (see module)."""
    rng = np.random.default_rng(seed)
    per_client = -(-n_ops // clients)
    planned = []  # (lin_point, invoke, complete, client, key, kind, unknown, applied)
    for client in range(clients):
        t = float(rng.uniform(0, 1e-3))
        for _ in range(per_client):
            if len(planned) >= n_ops:
                break
            invoke = t
            latency = float(rng.exponential(1e-3)) + 1e-5
            point = invoke + float(rng.uniform(0, latency))
            complete = invoke + latency
            unknown = bool(rng.random() < unknown_share)
            applied = bool(rng.random() < 0.5) if unknown else True
            kind = str(rng.choice(["read", "write", "cas"], p=mix))
            key = f"k{int(rng.integers(keys))}"
            planned.append([point, invoke, complete, client, key, kind, unknown, applied])
            t = complete + float(rng.exponential(2e-4))
    planned.sort(key=lambda p: p[0])
    state: dict[str, str | None] = {}
    last_seen: dict[tuple[int, str], str | None] = {}
    ops: list[Op] = []
    for number, (_point, invoke, complete, client, key, kind, unknown, applied) in enumerate(
        planned
    ):
        current = state.get(key)
        outcome = "unknown" if unknown else "ok"
        end = None if unknown else complete
        if kind == "read":
            value = current
            last_seen[client, key] = current
        elif kind == "write":
            value = f"v{number}"
            if applied:
                state[key] = value
        else:
            expected = last_seen.get((client, key), current)
            value = (expected, f"v{number}")
            if current == expected:
                if applied:
                    state[key] = value[1]
            elif not unknown:
                outcome = "fail"
        ops.append(op(client, key, kind, value, invoke, end, outcome))
    ops.sort(key=lambda o: o.invoke_s)
    return ops


def stale_reads(ops: list[Op], count: int = 1, seed: int = 0) -> list[Op]:
    """*ops* with *count* ok reads changed to return the value before the last one they
    could have seen: a stale read, which no linearization explains (values are unique)."""
    rng = np.random.default_rng(seed)
    ops = list(ops)
    writes_by_key: dict[str, list[Op]] = {}
    for o in ops:
        if o.f == "write" and o.outcome == "ok":
            writes_by_key.setdefault(o.key, []).append(o)
    candidates = []
    for i, o in enumerate(ops):
        if o.f != "read" or o.outcome != "ok" or o.value is None:
            continue
        # a write that completed, then a later write that completed, both before the read began
        done = [w for w in writes_by_key.get(o.key, []) if w.complete_s < o.invoke_s]
        if len(done) >= 2 and done[-1].value == o.value and done[-2].complete_s < done[-1].invoke_s:
            candidates.append((i, done[-2].value))
    for j in rng.choice(len(candidates), size=min(count, len(candidates)), replace=False):
        i, old = candidates[int(j)]
        ops[i] = replace(ops[i], value=old)
    return ops
