"""The messaging ledger on synthetic streams: exact counts, and identities that fail."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commbench.messaging.ledger import (
    Ledger,
    LedgerError,
    assert_balanced,
    count,
    identity_failures,
    reordered_count,
)


def test_a_clean_stream_has_nothing_lost_duplicated_or_reordered() -> None:
    ledger = count(range(10), range(10), range(10))
    assert (ledger.sent, ledger.acknowledged, ledger.received, ledger.distinct) == (10, 10, 10, 10)
    assert (ledger.duplicated, ledger.reordered, ledger.lost, ledger.unexpected) == (0, 0, 0, 0)
    assert ledger.balanced and ledger.lost_per_100k_acked == 0.0


def test_acknowledged_but_never_delivered_is_lost() -> None:
    ledger = count(range(10), range(8), [0, 1, 2, 4, 5, 6, 8, 9])
    assert ledger.lost == 2  # 3 and 7: acknowledged, never delivered
    assert ledger.delivered_unacked == 2  # 8 and 9: delivered without an ack
    assert ledger.lost_sent == 2
    assert ledger.lost_per_100k_acked == pytest.approx(2 * 100_000 / 8)
    assert ledger.lost_per_100k_sent == pytest.approx(2 * 100_000 / 10)
    assert ledger.balanced


def test_redeliveries_are_duplicates_not_reorderings() -> None:
    # a consumer killed before it acked 3 and 4 gets them again after its restart
    delivered = [0, 1, 2, 3, 4, 3, 4, 5, 6]
    ledger = count(range(7), range(7), delivered)
    assert (ledger.received, ledger.distinct, ledger.duplicated) == (9, 7, 2)
    assert ledger.reordered == 0 and ledger.lost == 0 and ledger.balanced


def test_reordered_counts_first_deliveries_below_the_high_mark() -> None:
    assert reordered_count([0, 2, 1, 3, 5, 4, 6]) == 2
    assert reordered_count([5, 0, 1, 2]) == 3
    assert reordered_count([]) == 0
    ledger = count(range(4), [], [3, 2, 1, 0])
    assert ledger.reordered == 3 and ledger.acknowledged == 0
    assert ledger.lost_per_100k_acked is None and ledger.lost_per_100k_sent == 0.0


def test_modes_without_acknowledgements_lose_per_sent() -> None:
    ledger = count(range(100), [], range(90))
    assert ledger.lost == 0 and ledger.lost_sent == 10 and ledger.unacknowledged == 100
    assert ledger.lost_per_100k_sent == pytest.approx(10_000.0)
    assert ledger.balanced


def test_a_delivery_of_a_message_never_sent_fails_the_books() -> None:
    ledger = count(range(5), range(5), [0, 1, 2, 3, 4, 99])
    assert ledger.unexpected == 1
    assert not ledger.balanced
    assert any("distinct 6" in f for f in ledger.failures)
    with pytest.raises(LedgerError, match="distinct"):
        assert_balanced(ledger)


def test_an_acknowledgement_of_a_message_never_sent_fails_the_books() -> None:
    ledger = count(range(5), [0, 1, 7], range(5))
    assert not ledger.balanced
    assert any(f.startswith("sent 5 != acknowledged 3") for f in ledger.failures)


def test_a_sequence_number_sent_twice_fails_the_books() -> None:
    ledger = count([0, 1, 1, 2], [0, 1, 2], [0, 1, 2])
    assert ledger.failures == ("sent 4 != acknowledged 3 + unacknowledged 0",)


def test_tampered_counts_fail_each_identity() -> None:
    good = count(range(10), range(6), [0, 1, 1, 2, 3, 6, 7])
    assert identity_failures(good) == []
    assert len(identity_failures(replace(good, duplicated=good.duplicated + 1))) == 1
    assert len(identity_failures(replace(good, acknowledged=good.acknowledged - 1))) == 1
    assert len(identity_failures(replace(good, delivered_unacked=0))) == 1
    with pytest.raises(LedgerError, match="received 7"):
        assert_balanced(replace(good, received=7, duplicated=0))


def test_metrics_are_flat_and_carry_the_verdict() -> None:
    metrics = count(range(3), range(3), [0, 2]).metrics()
    assert metrics["lost"] == 1 and metrics["balanced"] is True
    assert metrics["identity_failures"] == []
    assert metrics["lost_per_100k_acked"] == pytest.approx(100_000 / 3)
    assert isinstance(
        Ledger(**{k: 0 for k in Ledger.__dataclass_fields__ if k != "failures"}), Ledger
    )


@given(
    n=st.integers(0, 60),
    acked=st.sets(st.integers(0, 59)),
    delivered=st.lists(st.integers(0, 59), max_size=120),
)
def test_any_stream_of_sent_numbers_balances(n: int, acked: set, delivered: list) -> None:
    acked = {a for a in acked if a < n}
    delivered = [d for d in delivered if d < n]
    ledger = count(range(n), acked, delivered)
    assert ledger.balanced, ledger.failures
    assert ledger.lost + ledger.delivered_acked == ledger.acknowledged
    assert ledger.lost_sent + ledger.distinct == ledger.sent


def _s(q: int, t: int) -> dict:
    return {"e": "s", "q": q, "t": t}


def _d(q: int, t: int) -> dict:
    return {"e": "d", "q": q, "t": t, "ts": 0}


def test_backlog_drain_counts_what_was_sent_before_the_restart_and_arrived_after() -> None:
    from commbench.messaging.stream import backlog_drain

    producer = [_s(q, q * 10) for q in range(10)]
    # 0-3 delivered before the restart at t=50; 4 lost; 5 arrives at 70, 6 at 90 (backlog)
    deliveries = [_d(0, 5), _d(1, 15), _d(2, 25), _d(3, 35), _d(5, 70), _d(6, 90), _d(7, 95)]
    drain = backlog_drain(producer, deliveries, 60)
    assert drain["backlog_at_restart"] == 2  # 5 and 6: sent by t=60, delivered after
    assert drain["drain_s"] == pytest.approx(30e-9)
    assert drain["drain_msgs_per_s"] == pytest.approx(2 / 30e-9)
    assert backlog_drain(producer, deliveries[:4], 60)["backlog_at_restart"] == 0


def test_timeline_is_cumulative_and_backlog_is_their_difference() -> None:
    from commbench.messaging.stream import timeline

    second = 1_000_000_000
    producer = [_s(q, q * second // 10) for q in range(10)]  # 10 in the first second
    deliveries = [_d(q, q * second // 10 + second // 2) for q in range(10)] + [_d(0, 2 * second)]
    line = timeline(producer, deliveries, 0)
    assert line["published"][-1] == 10 and line["delivered"][-1] == 10  # the copy counts once
    assert all(p - d == b for p, d, b in zip(line["published"], line["delivered"], line["backlog"]))
    assert max(line["backlog"]) == 5
