"""Multicast to a group: messages that reach non-members, by hand and against a plain loop."""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest

from commbench.dissemination import PROTOCOLS, group_multicast, simulate
from commbench.dissemination.group_multicast import STRATEGIES, group_metrics
from commbench.dissemination.topologies import complete, make_topology, ring, to_networkx


def test_docstring_examples() -> None:
    result = doctest.testmod(group_multicast)
    assert result.attempted > 0 and result.failed == 0


def _by_strategy(metrics: dict[str, float], key: str) -> dict[str, float]:
    return {s: metrics[f"{s}.{key}"] for s in STRATEGIES}


def test_ring_of_six_by_hand() -> None:
    # Ring 0-1-2-3-4-5-0, source 0, members {0, 3}. Flood: 0->1, 0->5 (round 1), 1->2,
    # 5->4 (round 2), 2->3 and 4->3 (round 3; 3 heard it from 2, the lower index), 3->4
    # (round 4): 7 messages = 2|E| - (n - 1), all but 2->3 and 4->3 to non-members, and
    # all four non-members reached. Spanning tree: 5 messages, 4 to non-members. Pruned
    # tree: the path 0-1-2-3, 3 messages, 2 to the relays 1 and 2. Member tree: 0->3.
    m = group_metrics(ring(6), source=0, members=np.array([0, 3]))
    assert _by_strategy(m, "messages") == {
        "flood": 7.0,
        "spanning-tree": 5.0,
        "pruned-tree": 3.0,
        "member-tree": 1.0,
    }
    assert _by_strategy(m, "nonmember_messages") == {
        "flood": 5.0,
        "spanning-tree": 4.0,
        "pruned-tree": 2.0,
        "member-tree": 0.0,
    }
    assert _by_strategy(m, "nonmembers_reached") == {
        "flood": 4.0,
        "spanning-tree": 4.0,
        "pruned-tree": 2.0,
        "member-tree": 0.0,
    }
    assert m["pruned-tree.nonmember_fraction"] == 0.5
    assert set(_by_strategy(m, "member_coverage").values()) == {1.0}


def test_complete_graph_by_hand() -> None:
    # K5, source 0, members {0, 1}: round 1 reaches everyone (4 messages), round 2 each of
    # 1..4 sends to its 3 other non-parents (12): 16 = 2 * 10 - 4. Non-members 2, 3, 4 get
    # 1 + 3 copies each: 12. The pruned tree is the one edge 0-1, like the member tree.
    m = group_metrics(complete(5), source=0, members=np.array([0, 1]))
    assert m["flood.messages"] == 16.0
    assert m["flood.nonmember_messages"] == 12.0
    assert m["flood.nonmembers_reached"] == 3.0
    assert m["pruned-tree.messages"] == m["member-tree.messages"] == 1.0
    assert m["pruned-tree.nonmember_messages"] == 0.0


def _plain(g: nx.Graph, source: int, members: set[int]) -> dict[str, int]:
    """One Python step per message: flood receptions by non-members, and the relays of
    the shortest-path tree pruned to the members (parent = lowest-index earlier node)."""
    depth, parent = {source: 0}, {source: None}
    frontier, to_outsiders = [source], 0
    while frontier:
        arrivals = []
        for u in sorted(frontier):
            for v in sorted(g.neighbors(u)):
                if v == parent[u]:
                    continue
                to_outsiders += v not in members
                arrivals.append((v, u))
        frontier = []
        for v, u in arrivals:  # ascending senders: the first is the lowest index
            if v not in depth:
                depth[v], parent[v] = depth[u] + 1, u
                frontier.append(v)
    relays = set()
    for member in members:
        node = parent[member]
        while node is not None:
            relays.add(node)
            node = parent[node]
    return {"flood": to_outsiders, "relays": len(relays - members)}


@pytest.mark.parametrize(
    ("topology", "params"),
    [("random_regular", {"degree": 6}), ("barabasi_albert", {"m": 2}), ("grid", {})],
)
@pytest.mark.parametrize("m", [2, 20, 150])
def test_against_a_plain_loop(topology: str, params: dict, m: int) -> None:
    graph = make_topology(topology, 196, seed=m, **params)
    rng = np.random.default_rng(m)
    members = rng.choice(graph.n, size=m, replace=False)
    got = group_metrics(graph, int(members[0]), members)
    plain = _plain(to_networkx(graph), int(members[0]), set(members.tolist()))
    assert got["flood.nonmember_messages"] == plain["flood"]
    assert got["pruned-tree.nonmember_messages"] == plain["relays"]
    assert got["pruned-tree.messages"] == plain["relays"] + m - 1  # every member reached
    assert got["spanning-tree.nonmember_messages"] == graph.n - m  # connected
    assert got["flood.messages"] == 2 * graph.edges - (graph.n - 1)


def test_the_protocol_orders_the_strategies_and_is_reproducible() -> None:
    protocol = PROTOCOLS["group"]
    options = {"n": 1000, "degree": 6, "members": 50}
    first = simulate(protocol, options, runs=4, seed=3)
    assert simulate(protocol, options, runs=4, seed=3) == first
    mean = {k: v["mean"] for k, v in first["metrics"].items()}
    outside = _by_strategy(mean, "nonmember_messages")
    assert outside["flood"] > outside["spanning-tree"] == 950.0
    assert outside["spanning-tree"] > outside["pruned-tree"] > outside["member-tree"] == 0.0
    assert set(_by_strategy(mean, "member_coverage").values()) == {1.0}


def test_more_members_than_nodes_is_refused() -> None:
    with pytest.raises(ValueError, match="--members 30"):
        simulate(PROTOCOLS["group"], {"n": 20, "members": 30})
    with pytest.raises(ValueError, match="source must be a member"):
        group_metrics(ring(5), source=0, members=np.array([1, 2]))
