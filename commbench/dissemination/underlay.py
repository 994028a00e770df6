"""The physical network under an application-level multicast overlay.

A Waxman router graph: ``routers`` points uniform in the unit square, each pair
linked with probability ``beta * exp(-d / (alpha * L))`` (``d`` Euclidean distance,
``L = sqrt(2)`` the largest distance). The defaults ``alpha = 0.1, beta = 0.05`` give
a mean router degree of about 4.2 at 1000 routers (it grows linearly with
``routers``). A disconnected draw is joined by the shortest Delaunay edges between
its components (Kruskal on the contracted graph), so the fewest, shortest links
are added and a connected draw is left as it is.

Link delay is propagation only: ``DELAY_MS_PER_UNIT`` = 20 ms per unit of distance
(the side of the square standing for 4000 km of fibre at 200 km/ms). Each member
is an end host with its own access link of ``ACCESS_DELAY_MS`` = 1 ms to a distinct
random router. Hosts are nodes ``n_routers .. n_routers + n_members - 1`` of the
physical graph, so member-to-member paths include both access links (a host has
one link and is never a transit node).

Examples
--------
>>> u = make_underlay(50, 5, seed=1)
>>> u.n_members, u.unicast_ms.shape, bool(np.allclose(u.unicast_ms, u.unicast_ms.T))
(5, (5, 5), True)
>>> path = u.path(0, 3)
>>> int(path[0]) == u.host(0), int(path[-1]) == u.host(3), len(path) - 1 == int(u.hops[0, 3])
(True, True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay

__all__ = [
    "ACCESS_DELAY_MS",
    "DELAY_MS_PER_UNIT",
    "Underlay",
    "make_underlay",
    "waxman_routers",
]

DELAY_MS_PER_UNIT = 20.0
"""Propagation delay per unit of Euclidean distance in the unit square (ms)."""

ACCESS_DELAY_MS = 1.0
"""Delay of a member's access link to its router (ms)."""

_ROW_BLOCK = 512  # rows of the pair-probability matrix drawn at once (memory ~ block * n)
_MIN_DELAY_MS = 1e-6  # csgraph drops explicit zeros; coincident routers keep a link

Seed = int | np.random.Generator | None


@dataclass(frozen=True, eq=False)
class Underlay:
    """Routers, member hosts and their shortest paths (all delays in ms).

    Attributes
    ----------
    router_xy : ndarray, shape (n_routers, 2)
        Router positions in the unit square.
    links_ms : scipy.sparse.csr_array, shape (N, N)
        Symmetric link delays over ``N = n_routers + n_members`` nodes: routers first,
        then one host per member.
    n_routers : int
    member_routers : ndarray of int, shape (n_members,)
        The (distinct) router each member's access link attaches to.
    unicast_ms : ndarray, shape (n_members, n_members)
        Shortest-path delay between member hosts, access links included.
    hops : ndarray of int, shape (n_members, n_members)
        Physical links on that path (2 access links plus the router hops).
    predecessors : ndarray of int, shape (n_members, N)
        Shortest-path tree of each member host: ``predecessors[i, v]`` is the node
        before ``v`` on the path from member ``i`` (-9999 at the root).
    """

    router_xy: np.ndarray
    links_ms: sp.csr_array
    n_routers: int
    member_routers: np.ndarray
    unicast_ms: np.ndarray
    hops: np.ndarray
    predecessors: np.ndarray

    @property
    def n_members(self) -> int:
        return int(self.member_routers.size)

    @property
    def n_nodes(self) -> int:
        """Routers plus member hosts."""
        return self.n_routers + self.n_members

    def host(self, member: int) -> int:
        """Physical node id of a member's host."""
        return self.n_routers + int(member)

    def path(self, source: int, target: int) -> np.ndarray:
        """Physical nodes from member ``source``'s host to member ``target``'s host."""
        nodes = [self.host(target)]
        root = self.host(source)
        for _ in range(self.n_nodes):
            if nodes[-1] == root:
                return np.array(nodes[::-1], dtype=np.int64)
            nodes.append(int(self.predecessors[source, nodes[-1]]))
        raise RuntimeError("predecessor walk did not reach the source")

    def link_copies(
        self, sources: np.ndarray, targets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies each physical link carries when every ``sources[k]`` unicasts to
        ``targets[k]`` (member indices) along its shortest path.

        Direction is ignored: a link carries a copy whichever way it travels.
        Returns ``(u, v, copies)`` with ``u < v``, one row per link used.
        """
        src = np.asarray(sources, dtype=np.int64)
        cur = self.n_routers + np.asarray(targets, dtype=np.int64)
        root = self.n_routers + src
        ends: list[tuple[np.ndarray, np.ndarray]] = []
        active = cur != root
        for _ in range(self.n_nodes):  # one step along every path at once
            if not active.any():
                break
            step = self.predecessors[src[active], cur[active]]
            ends.append((cur[active], step))
            cur[active] = step
            active = cur != root
        else:
            raise RuntimeError("predecessor walk did not reach the source")
        if not ends:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        a = np.concatenate([e[0] for e in ends])
        b = np.concatenate([e[1] for e in ends])
        n = self.n_nodes
        keys, copies = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_counts=True)
        return keys // n, keys % n, copies.astype(np.int64)

    def delay_ms(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Delay of the physical links ``(u[k], v[k])`` (ms)."""
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        if u.size == 0:  # scipy's fancy indexing rejects empty index arrays
            return np.zeros(0)
        return np.asarray(self.links_ms[u, v], dtype=float).ravel()


def waxman_routers(
    n: int, *, alpha: float = 0.1, beta: float = 0.05, seed: Seed = None
) -> tuple[np.ndarray, sp.csr_array]:
    """Connected Waxman router graph: positions and a symmetric csr of delays (ms)."""
    if n < 2:
        raise ValueError("need at least 2 routers")
    if alpha <= 0 or not 0 < beta <= 1:
        raise ValueError("need alpha > 0 and 0 < beta <= 1")
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2))
    scale = alpha * math.sqrt(2.0)
    us, vs = [], []
    for start in range(0, n, _ROW_BLOCK):  # n / block iterations
        rows = np.arange(start, min(start + _ROW_BLOCK, n))
        d = np.linalg.norm(xy[rows, None, :] - xy[None, :, :], axis=2)
        keep = (rng.random(d.shape) < beta * np.exp(-d / scale)) & (
            np.arange(n)[None, :] > rows[:, None]
        )
        r, c = np.nonzero(keep)
        us.append(rows[r])
        vs.append(c)
    u, v = np.concatenate(us), np.concatenate(vs)
    u, v = _join_components(xy, u, v)
    delay = np.maximum(np.linalg.norm(xy[u] - xy[v], axis=1) * DELAY_MS_PER_UNIT, _MIN_DELAY_MS)
    links = sp.csr_array(
        (np.concatenate([delay, delay]), (np.concatenate([u, v]), np.concatenate([v, u]))),
        shape=(n, n),
    )
    return xy, links


def _join_components(xy: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Add the shortest Delaunay edges that join the components of ``(u, v)``."""
    n = len(xy)
    ones = sp.csr_array((np.ones(u.size), (u, v)), shape=(n, n))
    count, _ = connected_components(ones, directed=False)
    if count == 1:
        return u, v
    if n <= 3:
        cu, cv = np.triu_indices(n, k=1)
    else:
        simplices = Delaunay(xy).simplices
        pairs = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
        cu, cv = pairs.min(axis=1), pairs.max(axis=1)
    # Existing links weigh (almost) nothing, candidates 1 + length: Kruskal spans each
    # component with its own links, then joins components by the shortest candidates.
    length = np.linalg.norm(xy[cu] - xy[cv], axis=1)
    weights = sp.coo_array(
        (np.concatenate([np.full(u.size, 1e-9), 1.0 + length]), (np.r_[u, cu], np.r_[v, cv])),
        shape=(n, n),
    ).tocsr()  # duplicates summed: an existing link stays below 1
    tree = sp.coo_array(minimum_spanning_tree(weights))
    extra = tree.data >= 1.0
    a, b = tree.row[extra], tree.col[extra]
    return np.r_[u, np.minimum(a, b)], np.r_[v, np.maximum(a, b)]


def make_underlay(
    routers: int = 1000,
    members: int = 64,
    *,
    alpha: float = 0.1,
    beta: float = 0.05,
    seed: Seed = None,
) -> Underlay:
    """Waxman routers, ``members`` hosts on distinct random routers, and the
    member-to-member shortest paths (Dijkstra from the member hosts only).

    Cost: O(routers^2) to draw the graph, then O(members * E log N) for the paths.
    """
    if not 1 <= members <= routers:
        raise ValueError("need 1 <= members <= routers (one member per router)")
    rng = np.random.default_rng(seed)
    xy, links = waxman_routers(routers, alpha=alpha, beta=beta, seed=rng)
    attach = rng.choice(routers, size=members, replace=False)
    hosts = routers + np.arange(members)
    n = routers + members
    coo = sp.coo_array(links)
    access = np.full(members, ACCESS_DELAY_MS)
    graph = sp.csr_array(
        (
            np.r_[coo.data, access, access],
            (np.r_[coo.row, hosts, attach], np.r_[coo.col, attach, hosts]),
        ),
        shape=(n, n),
    )
    dist, pred = dijkstra(graph, directed=True, indices=hosts, return_predecessors=True)
    return Underlay(
        router_xy=xy,
        links_ms=graph,
        n_routers=routers,
        member_routers=attach,
        unicast_ms=dist[:, hosts],
        hops=_hop_counts(pred)[:, hosts],
        predecessors=pred,
    )


def _hop_counts(pred: np.ndarray) -> np.ndarray:
    """Depth of every node in each row's predecessor tree (pointer jumping, O(log depth))."""
    rows = np.arange(pred.shape[0])[:, None]
    anc = np.where(pred < 0, np.arange(pred.shape[1])[None, :], pred)
    depth = (pred >= 0).astype(np.int64)
    for _ in range(64):  # depth doubles each pass; 64 passes cover any int64 depth
        nxt = anc[rows, anc]
        if np.array_equal(nxt, anc):
            return depth
        depth = depth + depth[rows, anc]
        anc = nxt
    raise RuntimeError("pointer jumping did not converge")
