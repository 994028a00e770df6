"""Dissemination: messages, rounds, coverage, stress, RDP, residue... per protocol x options x n.

The timed region is one seeded run of the protocol (rounds = seeded runs); the
metrics are means and 95% CIs over ``case.runs`` seeded runs, computed before
timing by :func:`commbench.dissemination.simulate`. Each benchmark checks its own
answer: a flood without faults that reaches every node (a connected graph) sends
exactly 2|E| - (n-1) messages.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from commbench.dissemination import PROTOCOLS, simulate
from commbench.dissemination.cases import SimCase
from commbench.results import label


def test_dissemination(benchmark, dissemination_case: SimCase) -> None:
    case = dissemination_case
    protocol = PROTOCOLS[case.protocol]
    summary = simulate(protocol, case.options, runs=case.runs, seed=0)
    metrics = {}
    for name, value in summary["metrics"].items():
        metrics[name] = value["mean"]
        metrics[f"{name}.ci_low"], metrics[f"{name}.ci_high"] = value["ci95"]
    if case.protocol == "flood" and metrics["coverage"] == 1.0 and not options_failed(case):
        # connected (everyone reached) and nothing failed: the exact count
        assert metrics["messages"] == 2 * metrics["edges"] - (metrics["n"] - 1)
    if case.protocol == "group":  # a tree over the members alone never touches a non-member
        assert metrics["member-tree.nonmember_messages"] == 0.0
        assert metrics["spanning-tree.nonmember_messages"] == metrics["n"] - metrics["members"]
    options = summary["options"]
    benchmark.group = f"dissemination {case.protocol}"
    label(
        benchmark,
        family="dissemination",
        subject=case.protocol,
        params={
            "case": case.label,
            "runs": case.runs,
            "tags": list(case.tags),
            **{k: v for k, v in options.items() if v is not None},
        },
        metrics=metrics,
    )
    seeds = iter(range(10**6))
    benchmark.pedantic(
        lambda: protocol.run(options, np.random.default_rng([0, next(seeds)])),
        rounds=min(case.runs, 5),
        iterations=1,
    )


def options_failed(case: SimCase) -> bool:
    return bool(case.options.get("fail_nodes") or case.options.get("fail_links"))


@pytest.mark.parametrize("n", [2000])
def test_vectorised_against_networkx(benchmark, n: int) -> None:
    """The same flood written plainly over networkx: same counts, and how much slower."""
    from commbench.dissemination.flooding import flood, flood_metrics
    from commbench.dissemination.reference import reference_flood
    from commbench.dissemination.topologies import make_topology, to_networkx

    graph = make_topology("random_regular", n, seed=1, degree=20)
    g = to_networkx(graph)
    plain_runs = []
    for _ in range(3):  # the best of three, as the vectorised side gets many rounds
        start = time.perf_counter()
        plain = reference_flood(g, 0)
        plain_runs.append(time.perf_counter() - start)
    plain_s = min(plain_runs)
    fast = benchmark(lambda: flood_metrics(flood(graph, 0)))
    for key in ("messages", "redundant", "rounds", "coverage"):
        assert fast[key] == plain[key], key
    vector_s = benchmark.stats.stats.min
    benchmark.group = "dissemination: vectorised vs networkx"
    label(
        benchmark,
        family="dissemination-reference",
        subject="flood",
        params={"topology": "random_regular", "degree": 20, "n": n},
        metrics={
            "networkx_s": plain_s,
            "vectorised_s": vector_s,
            "speedup": plain_s / vector_s,
            "messages": fast["messages"],
        },
    )
