"""Plumtree vs flooding vs push gossip, and death certificates (small seeded overlays)."""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest

from commbench.dissemination import PROTOCOLS, death_certificates, plumtree, simulate
from commbench.dissemination.death_certificates import death_certificate_metrics
from commbench.dissemination.flooding import flood
from commbench.dissemination.plumtree import (
    Broadcast,
    arcs,
    broadcast_metrics,
    plumtree_broadcast,
    push_gossip,
    sequence_metrics,
)
from commbench.dissemination.topologies import fail_nodes, make_topology

N, DEGREE = 300, 6


@pytest.fixture(scope="module")
def overlay():
    return make_topology("random_regular", N, seed=7, degree=DEGREE)


def _sequence(graph, count, rng, *, alive=None, fail_after_first=0.0, timeout=6):
    """``count`` Plumtree broadcasts from random live sources; failures after the first."""
    results = [plumtree_broadcast(graph, int(rng.integers(graph.n)), timeout=timeout, rng=rng)]
    if fail_after_first:
        alive = fail_nodes(graph, fail_after_first, rng)
    live = np.flatnonzero(alive) if alive is not None else np.arange(graph.n)
    for source in rng.choice(live, size=count - 1):
        results.append(
            plumtree_broadcast(
                graph, int(source), results[-1].eager, alive=alive, timeout=timeout, rng=rng
            )
        )
    return results, alive


@pytest.mark.parametrize("module", [plumtree, death_certificates])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_arcs_reverse_is_an_involution(overlay):
    src, dst, rev = arcs(overlay)
    assert src.size == N * DEGREE
    assert np.array_equal(rev[rev], np.arange(src.size))
    assert np.array_equal(src[rev], dst) and np.array_equal(dst[rev], src)


def test_broadcast_metrics_hand_computed():
    result = Broadcast(np.array([0, 1, 1, 2, -1]), np.ones(5, dtype=bool), payload=6, prune=2)
    m = broadcast_metrics(result)
    assert m["rmr"] == 1.0  # 6 payload messages for 3 new nodes
    assert m["reliability"] == 0.8 and m["last_hop"] == 2.0 and m["prune"] == 2.0
    lonely = Broadcast(np.array([-1, 0, -1, -1, -1]), np.ones(5, dtype=bool), payload=2)
    assert np.isnan(broadcast_metrics(lonely)["rmr"])
    both = sequence_metrics([result, lonely])
    assert both["rmr"] == pytest.approx(8 / 3 - 1)  # totals: 8 messages, 3 new nodes
    assert both["reliability"] == pytest.approx(0.5) and both["reliability_min"] == 0.2


def test_first_broadcast_leaves_a_spanning_eager_tree(overlay):
    first = plumtree_broadcast(overlay, 0, rng=np.random.default_rng(1))
    src, dst, rev = arcs(overlay)
    assert np.array_equal(first.eager, first.eager[rev])  # both ends agree
    assert first.eager.sum() == 2 * (N - 1)
    tree = nx.Graph(zip(src[first.eager].tolist(), dst[first.eager].tolist()))
    assert tree.number_of_nodes() == N and nx.is_tree(tree)
    flooded = flood(overlay, 0)
    assert first.payload == flooded.messages  # the first broadcast is a flood


def test_plumtree_without_failures_is_a_tree(overlay):
    results, _ = _sequence(overlay, 8, np.random.default_rng(2))
    metrics = [broadcast_metrics(r) for r in results]
    assert all(m["reliability"] == 1.0 for m in metrics)
    flooded = flood(overlay, 0)
    flooding_rmr = broadcast_metrics(
        Broadcast(flooded.informed_round, flooded.alive, flooded.messages)
    )["rmr"]
    assert flooding_rmr == pytest.approx(DEGREE - 2, abs=0.05)
    assert metrics[0]["rmr"] == pytest.approx(flooding_rmr)
    later = np.array([m["rmr"] for m in metrics[1:]])
    assert later.mean() < 0.05 and later.max() < 0.1
    assert np.mean([m["payload"] for m in metrics[1:]]) <= 1.05 * (N - 1)


def test_plumtree_grafts_around_failures(overlay):
    results, alive = _sequence(overlay, 6, np.random.default_rng(3), fail_after_first=0.1)
    for result in results[1:]:
        m = broadcast_metrics(result)
        source = int(np.flatnonzero(result.delivered_round == 0)[0])
        reachable = flood(overlay, source, alive=alive).informed_round >= 0
        assert np.array_equal(result.delivered_round >= 0, reachable)  # GRAFT reaches them all
        assert m["reliability"] >= 0.99
    assert sum(r.graft for r in results[1:]) > 0


def test_gossip_small_fanout_misses_nodes(overlay):
    rng = np.random.default_rng(4)
    reliability = []
    for _ in range(10):
        result = push_gossip(overlay, int(rng.integers(N)), 2, rng=rng)
        reached = int((result.delivered_round >= 0).sum())
        assert result.payload == 2 * reached  # infect and die: fanout pushes per informed node
        reliability.append(broadcast_metrics(result)["reliability"])
    assert max(reliability) < 1.0


def test_gossip_full_fanout_is_flooding(overlay):
    result = push_gossip(overlay, 5, DEGREE, rng=np.random.default_rng(5))
    flooded = flood(overlay, 5)
    assert np.array_equal(result.delivered_round, flooded.informed_round)
    assert result.payload == flooded.messages


def test_plumtree_and_gossip_protocols_are_seeded():
    for name, options in [
        ("plumtree", {"n": 200, "broadcasts": 3, "fail_nodes": 0.1}),
        ("gossip", {"n": 200, "fanout": 2}),
    ]:
        a = simulate(PROTOCOLS[name], options, runs=2, seed=9)
        assert a == simulate(PROTOCOLS[name], options, runs=2, seed=9)
    assert a["metrics"]["reliability"]["mean"] <= 1.0


DEATH = {"n": 300, "fail_nodes": 0.02, "down_cycles": 25, "cycles": 70}


def test_without_dormant_certificates_the_item_resurrects():
    result = simulate(PROTOCOLS["death-certificates"], {**DEATH, "tau": 8, "r": 0}, runs=5)
    assert result["metrics"]["resurrected"]["mean"] == 1.0
    assert result["metrics"]["reactivations"]["mean"] == 0.0


def test_dormant_certificates_stop_the_resurrection():
    result = simulate(PROTOCOLS["death-certificates"], {**DEATH, "tau": 8, "r": 3}, runs=5)
    assert result["metrics"]["resurrected"]["mean"] <= 0.2
    assert result["metrics"]["reactivations"]["mean"] >= 1.0


def test_long_retention_needs_no_dormant_certificate():
    result = simulate(PROTOCOLS["death-certificates"], {**DEATH, "tau": 40, "r": 0}, runs=3)
    assert result["metrics"]["comebacks"]["mean"] == 0.0
    assert result["metrics"]["item_final"]["mean"] == 0.0


def test_death_certificates_are_seeded():
    down = np.zeros(100, dtype=bool)
    down[:5] = True
    runs = [
        death_certificate_metrics(
            death_certificates.death_certificates(
                100, tau=4, r=1, down=down, down_cycles=10, cycles=30, rng=np.random.default_rng(8)
            )
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
