"""Overlay multicast trees over an :class:`~commbench.dissemination.underlay.Underlay`.

After Chu, Rao, Seshan and Zhang, "A Case for End System Multicast" (SIGMETRICS
2000): one source sends a packet to every member, either by IP multicast or over an
overlay tree whose edges are unicast paths between member hosts. An overlay tree is
a parent array over members (``parent[source] == -1``). Kinds:

``unicast``
    naive unicast: the source sends one copy to every member (a star).
``ip-multicast``
    the source-rooted router tree (union of the shortest paths from the source host);
    every physical link carries the packet once and every member gets it at unicast delay.
``spt``
    the IP multicast tree mapped onto the overlay: a member's parent is the nearest
    member upstream on its shortest path from the source (the member attached to the
    first router on the way up that has one), else the source. Members just re-send
    what passes their router, so the overlay delay is unicast plus 2 ms of access
    detour per relaying member. (The shortest-path tree of the complete overlay with
    unicast weights would be the star: unicast delays obey the triangle inequality.)
``mst``
    minimum spanning tree of the complete overlay, weight = unicast delay.
``bounded``
    degree-bounded shortest-path heuristic: grow from the source, always adding the
    member that is reached soonest through a member with fewer than ``max_degree``
    children (Prim's loop with key = overlay delay from the source).

Metrics (:func:`tree_metrics`): link stress = copies of the packet a physical link
carries, either direction, access links included (max and mean over used links);
relative delay penalty RDP = tree delay / unicast delay per receiving member (p50,
p90, max); ``cost`` = sum over links of delay x stress (ms, the paper's resource
usage); ``messages`` = physical link transmissions (sum of stress).

Examples
--------
>>> from commbench.dissemination.underlay import make_underlay
>>> u = make_underlay(60, 6, seed=2)
>>> parent = mst_tree(u, 0)
>>> int(parent[0]), int((parent >= 0).sum())
(-1, 5)
>>> m = ip_multicast_metrics(u, 0)
>>> m["stress_max"], m["rdp_max"]
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, dijkstra, minimum_spanning_tree

from commbench.dissemination.protocol import COUNT, Option, Protocol
from commbench.dissemination.underlay import Underlay, make_underlay

__all__ = [
    "KINDS",
    "PROTOCOLS",
    "bounded_tree",
    "ip_multicast_metrics",
    "link_metrics",
    "mst_tree",
    "overlay_delay_ms",
    "rdp_stats",
    "spt_tree",
    "star_tree",
    "tree_metrics",
]

KINDS = ("unicast", "ip-multicast", "spt", "mst", "bounded")


def star_tree(underlay: Underlay, source: int) -> np.ndarray:
    """Naive unicast: every member's parent is the source."""
    parent = np.full(underlay.n_members, source, dtype=np.int64)
    parent[source] = -1
    return parent


def spt_tree(underlay: Underlay, source: int) -> np.ndarray:
    """Overlay image of the IP multicast tree (see the module docstring)."""
    member_at = np.full(underlay.n_nodes, -1, dtype=np.int64)
    member_at[underlay.member_routers] = np.arange(underlay.n_members)
    pred = underlay.predecessors[source]
    parent = np.full(underlay.n_members, -1, dtype=np.int64)
    todo = np.flatnonzero(np.arange(underlay.n_members) != source)
    cur = underlay.member_routers[todo]
    for _ in range(underlay.n_nodes):  # one router up per pass; the source's router ends it
        if todo.size == 0:
            return parent
        cur = pred[cur]
        found = member_at[cur] >= 0
        parent[todo[found]] = member_at[cur[found]]
        todo, cur = todo[~found], cur[~found]
    raise RuntimeError("walk up the source tree did not reach the source's router")


def mst_tree(underlay: Underlay, source: int) -> np.ndarray:
    """Minimum spanning tree of the complete overlay (weight = unicast delay), rooted."""
    tree = minimum_spanning_tree(sp.csr_array(underlay.unicast_ms))
    _, pred = breadth_first_order(tree, source, directed=False, return_predecessors=True)
    return np.where(pred < 0, -1, pred).astype(np.int64)


def bounded_tree(underlay: Underlay, source: int, max_degree: int) -> np.ndarray:
    """Degree-bounded shortest-path heuristic: at most ``max_degree`` children each.

    O(members^2) numpy work: keys are recomputed only for members whose best parent
    has just filled up.
    """
    if max_degree < 1:
        raise ValueError("max_degree must be at least 1")
    d = underlay.unicast_ms
    n = underlay.n_members
    parent = np.full(n, -1, dtype=np.int64)
    in_tree = np.zeros(n, dtype=bool)
    in_tree[source] = True
    children = np.zeros(n, dtype=np.int64)
    reach = np.zeros(n)  # overlay delay from the source, for members in the tree
    key, best = d[source].copy(), np.full(n, source, dtype=np.int64)
    for _ in range(n - 1):
        v = int(np.argmin(np.where(in_tree, np.inf, key)))
        u = int(best[v])
        parent[v], reach[v], in_tree[v] = u, key[v], True
        children[u] += 1
        better = ~in_tree & (reach[v] + d[v] < key)
        key[better], best[better] = reach[v] + d[v, better], v
        if children[u] == max_degree:
            stale = np.flatnonzero(~in_tree & (best == u))
            if stale.size:
                open_ = np.flatnonzero(in_tree & (children < max_degree))
                via = reach[open_, None] + d[np.ix_(open_, stale)]
                pick = np.argmin(via, axis=0)
                key[stale], best[stale] = via[pick, np.arange(stale.size)], open_[pick]
    return parent


def overlay_delay_ms(underlay: Underlay, parent: np.ndarray) -> np.ndarray:
    """Delay from the root to every member along the overlay tree (ms)."""
    parent = np.asarray(parent)
    delay = np.zeros(parent.size)
    done = parent < 0
    for _ in range(parent.size):  # one tree level per pass
        ready = ~done & done[np.maximum(parent, 0)]
        if not ready.any():
            break
        delay[ready] = delay[parent[ready]] + underlay.unicast_ms[parent[ready], ready]
        done |= ready
    if not done.all():
        raise ValueError("parent array is not a tree rooted at a single source")
    return delay


def link_metrics(copies: np.ndarray, delay_ms: np.ndarray) -> dict[str, float]:
    """Stress stats, cost (ms, sum of delay x copies) and messages over the used links."""
    copies = np.asarray(copies, dtype=float)
    return {
        "stress_max": float(copies.max()),
        "stress_mean": float(copies.mean()),
        "cost": float(np.dot(copies, delay_ms)),
        "messages": float(copies.sum()),
    }


def rdp_stats(rdp: np.ndarray) -> dict[str, float]:
    """Median, 90th percentile and maximum relative delay penalty."""
    p50, p90 = np.percentile(rdp, [50, 90])
    return {"rdp_p50": float(p50), "rdp_p90": float(p90), "rdp_max": float(np.max(rdp))}


def tree_metrics(underlay: Underlay, parent: np.ndarray) -> dict[str, float]:
    """Stress, RDP, cost and messages of the overlay tree ``parent``."""
    parent = np.asarray(parent)
    source = int(np.flatnonzero(parent < 0)[0])
    child = np.flatnonzero(parent >= 0)
    u, v, copies = underlay.link_copies(parent[child], child)
    rdp = overlay_delay_ms(underlay, parent)[child] / underlay.unicast_ms[source, child]
    return {**link_metrics(copies, underlay.delay_ms(u, v)), **rdp_stats(rdp)}


def ip_multicast_metrics(underlay: Underlay, source: int) -> dict[str, float]:
    """IP multicast: each link of the union of shortest paths from the source, once.

    Delivery delay is measured on that router tree alone (Dijkstra over its links), so
    RDP == 1 checks that the union is a tree of shortest paths.
    """
    others = np.flatnonzero(np.arange(underlay.n_members) != source)
    u, v, _ = underlay.link_copies(np.full(others.size, source), others)
    delay = underlay.delay_ms(u, v)
    tree = sp.csr_array(
        (np.r_[delay, delay], (np.r_[u, v], np.r_[v, u])), shape=(underlay.n_nodes,) * 2
    )
    reach = dijkstra(tree, indices=underlay.host(source))[underlay.n_routers + others]
    rdp = reach / underlay.unicast_ms[source, others]
    return {**link_metrics(np.ones(u.size), delay), **rdp_stats(rdp)}


def _run_tree(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    underlay = make_underlay(
        options["routers"],
        options["members"],
        alpha=options["alpha"],
        beta=options["beta"],
        seed=rng,
    )
    source = int(rng.integers(underlay.n_members))
    kinds = KINDS if options["kind"] == "all" else (options["kind"],)
    builders = {
        "unicast": lambda: star_tree(underlay, source),
        "spt": lambda: spt_tree(underlay, source),
        "mst": lambda: mst_tree(underlay, source),
        "bounded": lambda: bounded_tree(underlay, source, options["max_degree"]),
    }
    out: dict[str, float] = {}
    for kind in kinds:
        if kind == "ip-multicast":
            metrics = ip_multicast_metrics(underlay, source)
        else:
            metrics = tree_metrics(underlay, builders[kind]())
        out.update({f"{kind}.{name}": value for name, value in metrics.items()})
    return out


PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(
        name="tree",
        help="End System Multicast trees vs unicast and IP multicast over a Waxman underlay",
        run=_run_tree,
        options=(
            Option("routers", int, 1000, "routers in the Waxman underlay", low=2, high=10_000),
            Option("members", int, 64, "group members, one per random distinct router", low=2),
            Option("max_degree", int, 4, "children per member in the bounded tree", **COUNT),
            Option(
                "alpha", float, 0.1, "Waxman distance scale (fraction of sqrt 2)", low=0, above=True
            ),
            Option(
                "beta",
                float,
                0.05,
                "Waxman link probability at distance 0",
                low=0,
                high=1,
                above=True,
            ),
            Option("kind", str, "all", "tree kind", choices=("all", *KINDS)),
        ),
    ),
)
