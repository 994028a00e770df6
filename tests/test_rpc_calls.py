"""The closed-loop call timer: counts failures, refuses wrong answers, stays bounded."""

from __future__ import annotations

import time

import pytest

from commbench.rpc import Bound, RpcFailed, WrongAnswer
from commbench.rpc.calls import closed_loop


def echo_bound(fail_every: int = 0, wrong_at: int | None = None, sleep_s: float = 0.0) -> Bound:
    def call(request_id: int) -> int:
        if sleep_s:
            time.sleep(sleep_s)
        if fail_every and request_id % fail_every == 0:
            raise RpcFailed("down")
        return request_id + 1 if request_id == wrong_at else request_id

    def check(reply: int, request_id: int) -> None:
        if reply != request_id:
            raise WrongAnswer(f"{reply} != {request_id}")

    return Bound(call, check, lambda reply: reply)


def test_every_call_is_a_sample_and_cpu_is_counted() -> None:
    calls = []
    bound = echo_bound()
    spy = Bound(lambda i: calls.append(i) or bound.call(i), bound.check, bound.document)
    samples = closed_loop(spy, count=50, warmup=5, max_seconds=10.0, server_cpu_s=lambda: 1.0)
    assert samples.calls == 50 and samples.failed == 0 and not samples.timed_out
    assert calls == list(range(1, 56))  # ids unique, warm-up first
    assert (samples.latency_ns > 0).all() and samples.server_cpu_s == 0.0
    assert samples.per_call(1.0) == pytest.approx(1 / 50)


def test_failed_calls_are_counted_by_type_not_sampled() -> None:
    samples = closed_loop(echo_bound(fail_every=4), count=40, warmup=0, max_seconds=10.0)
    assert samples.failed == 10 and samples.calls == 30
    assert samples.errors == {"RpcFailed": 10}


def test_a_wrong_answer_ends_the_run() -> None:
    with pytest.raises(WrongAnswer):
        closed_loop(echo_bound(wrong_at=20), count=40, warmup=0, max_seconds=10.0)


def test_the_loop_is_bounded_in_time() -> None:
    start = time.monotonic()
    samples = closed_loop(echo_bound(sleep_s=0.01), count=10_000, warmup=0, max_seconds=0.2)
    assert samples.timed_out and 5 <= samples.calls < 100
    assert time.monotonic() - start < 2.0
