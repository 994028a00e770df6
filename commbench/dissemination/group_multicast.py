"""Multicast to a group on an overlay: how many messages reach nodes outside the group.

The overlay is one graph of n nodes (any topology of :mod:`flooding`); a group of m of
them (the members, the source among them) wants the message, the other n - m do not.
Four ways to deliver it, each counted per message:

``flood``
    flood the whole overlay (:func:`~commbench.dissemination.flooding.flood`'s rule:
    forward once, to every neighbour but the sender); members keep the message, the
    others drop it after handling it.
``spanning-tree``
    broadcast along the flood's shortest-path tree: one copy per node, no duplicates,
    still every node.
``pruned-tree``
    the shortest-path tree pruned to the branches that lead to a member (IP multicast's
    source tree after flood-and-prune): a non-member gets a copy only to relay it.
``member-tree``
    a tree over the group's members only, each edge a direct connection between two
    members (an application-level group overlay): m - 1 messages, none to a non-member.

Metrics (:func:`group_metrics`), per strategy S, as ``S.name``:

* ``messages``: messages sent (messages).
* ``nonmember_messages``: messages delivered to non-members (messages).
* ``nonmembers_reached``: non-members that handled at least one copy (nodes).
* ``nonmember_fraction``: ``nonmembers_reached / (n - m)`` (fraction).
* ``member_coverage``: members that got the message / members (fraction).

Examples
--------
>>> from commbench.dissemination.topologies import from_edges
>>> path = from_edges(6, np.arange(5), np.arange(1, 6), "path", {})  # 0-1-2-3-4-5
>>> m = group_metrics(path, source=0, members=np.array([0, 2]))
>>> m["flood.messages"], m["flood.nonmember_messages"], m["flood.nonmembers_reached"]
(5.0, 4.0, 4.0)
>>> m["pruned-tree.messages"], m["pruned-tree.nonmember_messages"]
(2.0, 1.0)
>>> m["member-tree.messages"], m["member-tree.nonmember_messages"]
(1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from commbench.dissemination.flooding import (
    NEVER,
    TOPOLOGY_OPTIONS,
    flood,
    only_topology_params,
    topology_from_options,
)
from commbench.dissemination.protocol import MAX_NODES, Option, Protocol
from commbench.dissemination.topologies import Graph

__all__ = [
    "PROTOCOLS",
    "STRATEGIES",
    "flood_parents",
    "flood_receptions",
    "group_metrics",
    "pruned_tree",
]

STRATEGIES = ("flood", "spanning-tree", "pruned-tree", "member-tree")


def _directed_edges(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Every edge in both directions: (sender, receiver) arrays from the CSR rows."""
    indptr = graph.adjacency.indptr
    senders = np.repeat(np.arange(graph.n), np.diff(indptr))
    return senders, graph.adjacency.indices.astype(np.int64)


def flood_parents(graph: Graph, informed_round: np.ndarray) -> np.ndarray:
    """The neighbour each node heard the flood from first (the lowest-index one of the
    previous round, as :mod:`flooding` says); -1 for the source and unreached nodes."""
    u, v = _directed_edges(graph)
    earlier = (informed_round[u] != NEVER) & (informed_round[v] == informed_round[u] + 1)
    parent = np.full(graph.n, graph.n, dtype=np.int64)
    np.minimum.at(parent, v[earlier], u[earlier])
    parent[parent == graph.n] = -1
    return parent


def flood_receptions(graph: Graph, informed_round: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Copies of the flood each node receives: every informed node u sends to each
    neighbour but ``parent[u]`` (all live, every informed node forwards)."""
    u, v = _directed_edges(graph)
    sent = (informed_round[u] != NEVER) & (parent[u] != v)
    return np.bincount(v[sent], minlength=graph.n)


def pruned_tree(parent: np.ndarray, depth: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Mask of the nodes on a tree path from the source to a reached member.

    ``parent`` and ``depth`` describe the shortest-path tree (depth ``NEVER`` when
    unreached); one vectorised pass per tree level, deepest first.
    """
    keep = np.zeros(parent.size, dtype=bool)
    keep[members[depth[members] != NEVER]] = True
    for level in range(int(depth.max()), 0, -1):
        up = np.flatnonzero(keep & (depth == level))
        keep[parent[up]] = True
    return keep


def _counts(
    messages: int, receptions: np.ndarray, is_member: np.ndarray, reached_members: int
) -> dict[str, float]:
    outside = ~is_member
    return {
        "messages": float(messages),
        "nonmember_messages": float(receptions[outside].sum()),
        "nonmembers_reached": float(np.count_nonzero(receptions[outside])),
        "nonmember_fraction": float(np.count_nonzero(receptions[outside]) / outside.sum())
        if outside.any()
        else 0.0,
        "member_coverage": float(reached_members / is_member.sum()),
    }


def group_metrics(graph: Graph, source: int, members: np.ndarray) -> dict[str, float]:
    """Per strategy, messages in all and to non-members (module docstring).

    ``members`` holds distinct node ids and includes ``source``.
    """
    members = np.asarray(members, dtype=np.int64)
    if source not in members:
        raise ValueError("the source must be a member")
    is_member = np.zeros(graph.n, dtype=bool)
    is_member[members] = True
    result = flood(graph, source)
    depth = result.informed_round
    parent = flood_parents(graph, depth)
    reached = depth != NEVER
    flood_in = flood_receptions(graph, depth, parent)
    if int(flood_in.sum()) != result.messages:
        raise RuntimeError("flood receptions do not add up to the flood's messages")
    tree_in = reached.astype(np.int64)  # one copy per reached node but the source
    tree_in[source] = 0
    kept = pruned_tree(parent, depth, members)
    pruned_in = kept.astype(np.int64)
    pruned_in[source] = 0
    member_in = is_member.astype(np.int64)  # direct member links: one copy per member
    member_in[source] = 0
    reached_members = int(np.count_nonzero(reached[members]))
    rows = {
        "flood": (result.messages, flood_in, reached_members),
        "spanning-tree": (int(tree_in.sum()), tree_in, reached_members),
        "pruned-tree": (int(pruned_in.sum()), pruned_in, reached_members),
        "member-tree": (members.size - 1, member_in, members.size),
    }
    out = {"n": float(graph.n), "members": float(members.size)}
    for name, (messages, receptions, got) in rows.items():
        metrics = _counts(messages, receptions, is_member, got)
        out.update({f"{name}.{key}": value for key, value in metrics.items()})
    return out


def _check(options: Mapping[str, Any]) -> None:
    if options["members"] > options["n"]:
        raise ValueError(f"--members {options['members']}: more than the {options['n']} nodes")


def _run(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    graph = topology_from_options(options, rng)
    m = int(options["members"])
    if m > graph.n:  # a grid rounds n to a square
        raise ValueError(f"--members {m}: more than the graph's {graph.n} nodes")
    members = rng.choice(graph.n, size=m, replace=False)
    return group_metrics(graph, int(members[0]), members)


PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(
        "group",
        "multicast to m members of an n-node overlay: messages that reach non-members, "
        "flooding against trees",
        _run,
        (
            *TOPOLOGY_OPTIONS,
            Option(
                "members", int, 50, "group members, the source among them", low=2, high=MAX_NODES
            ),
        ),
        resolve=only_topology_params,
        check=_check,
    ),
)
