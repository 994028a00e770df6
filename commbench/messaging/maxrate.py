"""Maximum sustainable rate, OpenMessaging-style, and latency at fractions of it.

A *trial* is one paced stream (:func:`commbench.messaging.stream.run_stream`) at a
target publish rate for ``trial_s`` seconds. It is *sustained* when

- the producer kept the pace: it sent at least ``min_pace`` of the target rate over its
  sending time (a synchronous producer waiting for each acknowledgement cannot go
  faster than one message per round trip);
- the consumer kept up: every message sent was delivered, no time-out, and the backlog
  (published minus delivered) at the end of sending is at most what the latency bound
  allows (``rate * p99_bound``): it did not grow without bound;
- the end-to-end p99 is under ``p99_bound_ms``.

:func:`search` finds the highest sustained rate with a bounded number of rates tried:
doubling from ``start`` until a rate fails (halving if the first one fails), then
bisecting (geometric mean) between the last sustained rate and the first failed one.
A failed trial is run again (``retries`` times, 1 by default) before its rate counts as
failed: on a shared 2-core machine one noisy trial would otherwise pull the maximum
down. Every attempt is kept in the result (``attempt`` 2 is the retry), so the row says
which rates were retried and which a retry rescued. Pure: it takes the trial as a
function, so it is tested without brokers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from commbench.messaging.modes import Mode
from commbench.messaging.profile import RateSearch
from commbench.messaging.stream import StreamResult, StreamSpec, run_stream


@dataclass(frozen=True)
class Trial:
    rate_per_s: float
    sustained: bool
    reason: str  # "" when sustained; else the first criterion that failed
    achieved_per_s: float = 0.0
    p99_ns: float | None = None
    backlog_end: int = 0
    attempt: int = 1  # 2, 3, ...: a retry at the same rate after a failed attempt


@dataclass
class SearchResult:
    max_rate_per_s: float | None  # None: not even low_per_s was sustained
    trials: list[Trial] = field(default_factory=list)
    stopped: str = ""  # why the search ended: bracketed, trials, high bound, low bound

    def outcomes(self) -> dict[float, bool]:
        """Rate -> sustained, as decided by its last attempt."""
        decided: dict[float, bool] = {}
        for t in self.trials:
            decided[t.rate_per_s] = t.sustained
        return decided

    def metrics(self) -> dict[str, Any]:
        best = next(
            (t for t in self.trials if t.sustained and t.rate_per_s == self.max_rate_per_s), None
        )
        outcomes = self.outcomes()
        first_failed = min((r for r, ok in outcomes.items() if not ok), default=None)
        retried = sorted({t.rate_per_s for t in self.trials if t.attempt > 1})
        return {
            "max_rate_per_s": self.max_rate_per_s,
            "first_failed_per_s": first_failed,
            "p99_ns_at_max": best.p99_ns if best else None,
            "achieved_per_s_at_max": best.achieved_per_s if best else None,
            "trial_count": len(self.trials),  # streams, retries included
            "rates_tried": len(outcomes),
            "retried_rates": retried,
            "rescued_by_retry": sum(1 for r in retried if outcomes[r]),
            "search_stopped": self.stopped,
            "trials": [asdict(t) for t in self.trials],
        }


def attempts(trial: Callable[[float], Trial], rate: float, retries: int) -> list[Trial]:
    """*trial* at *rate*, run again after a failure up to *retries* times; the last
    attempt decides."""
    done = [trial(rate)]
    while not done[-1].sustained and len(done) <= retries:
        done.append(replace(trial(rate), attempt=len(done) + 1))
    return done


def search(trial: Callable[[float], Trial], bounds: RateSearch) -> SearchResult:
    """The highest sustained rate within ``bounds.trials`` rates (see the module text);
    at most ``bounds.trials * (1 + bounds.retries)`` streams."""
    result = SearchResult(None)
    good: float | None = None
    bad: float | None = None
    rate = bounds.start_per_s
    result.stopped = "trials"
    tried = 0
    while tried < bounds.trials:
        done = attempts(trial, rate, bounds.retries)
        result.trials.extend(done)
        tried += 1
        if done[-1].sustained:
            good = rate
        else:
            bad = rate
        if bad is None:  # still doubling
            if rate * 2 > bounds.high_per_s:
                result.stopped = "high bound"
                break
            rate *= 2
        elif good is None:  # halving until one is sustained
            if rate / 2 < bounds.low_per_s:
                result.stopped = "low bound"
                break
            rate /= 2
        else:
            if bad / good < 1.15:  # within 15 %: coarse enough
                result.stopped = "bracketed"
                break
            rate = math.sqrt(good * bad)
    result.max_rate_per_s = good
    return result


def judge(result: StreamResult, rate_per_s: float, bounds: RateSearch) -> Trial:
    """One stream at *rate_per_s*: sustained or not, and the first reason it was not."""
    ledger = result.ledger
    achieved = ledger.sent / result.send_s if result.send_s > 0 else 0.0
    p99 = float(np.percentile(result.e2e_ns, 99)) if result.e2e_ns.size else None
    backlog_end = backlog_at_last_send(result.timeline, ledger.sent)
    reason = ""
    if result.timed_out or result.errors:
        reason = f"timed out or failed: {'; '.join(result.errors) or 'time-out'}"[:160]
    elif ledger.sent < rate_per_s * bounds.trial_s * bounds.min_pace or (
        achieved < bounds.min_pace * rate_per_s
    ):
        reason = f"producer fell behind: {achieved:,.0f} of {rate_per_s:,.0f} msg/s"
    elif ledger.distinct < ledger.sent:
        reason = f"consumer did not keep up: {ledger.sent - ledger.distinct} not delivered"
    elif backlog_end > max(10.0, rate_per_s * bounds.p99_bound_ms / 1e3):
        reason = f"backlog {backlog_end} at the end of sending"
    elif p99 is None or p99 > bounds.p99_bound_ms * 1e6:
        reason = f"e2e p99 {(p99 or 0) / 1e6:.1f} ms over {bounds.p99_bound_ms:g} ms"
    return Trial(
        rate_per_s=rate_per_s,
        sustained=not reason,
        reason=reason,
        achieved_per_s=round(achieved, 1),
        p99_ns=p99,
        backlog_end=backlog_end,
    )


def backlog_at_last_send(timeline: dict[str, list[float]], sent: int) -> int:
    """Published minus delivered in the first timeline bin where every message is out."""
    for published, backlog in zip(timeline.get("published", []), timeline.get("backlog", [])):
        if published >= sent:
            return int(backlog)
    backlog = timeline.get("backlog") or [0]
    return int(backlog[-1])


def paced_spec(mode: Mode, rate_per_s: float, bounds: RateSearch) -> StreamSpec:
    return StreamSpec(
        mode,
        size_bytes=bounds.size_bytes,
        count=max(1, int(rate_per_s * bounds.trial_s)),
        rate_per_s=rate_per_s,
        max_seconds=bounds.trial_s * 1.5,
        idle_s=0.5,
        drain_timeout_s=max(5.0, bounds.trial_s * 3),
    )


def find_max_rate(mode: Mode, bounds: RateSearch, directory: Path) -> SearchResult:
    """Run the search for *mode*; each trial's records under *directory*/rate-<r>
    (a retry's under rate-<r>-retry<n>: its own books)."""
    runs: dict[float, int] = {}

    def trial(rate: float) -> Trial:
        runs[rate] = runs.get(rate, 0) + 1
        retry = f"-retry{runs[rate] - 1}" if runs[rate] > 1 else ""
        spec = paced_spec(mode, rate, bounds)
        return judge(run_stream(spec, directory / f"rate-{rate:.0f}{retry}"), rate, bounds)

    return search(trial, bounds)
