"""The linearizability checker on a generated 10^4-operation history of a linearizable
register store (8 clients, 5 keys, 1% unknown outcomes): the time to decide it.

The timed region is one whole check (per-key search, no violation to minimise); the
verdict is asserted before timing, so a wrong answer is never timed.
"""

from __future__ import annotations

import pytest

from commbench.cap.generate import linearizable_history
from commbench.cap.linearizability import OK, check
from commbench.results import label


@pytest.mark.parametrize("n_ops, clients, keys", [(10_000, 8, 5), (10_000, 8, 1)])
def test_checker(benchmark, n_ops: int, clients: int, keys: int) -> None:
    ops = linearizable_history(n_ops, clients=clients, keys=keys, unknown_share=0.01, seed=1)
    result = check(ops)
    assert result.verdict == OK
    label(
        benchmark,
        family="cap",
        subject="checker",
        params={
            "measure": "checker",
            "ops": n_ops,
            "clients": clients,
            "keys": keys,
            "unknown_share": 0.01,
        },
        metrics={
            "search_steps": result.steps,
            "unknown_ops": sum(o.outcome == "unknown" for o in ops),
            "verdict": result.verdict,
        },
    )
    benchmark.group = "cap checker"
    benchmark.pedantic(check, args=(ops,), rounds=5, iterations=1)
