"""Topologies and flooding: exact message counts, the plain reference, faults, seeding."""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from commbench.dissemination import flooding, reference, simulate, topologies
from commbench.dissemination.flooding import PROTOCOLS, flood, flood_metrics
from commbench.dissemination.reference import reference_flood
from commbench.dissemination.topologies import (
    TOPOLOGIES,
    edge_list,
    fail_links,
    fail_nodes,
    is_connected,
    make_topology,
    ring,
    to_networkx,
)

# One parameter set per family, chosen so that instances are almost always connected.
FAMILY_PARAMS = {
    "complete": {},
    "ring": {},
    "grid": {},
    "kary_tree": {"k": 3},
    "random_tree": {},
    "random_regular": {"degree": 4},
    "erdos_renyi": {"mean_degree": 8.0},
    "barabasi_albert": {"m": 2},
}


def test_every_family_has_parameters_here():
    assert set(FAMILY_PARAMS) == set(TOPOLOGIES)


@pytest.mark.parametrize("module", [topologies, flooding, reference])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# --- topologies --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FAMILY_PARAMS))
def test_adjacency_is_symmetric_simple_int8(name):
    g = make_topology(name, 60, seed=3, **FAMILY_PARAMS[name])
    a = g.adjacency
    assert a.dtype == np.int8
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert set(np.unique(a.data).tolist()) == {1}
    assert g.degrees.sum() == 2 * g.edges
    assert to_networkx(g).number_of_edges() == g.edges


def test_family_shapes():
    assert make_topology("complete", 10, seed=0).edges == 45  # 10 * 9 / 2
    assert make_topology("ring", 10, seed=0).degrees.tolist() == [2] * 10
    grid = make_topology("grid", 12, seed=0, rows=3, cols=4)
    assert (grid.n, grid.edges) == (12, 17)  # 3 * 3 horizontal + 2 * 4 vertical
    assert make_topology("grid", 50, seed=0).n == 49  # rounded to 7 x 7
    tree = make_topology("kary_tree", 13, seed=0, k=3)  # 1 + 3 + 9 nodes
    assert tree.degrees.tolist() == [3] + [4] * 3 + [1] * 9
    for method in ("attachment", "prufer"):
        t = make_topology("random_tree", 40, seed=1, method=method)
        assert t.edges == 39 and is_connected(t)
    assert set(make_topology("random_regular", 50, seed=2, degree=5).degrees.tolist()) == {5}
    ba = make_topology("barabasi_albert", 100, seed=2, m=3)
    assert ba.edges == 3 * (100 - 3)  # networkx starts from a star on m + 1 nodes


def test_random_regular_pairing_is_simple_and_regular():
    g = topologies.random_regular(3000, seed=5, degree=40, method="pairing")
    assert set(g.degrees.tolist()) == {40} and g.edges == 3000 * 40 // 2
    assert g.adjacency.diagonal().sum() == 0


def test_erdos_renyi_edge_count_is_binomial():
    # |E| ~ Binomial(N, p), N = 2000 * 1999 / 2 = 1999000, p = 6 / 1999: mean 6000, sd ~ 77.
    edges = [make_topology("erdos_renyi", 2000, seed=s, mean_degree=6).edges for s in range(5)]
    assert abs(np.mean(edges) - 6000) < 4 * 77 / np.sqrt(5)
    dense = make_topology("erdos_renyi", 30, seed=0, p=1.0)
    assert dense.edges == 435


def test_complete_refuses_huge_n():
    with pytest.raises(ValueError, match="implicitly"):
        make_topology("complete", topologies.COMPLETE_MAX_N + 1, seed=0)
    with pytest.raises(ValueError, match="unknown topology"):
        make_topology("hypercube", 8, seed=0)


def test_topologies_are_seeded():
    a = make_topology("random_regular", 200, seed=7, degree=4)
    b = make_topology("random_regular", 200, seed=7, degree=4)
    c = make_topology("random_regular", 200, seed=8, degree=4)
    assert (a.adjacency != b.adjacency).nnz == 0
    assert (a.adjacency != c.adjacency).nnz > 0


def test_fail_nodes_and_links_counts():
    rng = np.random.default_rng(0)
    g = make_topology("random_regular", 100, seed=1, degree=6)
    alive = fail_nodes(g, 0.25, rng)
    assert alive.dtype == bool and (~alive).sum() == 25
    h = fail_links(g, 0.1, rng)
    assert h.edges == 300 - 30  # round(0.1 * 300) removed
    u, v = edge_list(h)
    assert set(zip(u.tolist(), v.tolist())) < set(zip(*map(np.ndarray.tolist, edge_list(g))))


# --- flooding: exact counts --------------------------------------------------------------------


def _connected_instance(name: str, n: int, seed: int):
    g = make_topology(name, n, seed=seed, **FAMILY_PARAMS[name])
    assume(is_connected(g))
    return g


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(FAMILY_PARAMS)),
    n=st.integers(min_value=12, max_value=120).filter(lambda n: n % 2 == 0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    source_rank=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_flood_messages_are_2e_minus_n_plus_1(name, n, seed, source_rank):
    g = _connected_instance(name, n, seed)
    source = int(source_rank * g.n)
    metrics = flood_metrics(flood(g, source))
    assert metrics["messages"] == 2 * g.edges - (g.n - 1)
    assert metrics["coverage"] == 1.0 and metrics["lost"] == 0.0
    # every message but the n - 1 informing ones is redundant
    assert metrics["redundant"] == metrics["messages"] - (g.n - 1)
    assert metrics["rounds"] == nx.eccentricity(to_networkx(g), source)


@pytest.mark.parametrize("name", sorted(FAMILY_PARAMS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flood_equals_reference(name, seed):
    g = make_topology(name, 150, seed=seed, **FAMILY_PARAMS[name])
    graph = to_networkx(g)
    assert flood_metrics(flood(g, 5)) == reference_flood(graph, 5)
    # with dead nodes and probabilistic forwarding the two draw the same random numbers
    alive = fail_nodes(g, 0.2, np.random.default_rng(seed))
    alive[5] = True
    dead = set(np.flatnonzero(~alive).tolist())
    fast = flood(g, 5, p_flood=0.7, alive=alive, rng=np.random.default_rng(seed))
    plain = reference_flood(graph, 5, p_flood=0.7, dead=dead, rng=np.random.default_rng(seed))
    assert flood_metrics(fast) == plain


def test_ring_of_seven_by_hand():
    # Round 1: 0 -> 1, 6. Round 2: 1 -> 2, 6 -> 5. Round 3: 2 -> 3, 5 -> 4.
    # Round 4: 3 -> 4 and 4 -> 3, both redundant. 8 messages = 2 * 7 - 6.
    result = flood(ring(7), 0)
    assert result.informed_round.tolist() == [0, 1, 2, 3, 3, 2, 1]
    assert flood_metrics(result)["redundant"] == 2.0


# --- faults and probabilistic flooding ---------------------------------------------------------


def test_dead_nodes_block_and_coverage_counts_live_nodes():
    alive = np.ones(10, dtype=bool)
    alive[[3, 7]] = False  # ring 0..9 cut at 3 and 7: 0 reaches 8, 9, 1, 2
    metrics = flood_metrics(flood(ring(10), 0, alive=alive))
    assert metrics["coverage"] == 5 / 8
    assert metrics["lost"] == 2.0  # 2 -> 3 and 8 -> 7, sent but not received
    assert metrics["messages"] == 6.0  # 0: 2, then 1, 9, 2, 8: one each


def test_failures_never_raise_coverage_above_one():
    rng = np.random.default_rng(4)
    g = make_topology("random_regular", 500, seed=4, degree=3)
    for fraction in (0.1, 0.3, 0.6):
        alive = fail_nodes(g, fraction, rng)
        alive[0] = True
        result = flood(g, 0, alive=alive)
        metrics = flood_metrics(result)
        assert 0 < metrics["coverage"] <= 1
        assert not np.any(result.informed_round[~alive] >= 0)


def test_p_flood_zero_reaches_only_the_source_neighbours():
    g = make_topology("erdos_renyi", 300, seed=2, mean_degree=6)
    source = 11
    result = flood(g, source, p_flood=0.0, rng=np.random.default_rng(0))
    reached = set(np.flatnonzero(result.informed_round >= 0).tolist())
    neighbours = set(
        g.adjacency.indices[g.adjacency.indptr[source] : g.adjacency.indptr[source + 1]]
    )
    assert reached == neighbours | {source}
    assert result.messages == g.degrees[source]


def test_source_must_be_alive():
    alive = np.ones(7, dtype=bool)
    alive[0] = False
    with pytest.raises(ValueError, match="alive"):
        flood(ring(7), 0, alive=alive)


# --- protocol entry and seeding ----------------------------------------------------------------


def test_flood_protocol_is_seeded():
    (protocol,) = PROTOCOLS
    options = {"topology": "erdos_renyi", "n": 400, "p": 0.02, "p_flood": 0.8, "fail_nodes": 0.1}
    first = simulate(protocol, options, runs=3, seed=1)
    assert first == simulate(protocol, options, runs=3, seed=1)
    assert first["metrics"] != simulate(protocol, options, runs=3, seed=2)["metrics"]
    assert 0 < first["metrics"]["coverage"]["mean"] <= 1


def test_flood_protocol_count_on_defaults():
    (protocol,) = PROTOCOLS
    out = protocol.run(protocol.defaults(), np.random.default_rng(0))
    assert out["messages"] == 2 * out["edges"] - (out["n"] - 1)  # 4-regular: connected


@pytest.mark.parametrize(
    ("topology", "kept"),
    [("ring", set()), ("grid", set()), ("random_regular", {"degree"}), ("kary_tree", {"k"}),
     ("barabasi_albert", {"m"}), ("erdos_renyi", {"p"})],
)  # fmt: skip
def test_a_flood_records_only_the_graph_parameters_its_topology_takes(topology, kept):
    (protocol,) = PROTOCOLS
    options = simulate(protocol, {"topology": topology, "n": 64}, runs=1, seed=0)["options"]
    assert {"degree", "k", "m", "p"} & set(options) == kept
    assert options["topology"] == topology and options["p_flood"] == 1.0
