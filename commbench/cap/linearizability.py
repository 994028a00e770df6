"""Linearizability of register histories: Wing & Gong's search with Lowe's memoisation.

The search is the one Porcupine implements (after Lowe, "Testing for linearizability",
2017): the history's invoke and completion events in one doubly-linked list ordered by
time; walk it from the head, linearize the first operation whose invocation is reached
and whose effect the model accepts, lift it out of the list and start again; reaching a
completion event means an operation that had to be linearized by then was not:
backtrack. A set of (linearized operations, register state) pairs already explored
prunes the search (the memoisation): the same pair can never lead anywhere new.

Per-key decomposition (P-compositionality): a history of independent registers is
linearizable iff each key's sub-history is, so each key is searched alone.

Outcomes: ``fail`` operations did not take effect and are dropped; ``unknown`` ones
complete at infinity, so they may be linearized anywhere after their invocation or not
at all (the search succeeds once every operation with a finite completion is
linearized). An unknown read constrains nothing and is dropped, and so is an unknown
write or compare-and-set whose value nobody ever observed (values are unique: leaving
it out can never make a linearizable history fail).

A step budget per key makes the verdict ``unknown`` instead of searching forever.
When a key violates, :func:`check` also gives a minimal sub-history of the first
failing key: still violating, but linearizable if any one operation is removed
(with the operations that observed its value: :func:`minimise`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from commbench.cap.history import INF, Op, by_key

OK, VIOLATION, UNKNOWN = "ok", "violation", "unknown"

DEFAULT_BUDGET_STEPS = 2_000_000
"""Search steps per key before the verdict is ``unknown``."""

MINIMISE_BUDGET_CHECKS = 5_000
"""Sub-history checks the minimisation may spend."""


@dataclass
class KeyVerdict:
    key: str
    verdict: str
    ops: int
    steps: int


@dataclass
class Verdict:
    """The checker's answer for a whole history."""

    verdict: str  # ok | violation | unknown
    keys: list[KeyVerdict]
    first_failing_key: str | None = None
    minimal: list[Op] = field(default_factory=list)
    minimal_is_one_minimal: bool = False
    elapsed_s: float = 0.0

    @property
    def steps(self) -> int:
        return sum(k.steps for k in self.keys)

    def summary(self) -> dict[str, Any]:
        """Flat, JSON-friendly fields for a result row."""
        return {
            "verdict": self.verdict,
            "keys": len(self.keys),
            "keys_violating": sum(k.verdict == VIOLATION for k in self.keys),
            "keys_unknown": sum(k.verdict == UNKNOWN for k in self.keys),
            "search_steps": self.steps,
            "check_s": self.elapsed_s,
            "first_failing_key": self.first_failing_key,
            "minimal_ops": len(self.minimal),
        }


def step(state: Any, o: Op) -> tuple[bool, Any]:
    """The register model: may *o* take effect in *state*, and the state after it."""
    if o.f == "read":
        return state == o.value, state
    if o.f == "write":
        return True, o.value
    expected, new = o.value  # cas
    return (True, new) if state == expected else (False, state)


def relevant(ops: Iterable[Op]) -> list[Op]:
    """The operations that constrain linearizability (see the module's docstring)."""
    ops = [o for o in ops if o.outcome != "fail"]
    observed = {o.value for o in ops if o.f == "read" and o.outcome == "ok"}
    observed |= {o.value[0] for o in ops if o.f == "cas" and o.outcome == "ok"}
    kept = []
    for o in ops:
        if o.outcome == "unknown":
            if o.f == "read":
                continue
            written = o.value if o.f == "write" else o.value[1]
            if written not in observed:
                continue
        kept.append(o)
    return kept


def search(ops: Sequence[Op], initial: Any = None, budget_steps: int = DEFAULT_BUDGET_STEPS):
    """Wing-Gong-Lowe search of one register's history: (verdict, steps)."""
    n = len(ops)
    if n == 0:
        return OK, 0
    # events: 2i = invocation of op i, 2i+1 = its completion; calls before returns at a tie
    events = sorted(
        range(2 * n),
        key=lambda e: (ops[e >> 1].complete_s if e & 1 else ops[e >> 1].invoke_s, e & 1),
    )
    head = 2 * n  # sentinel
    nxt = [-1] * (2 * n + 1)
    prv = [-1] * (2 * n + 1)
    previous = head
    for e in events:
        nxt[previous] = e
        prv[e] = previous
        previous = e
    nxt[previous] = -1
    infinite = [o.complete_s == INF for o in ops]

    def lift(call: int) -> None:
        for e in (call, call + 1):
            nxt[prv[e]] = nxt[e]
            if nxt[e] != -1:
                prv[nxt[e]] = prv[e]

    def unlift(call: int) -> None:
        for e in (call + 1, call):
            nxt[prv[e]] = e
            if nxt[e] != -1:
                prv[nxt[e]] = e

    state = initial
    linearized = 0
    cache: set[tuple[int, Any]] = set()
    stack: list[tuple[int, Any]] = []
    steps = 0
    entry = nxt[head]
    while entry != -1:
        steps += 1
        if steps > budget_steps:
            return UNKNOWN, steps
        i = entry >> 1
        if entry & 1 == 0:  # an invocation: try to linearize op i now
            accepted, new_state = step(state, ops[i])
            if accepted:
                bits = linearized | (1 << i)
                if (bits, new_state) not in cache:
                    cache.add((bits, new_state))
                    stack.append((entry, state))
                    state, linearized = new_state, bits
                    lift(entry)
                    entry = nxt[head]
                    continue
            entry = nxt[entry]
        else:  # a completion of an op not linearized yet
            if infinite[i]:  # every op with a finite completion is linearized
                return OK, steps
            if not stack:
                return VIOLATION, steps
            entry, state = stack.pop()
            linearized &= ~(1 << (entry >> 1))
            unlift(entry)
            entry = nxt[entry]
    return OK, steps


def check_key(ops: Sequence[Op], initial: Any = None, budget_steps: int = DEFAULT_BUDGET_STEPS):
    """(verdict, steps) of one key's history, all operations as given."""
    return search(relevant(ops), initial, budget_steps)


def _written(o: Op) -> Any:
    return o.value if o.f == "write" else o.value[1] if o.f == "cas" else _NOTHING


def _observed(o: Op) -> Any:
    return o.value if o.f == "read" else o.value[0] if o.f == "cas" else _NOTHING


_NOTHING = object()


def without(ops: Sequence[Op], removed: Iterable[Op]) -> list[Op]:
    """*ops* less *removed* and, transitively, every operation that observed a value only
    a removed operation wrote (a read of it, a compare-and-set expecting it)."""
    gone = set(map(id, removed))
    frontier = [o for o in ops if id(o) in gone]
    while frontier:
        values = {_written(o) for o in frontier} - {_NOTHING}
        frontier = [o for o in ops if id(o) not in gone and _observed(o) in values]
        gone |= set(map(id, frontier))
    return [o for o in ops if id(o) not in gone]


def minimise(
    ops: Sequence[Op],
    initial: Any = None,
    budget_steps: int = DEFAULT_BUDGET_STEPS,
    budget_checks: int = MINIMISE_BUDGET_CHECKS,
) -> tuple[list[Op], bool]:
    """A small violating sub-history of a violating *ops*: the witness.

    Sub-histories are closed: removing an operation removes those that observed its value
    (:func:`without`), so a witness never holds a read of a value nobody in it wrote. The
    result still violates and, if the second value is True, is 1-minimal: removing any one
    operation (with its observers) makes it pass. ddmin's chunk removals first, then single
    removals to a fixpoint; a check that ends ``unknown`` counts as passing, so the result
    stays a proof of the violation.
    """
    current = relevant(ops)
    checks = 0

    def violates(candidate: list[Op]) -> bool:
        nonlocal checks
        checks += 1
        return bool(candidate) and search(candidate, initial, budget_steps)[0] == VIOLATION

    chunks = 2
    while len(current) >= 2 and checks < budget_checks:
        size = max(1, len(current) // chunks)
        reduced = False
        for start in range(0, len(current), size):
            candidate = without(current, current[start : start + size])
            if violates(candidate):
                current = candidate
                chunks = max(chunks - 1, 2)
                reduced = True
                break
            if checks >= budget_checks:
                break
        if not reduced:
            if size == 1:
                break
            chunks = min(len(current), chunks * 2)
    one_minimal = False
    while checks < budget_checks:
        for o in current:
            if checks >= budget_checks:
                break
            candidate = without(current, [o])
            if violates(candidate):
                current = candidate
                break
        else:
            one_minimal = True
            break
    return current, one_minimal


def check(
    ops: Iterable[Op],
    initial: Any = None,
    budget_steps: int = DEFAULT_BUDGET_STEPS,
    minimise_violation: bool = True,
) -> Verdict:
    """Check a multi-key register history; keys in order of their first invocation.

    The verdict is ``violation`` if any key violates, else ``unknown`` if any key ran out
    of budget, else ``ok``.
    """
    started = time.perf_counter()
    per_key = by_key(ops)
    keys = []
    first_failing = None
    for key, key_ops in per_key.items():
        verdict, steps = check_key(key_ops, initial, budget_steps)
        keys.append(KeyVerdict(key, verdict, len(key_ops), steps))
        if verdict == VIOLATION and first_failing is None:
            first_failing = key
    verdicts = {k.verdict for k in keys}
    overall = VIOLATION if VIOLATION in verdicts else UNKNOWN if UNKNOWN in verdicts else OK
    result = Verdict(overall, keys, first_failing)
    if first_failing is not None and minimise_violation:
        result.minimal, result.minimal_is_one_minimal = minimise(
            per_key[first_failing], initial, budget_steps
        )
    result.elapsed_s = time.perf_counter() - started
    return result
