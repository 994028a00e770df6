"""The linearizability checker on hand-made histories, against brute force, and on 10^4 ops."""

from __future__ import annotations

import itertools
import json
import math
import random

import pytest

from commbench.cap import history, linearizability
from commbench.cap.generate import linearizable_history, stale_reads
from commbench.cap.history import op
from commbench.cap.linearizability import OK, UNKNOWN, VIOLATION, check, search, without
from commbench.errors import UserError


def verdict(*ops, **kwargs) -> str:
    return check(list(ops), **kwargs).verdict


# --- hand-made histories -------------------------------------------------------------


def test_sequential_write_then_read_is_linearizable() -> None:
    assert verdict(op(0, "x", "write", "a", 0, 1), op(1, "x", "read", "a", 2, 3)) == OK
    assert verdict(op(1, "x", "read", None, 0, 1)) == OK  # the initial register is empty


def test_read_of_a_value_nobody_wrote_violates() -> None:
    assert verdict(op(0, "x", "read", "ghost", 0, 1)) == VIOLATION


def test_stale_read_violates_and_its_witness_is_the_three_operations() -> None:
    w1 = op(0, "x", "write", "a", 0, 1)
    w2 = op(0, "x", "write", "b", 2, 3)
    stale = op(1, "x", "read", "a", 4, 5)
    fresh = op(2, "x", "read", "b", 4.5, 6)
    result = check([w1, w2, fresh, stale])
    assert result.verdict == VIOLATION
    assert result.first_failing_key == "x"
    assert result.minimal_is_one_minimal
    assert sorted(o.value for o in result.minimal) == ["a", "a", "b"]  # w1, w2, the stale read
    assert fresh not in result.minimal


def test_a_read_concurrent_with_a_write_may_see_either_value() -> None:
    w1 = op(0, "x", "write", "a", 0, 1)
    w2 = op(0, "x", "write", "b", 2, 5)
    for seen in ("a", "b"):
        assert verdict(w1, w2, op(1, "x", "read", seen, 3, 4)) == OK
    # but once a read saw the new value, a later read cannot go back to the old one
    r_new = op(1, "x", "read", "b", 3, 3.5)
    r_old = op(2, "x", "read", "a", 3.6, 4)
    assert verdict(w1, w2, r_new, r_old) == VIOLATION
    # ... unless the two reads overlap
    assert verdict(w1, w2, r_new, op(2, "x", "read", "a", 3.2, 4)) == OK


def test_lost_update_two_cas_from_the_same_value_both_succeeding_violates() -> None:
    w = op(0, "x", "write", "v0", 0, 1)
    cas_a = op(1, "x", "cas", ("v0", "a"), 2, 3)
    cas_b = op(2, "x", "cas", ("v0", "b"), 2, 3)
    assert verdict(w, cas_a, cas_b) == VIOLATION
    # one of them failing (the comparison lost) is fine
    assert verdict(w, cas_a, op(2, "x", "cas", ("v0", "b"), 2, 3, "fail")) == OK
    # chained from each other's results is fine too
    assert verdict(w, cas_a, op(2, "x", "cas", ("a", "b"), 2, 3)) == OK


def test_lost_acknowledged_write_violates() -> None:
    w_a = op(0, "x", "write", "a", 0, 1)
    w_b = op(1, "x", "write", "b", 2, 3)  # acknowledged after a ...
    later = op(2, "x", "read", "a", 4, 5)  # ... yet a later read sees a: b was lost
    result = check([w_a, w_b, later])
    assert result.verdict == VIOLATION
    assert set(result.minimal) == {w_a, w_b, later}


def test_failed_operations_did_not_take_effect() -> None:
    assert verdict(op(0, "x", "write", "a", 0, 1, "fail"), op(1, "x", "read", "a", 2, 3)) == (
        VIOLATION
    )
    assert verdict(op(0, "x", "write", "a", 0, 1, "fail"), op(1, "x", "read", None, 2, 3)) == OK


def test_unknown_write_may_take_effect_late_or_never() -> None:
    lost = op(0, "x", "write", "a", 0, None, "unknown")
    assert math.isinf(lost.complete_s)
    assert verdict(lost, op(1, "x", "read", None, 5, 6)) == OK  # never (or not yet)
    assert verdict(lost, op(1, "x", "read", "a", 5, 6)) == OK  # took effect
    # took effect late: first absent, then there
    assert verdict(lost, op(1, "x", "read", None, 5, 6), op(1, "x", "read", "a", 7, 8)) == OK
    # but not back again: once seen, the register cannot be empty
    assert verdict(lost, op(1, "x", "read", "a", 5, 6), op(1, "x", "read", None, 7, 8)) == (
        VIOLATION
    )
    # and not before it was invoked
    late = op(0, "x", "write", "a", 10, None, "unknown")
    assert verdict(late, op(1, "x", "read", "a", 5, 6)) == VIOLATION


def test_unknown_cas_and_unknown_reads() -> None:
    w = op(0, "x", "write", "a", 0, 1)
    maybe = op(1, "x", "cas", ("a", "b"), 2, None, "unknown")
    assert verdict(w, maybe, op(2, "x", "read", "b", 3, 4)) == OK
    assert verdict(w, maybe, op(2, "x", "read", "a", 3, 4)) == OK
    # an unknown cas expecting a value the register never held cannot have applied
    never = op(1, "x", "cas", ("zz", "b"), 2, None, "unknown")
    assert verdict(w, never, op(2, "x", "read", "b", 3, 4)) == VIOLATION
    # an unknown read constrains nothing, whatever it says
    assert verdict(w, op(2, "x", "read", "nonsense", 3, None, "unknown")) == OK


def test_keys_are_independent_and_the_first_failing_key_is_named() -> None:
    ops = [
        op(0, "x", "write", "a", 0, 1),
        op(0, "y", "write", "a", 0.5, 1),  # same value on another key: no confusion
        op(1, "y", "read", None, 2, 3),  # y violates (its write completed before)
        op(1, "x", "read", "a", 2, 3),
        op(1, "z", "read", "q", 4, 5),  # z violates too, but later
    ]
    result = check(ops)
    assert result.verdict == VIOLATION
    assert [k.verdict for k in result.keys] == [OK, VIOLATION, VIOLATION]
    assert result.first_failing_key == "y"
    assert {o.key for o in result.minimal} == {"y"}


def test_a_search_budget_gives_unknown_not_a_guess() -> None:
    ops = linearizable_history(400, clients=8, keys=1, seed=3)
    assert check(ops).verdict == OK
    small = check(ops, budget_steps=50)
    assert small.verdict == UNKNOWN
    assert small.summary()["keys_unknown"] == 1


# --- against brute force ---------------------------------------------------------------


def brute_force(ops: list[history.Op]) -> bool:
    """Is there an order of a subset (every definite op, any unknown ones) respecting real
    time in which the register answers as recorded?"""
    ops = [o for o in ops if o.outcome != "fail"]
    definite = [o for o in ops if o.outcome == "ok"]
    maybe = [o for o in ops if o.outcome == "unknown" and o.f != "read"]
    for r in range(len(maybe) + 1):
        for chosen in itertools.combinations(maybe, r):
            chosen_ops = definite + list(chosen)
            for order in itertools.permutations(chosen_ops):
                if any(
                    b.complete_s < a.invoke_s for i, a in enumerate(order) for b in order[i + 1 :]
                ):
                    continue
                state = None
                for o in order:
                    accepted, state = linearizability.step(state, o)
                    if not accepted:
                        break
                else:
                    return True
    return False


def random_history(rng: random.Random, n: int) -> list[history.Op]:
    ops, written = [], [None]
    for i in range(n):
        start = rng.uniform(0, 10)
        end = start + rng.uniform(0.1, 4)
        outcome = rng.choice(["ok"] * 6 + ["fail", "unknown"])
        kind = rng.choice(["read", "write", "cas"])
        if kind == "write":
            value = f"w{i}"
            written.append(value)
        elif kind == "read":
            value = rng.choice(written)
        else:
            value = (rng.choice(written), f"c{i}")
            written.append(value[1])
        ops.append(op(i % 3, "x", kind, value, start, end, outcome))
    return ops


def test_agrees_with_brute_force_on_random_small_histories() -> None:
    rng = random.Random(7)
    counts = {True: 0, False: 0}
    for _ in range(400):
        ops = random_history(rng, rng.randint(1, 6))
        expected = brute_force(ops)
        assert (check(ops, minimise_violation=False).verdict == OK) == expected, ops
        counts[expected] += 1
    assert min(counts.values()) > 40  # both verdicts exercised


def test_witness_violates_and_passes_without_any_one_operation() -> None:
    rng = random.Random(11)
    witnessed = 0
    for _ in range(200):
        ops = random_history(rng, rng.randint(3, 7))
        result = check(ops)
        if result.verdict != VIOLATION:
            continue
        witnessed += 1
        assert result.minimal_is_one_minimal
        assert not brute_force(result.minimal)
        for o in result.minimal:
            assert brute_force(without(result.minimal, [o])), (result.minimal, o)
    assert witnessed > 20


# --- the generated 10^4-operation history ----------------------------------------------


def test_generated_store_history_is_linearizable_and_a_stale_read_is_caught() -> None:
    ops = linearizable_history(10_000, clients=8, keys=5, unknown_share=0.01, seed=1)
    assert len(ops) == 10_000
    assert 50 <= sum(o.outcome == "unknown" for o in ops) <= 150
    assert check(ops).verdict == OK
    bad = stale_reads(ops, count=1, seed=2)
    result = check(bad)
    assert result.verdict == VIOLATION
    assert result.minimal_is_one_minimal
    assert [o.f for o in sorted(result.minimal, key=lambda o: o.invoke_s)][-1] == "read"
    assert search(linearizability.relevant(result.minimal))[0] == VIOLATION


# --- the file format -------------------------------------------------------------------


def test_history_round_trips_through_json_lines(tmp_path) -> None:
    ops = [
        op(0, "x", "write", "a", 0, 1, side="majority"),
        op(1, "x", "cas", ("a", "b"), 1, None, "unknown"),
        op(2, "x", "read", None, 2, 3),
    ]
    path = history.save(ops, tmp_path / "h" / "history.jsonl")
    loaded = history.load(path)
    assert loaded == ops
    assert loaded[0].extra == {"side": "majority"}
    assert json.loads(path.read_text().splitlines()[1])["complete_s"] is None


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"process": 0}', "lacks the field"),
        (
            '{"process":0,"key":"x","f":"incr","value":1,"invoke_s":0,"complete_s":1,'
            '"outcome":"ok"}',
            "kind",
        ),
        (
            '{"process":0,"key":"x","f":"read","value":1,"invoke_s":0,"complete_s":1,'
            '"outcome":"maybe"}',
            "outcome",
        ),
        (
            '{"process":0,"key":"x","f":"cas","value":1,"invoke_s":0,"complete_s":1,'
            '"outcome":"ok"}',
            "cas value",
        ),
        (
            '{"process":0,"key":"x","f":"read","value":1,"invoke_s":2,"complete_s":1,'
            '"outcome":"ok"}',
            "before it starts",
        ),
        ("not json", "history"),
    ],
)
def test_bad_history_lines_are_one_line_user_errors(tmp_path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(UserError, match=message) as info:
        history.load(path)
    assert ":1:" in str(info.value) and "\n" not in str(info.value)
