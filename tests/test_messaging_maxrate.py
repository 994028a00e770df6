"""The maximum-sustainable-rate search and its judge, on synthetic trials and streams
(no broker): bounded in trials, and finding a threshold where there is one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from commbench.messaging.ledger import count
from commbench.messaging.maxrate import Trial, backlog_at_last_send, judge, search
from commbench.messaging.modes import MODES
from commbench.messaging.profile import RateSearch
from commbench.messaging.stream import StreamResult, StreamSpec


def _threshold(limit: float, calls: list[float]):
    def trial(rate: float) -> Trial:
        calls.append(rate)
        return Trial(rate, rate <= limit, "" if rate <= limit else "too fast")

    return trial


@pytest.mark.parametrize("limit", [150.0, 1500.0, 3000.0, 9000.0, 50_000.0])
def test_the_search_brackets_the_threshold_within_its_trials(limit: float) -> None:
    bounds = RateSearch(start_per_s=2000, low_per_s=100, high_per_s=128_000, trials=8)
    calls: list[float] = []
    found = search(_threshold(limit, calls), bounds)
    rates = len(set(calls))
    assert rates <= bounds.trials and len(found.trials) == len(calls)
    # a threshold is no noise: every failed rate was tried twice (the retry), no other
    assert all(calls.count(r) == (2 if r > limit else 1) for r in calls)
    failed = [t.rate_per_s for t in found.trials if not t.sustained]
    assert found.max_rate_per_s is not None and found.max_rate_per_s <= limit
    assert failed and min(failed) > limit
    # the bracket is tight: within 15 % or the trials ran out
    assert min(failed) / found.max_rate_per_s < 1.15 or rates == bounds.trials
    assert found.stopped == ("bracketed" if rates < bounds.trials else "trials") or (
        found.stopped == "bracketed"
    )


def test_nothing_sustained_is_none_and_stops_at_the_low_bound() -> None:
    bounds = RateSearch(start_per_s=800, low_per_s=100, trials=10, retries=0)
    calls: list[float] = []
    found = search(_threshold(10.0, calls), bounds)
    assert found.max_rate_per_s is None
    assert calls == [800, 400, 200, 100] and found.stopped == "low bound"
    assert found.metrics()["max_rate_per_s"] is None and found.metrics()["trial_count"] == 4


def test_everything_sustained_stops_at_the_high_bound() -> None:
    bounds = RateSearch(start_per_s=1000, high_per_s=8000, trials=10)
    calls: list[float] = []
    found = search(_threshold(1e9, calls), bounds)
    assert calls == [1000, 2000, 4000, 8000] and found.max_rate_per_s == 8000
    assert found.stopped == "high bound" and found.metrics()["first_failed_per_s"] is None


def _result(sent_times_s: list[float], delivered_s: list[float | None], rate: float):
    """A stream result from send and delivery times (None: never delivered)."""
    sends = list(range(len(sent_times_s)))
    delivered = [q for q, d in zip(sends, delivered_s) if d is not None]
    e2e = np.array([(d - s) * 1e9 for s, d in zip(sent_times_s, delivered_s) if d is not None])
    published = [sum(1 for s in sent_times_s if s <= t / 10) for t in range(40)]
    done = [sum(1 for d in delivered_s if d is not None and d <= t / 10) for t in range(40)]
    return StreamResult(
        spec=StreamSpec(MODES["nats/core"], count=len(sends), rate_per_s=rate),
        ledger=count(sends, [], delivered),
        e2e_ns=e2e,
        publish_ns=np.array([]),
        duration_s=max(x for x in delivered_s if x is not None),
        timed_out=False,
        broker={},
        events=[],
        timeline={
            "t_s": [t / 10 for t in range(40)],
            "published": published,
            "delivered": done,
            "backlog": [p - d for p, d in zip(published, done)],
        },
        directory=Path("."),
        errors=[],
        send_s=max(sent_times_s) - min(sent_times_s),
    )


def test_judge_names_the_first_criterion_that_failed() -> None:
    bounds = RateSearch(trial_s=1.0, p99_bound_ms=50)
    sends = [i / 100 for i in range(100)]  # 100 msg/s for 1 s
    fine = judge(_result(sends, [s + 0.001 for s in sends], 100), 100, bounds)
    assert fine.sustained and fine.reason == "" and fine.p99_ns == pytest.approx(1e6)
    slow_sends = [i / 50 for i in range(100)]  # the producer managed 50 msg/s
    behind = judge(_result(slow_sends, [s + 0.001 for s in slow_sends], 100), 100, bounds)
    assert not behind.sustained and behind.reason.startswith("producer fell behind")
    lossy = judge(
        _result(sends, [s + 0.001 if i % 10 else None for i, s in enumerate(sends)], 100),
        100,
        bounds,
    )
    assert not lossy.sustained and lossy.reason == "consumer did not keep up: 10 not delivered"
    late = judge(_result(sends, [s + 0.2 for s in sends], 100), 100, bounds)
    assert not late.sustained and late.reason.startswith(("backlog", "e2e p99"))


def test_backlog_at_last_send_reads_the_bin_where_everything_is_out() -> None:
    timeline = {"published": [0, 5, 10, 10], "backlog": [0, 2, 7, 0]}
    assert backlog_at_last_send(timeline, 10) == 7
    assert backlog_at_last_send({"published": [0, 3], "backlog": [0, 3]}, 10) == 3


def test_a_noisy_failure_is_retried_and_does_not_pull_the_maximum_down() -> None:
    """One failed trial at 4000/s (noise: the next stream at that rate holds) must not
    end the doubling there; the retry is in the row."""
    bounds = RateSearch(start_per_s=1000, high_per_s=128_000, trials=8)
    calls: list[float] = []
    limit = 10_000.0

    def trial(rate: float) -> Trial:
        calls.append(rate)
        noisy = rate == 4000 and calls.count(4000) == 1
        ok = rate <= limit and not noisy
        return Trial(rate, ok, "" if ok else ("noise" if noisy else "too fast"))

    found = search(trial, bounds)
    assert calls[:4] == [1000, 2000, 4000, 4000]
    assert found.max_rate_per_s is not None and found.max_rate_per_s > 4000
    assert found.max_rate_per_s <= limit
    at_4000 = [t for t in found.trials if t.rate_per_s == 4000]
    assert [(t.attempt, t.sustained) for t in at_4000] == [(1, False), (2, True)]
    metrics = found.metrics()
    assert metrics["rescued_by_retry"] == 1 and 4000 in metrics["retried_rates"]
    assert metrics["first_failed_per_s"] > 4000  # the rescued rate is not a failure
    assert metrics["trial_count"] == len(calls) and metrics["rates_tried"] == len(set(calls))


def test_without_the_retry_one_noisy_trial_caps_the_search() -> None:
    """The same noise with retries=0: the search brackets below 4000 (what the retry fixes)."""
    bounds = RateSearch(start_per_s=1000, high_per_s=128_000, trials=8, retries=0)
    calls: list[float] = []

    def trial(rate: float) -> Trial:
        calls.append(rate)
        ok = rate <= 10_000 and not (rate == 4000 and calls.count(4000) == 1)
        return Trial(rate, ok, "" if ok else "noise")

    found = search(trial, bounds)
    assert found.max_rate_per_s is not None and found.max_rate_per_s < 4000
    assert found.metrics()["retried_rates"] == []


def test_a_real_failure_is_retried_once_then_counts() -> None:
    bounds = RateSearch(start_per_s=1000, high_per_s=128_000, trials=3, retries=1)
    calls: list[float] = []
    found = search(_threshold(1500.0, calls), bounds)
    assert calls[:3] == [1000, 2000, 2000] and len(calls) == 4  # 3 rates, one retried
    assert calls[3] == pytest.approx(1414.2, rel=1e-3) and found.max_rate_per_s == calls[3]
    assert len(found.trials) <= bounds.trials * (1 + bounds.retries)
    assert [t.attempt for t in found.trials if t.rate_per_s == 2000] == [1, 2]
    assert found.outcomes()[2000] is False and found.metrics()["first_failed_per_s"] <= 2000
    assert found.metrics()["rescued_by_retry"] == 0
