"""Underlay and overlay multicast trees: invariants on small seeded Waxman underlays."""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from commbench.dissemination import PROTOCOLS, simulate, tree_multicast, underlay
from commbench.dissemination.tree_multicast import (
    bounded_tree,
    ip_multicast_metrics,
    link_metrics,
    mst_tree,
    overlay_delay_ms,
    rdp_stats,
    spt_tree,
    star_tree,
    tree_metrics,
)
from commbench.dissemination.underlay import ACCESS_DELAY_MS, make_underlay, waxman_routers

SOURCE = 3
MAX_DEGREE = 3
BUILDERS = {
    "unicast": star_tree,
    "spt": spt_tree,
    "mst": mst_tree,
    "bounded": lambda u, s: bounded_tree(u, s, MAX_DEGREE),
}


@pytest.fixture(scope="module", params=[0, 1, 2])
def net(request):
    return make_underlay(200, 24, seed=request.param)


def _depth(parent: np.ndarray) -> np.ndarray:
    depth = np.zeros(parent.size, dtype=int)
    for v in range(parent.size):
        u = v
        while parent[u] >= 0:
            u, depth[v] = parent[u], depth[v] + 1
    return depth


@pytest.mark.parametrize("module", [underlay, tree_multicast])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_underlay_shape_and_symmetry(net):
    links = net.links_ms
    assert abs(links - links.T).max() == 0
    assert connected_components(links, directed=False)[0] == 1
    assert np.unique(net.member_routers).size == net.n_members
    assert np.allclose(net.unicast_ms, net.unicast_ms.T)
    assert np.all(np.diag(net.unicast_ms) == 0)
    off = ~np.eye(net.n_members, dtype=bool)
    assert np.all(net.unicast_ms[off] > 2 * ACCESS_DELAY_MS)
    assert np.all(net.hops[off] >= 3)  # two access links and at least one router hop


def test_paths_are_networkx_shortest_paths(net):
    g = nx.from_scipy_sparse_array(net.links_ms)
    for j in range(net.n_members):
        path = net.path(SOURCE, j)
        assert len(path) - 1 == net.hops[SOURCE, j]
        assert net.delay_ms(path[:-1], path[1:]).sum() == pytest.approx(net.unicast_ms[SOURCE, j])
        expected = nx.dijkstra_path_length(g, net.host(SOURCE), net.host(j))
        assert net.unicast_ms[SOURCE, j] == pytest.approx(expected)


def test_waxman_sparse_draw_is_joined():
    _, links = waxman_routers(300, alpha=0.01, beta=0.05, seed=4)  # mostly isolated routers
    assert connected_components(links, directed=False)[0] == 1


def test_ip_multicast_stress_one_and_rdp_one(net):
    m = ip_multicast_metrics(net, SOURCE)
    assert m["stress_max"] == 1.0 and m["stress_mean"] == 1.0
    assert m["rdp_max"] == pytest.approx(1.0) and m["rdp_p50"] == pytest.approx(1.0)
    assert m["messages"] <= net.hops[SOURCE].sum()  # shared links are used once


def test_unicast_rdp_one_and_messages_equal_hop_sum(net):
    m = tree_metrics(net, star_tree(net, SOURCE))
    assert m["rdp_max"] == pytest.approx(1.0) and m["rdp_p50"] == pytest.approx(1.0)
    hops = sum(len(net.path(SOURCE, j)) - 1 for j in range(net.n_members) if j != SOURCE)
    assert m["messages"] == hops
    assert m["stress_max"] == net.n_members - 1  # the source's access link


@pytest.mark.parametrize("kind", BUILDERS)
def test_every_tree_spans_members(net, kind):
    parent = BUILDERS[kind](net, SOURCE)
    assert parent[SOURCE] == -1 and np.count_nonzero(parent < 0) == 1
    child = np.flatnonzero(parent >= 0)
    g = nx.Graph(zip(child.tolist(), parent[child].tolist()))
    assert g.number_of_edges() == net.n_members - 1
    assert g.number_of_nodes() == net.n_members and nx.is_connected(g)


@pytest.mark.parametrize("kind", BUILDERS)
def test_overlay_rdp_at_least_one(net, kind):
    parent = BUILDERS[kind](net, SOURCE)
    others = np.arange(net.n_members) != SOURCE
    rdp = overlay_delay_ms(net, parent)[others] / net.unicast_ms[SOURCE, others]
    assert np.all(rdp >= 1 - 1e-12)
    assert tree_metrics(net, parent)["rdp_max"] == pytest.approx(rdp.max())


def test_spt_delay_is_unicast_plus_access_detours(net):
    parent = spt_tree(net, SOURCE)
    detour = 2 * ACCESS_DELAY_MS * np.maximum(_depth(parent) - 1, 0)
    assert np.allclose(overlay_delay_ms(net, parent), net.unicast_ms[SOURCE] + detour)


def test_mst_weight_matches_networkx(net):
    parent = mst_tree(net, SOURCE)
    child = np.flatnonzero(parent >= 0)
    ours = net.unicast_ms[parent[child], child].sum()
    complete = nx.from_numpy_array(net.unicast_ms)
    theirs = nx.minimum_spanning_tree(complete).size(weight="weight")
    assert ours == pytest.approx(theirs)


@pytest.mark.parametrize("max_degree", [1, 2, 3, 5])
def test_bounded_tree_respects_degree(net, max_degree):
    parent = bounded_tree(net, SOURCE, max_degree)
    children = np.bincount(parent[parent >= 0], minlength=net.n_members)
    assert children.max() <= max_degree
    if max_degree == 1:  # a chain
        assert sorted(_depth(parent).tolist()) == list(range(net.n_members))


def test_bounded_tree_unbounded_is_the_star(net):
    parent = bounded_tree(net, SOURCE, net.n_members)
    assert np.array_equal(parent, star_tree(net, SOURCE))


def test_link_metrics_and_rdp_stats_hand_computed():
    m = link_metrics(np.array([1, 2, 3]), np.array([1.0, 1.0, 2.0]))
    assert m == {"stress_max": 3.0, "stress_mean": 2.0, "cost": 9.0, "messages": 6.0}
    s = rdp_stats(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert s == pytest.approx({"rdp_p50": 3.0, "rdp_p90": 4.6, "rdp_max": 5.0})


def test_tree_protocol_is_seeded_and_names_metrics():
    options = {"routers": 150, "members": 16}
    a = simulate(PROTOCOLS["tree"], options, runs=2, seed=5)
    b = simulate(PROTOCOLS["tree"], options, runs=2, seed=5)
    assert a == b
    for kind in tree_multicast.KINDS:
        for metric in ("stress_max", "stress_mean", "rdp_p50", "rdp_p90", "rdp_max", "cost"):
            assert f"{kind}.{metric}" in a["metrics"]
    assert a["metrics"]["ip-multicast.stress_max"]["mean"] == 1.0
    one = simulate(PROTOCOLS["tree"], {**options, "kind": "mst"}, seed=5)
    assert set(one["metrics"]) == {f"mst.{k}" for k in link_metrics([1], [1.0]) | rdp_stats([1])}
