"""Graph families for the dissemination protocols, as symmetric sparse adjacency.

A :class:`Graph` wraps a symmetric ``scipy.sparse.csr_array`` of ``int8`` ones (no
self-loops, no multi-edges) with the family name and its parameters. Every generator
takes ``n`` (nodes) and a keyword-only ``seed`` (int, ``np.random.Generator`` or
None; ignored by the deterministic families) and is registered in
:data:`TOPOLOGIES`; :func:`make_topology` is the one entry point.

The complete graph is only materialised for ``n <= COMPLETE_MAX_N`` (5000 nodes,
about 25 million stored entries): gossip on the complete graph (anti-entropy,
rumor mongering) samples partners implicitly and never needs the matrix.

Examples
--------
>>> g = make_topology("ring", 7, seed=0)
>>> g.n, g.edges, g.degrees.tolist()
(7, 7, [2, 2, 2, 2, 2, 2, 2])
>>> make_topology("random_regular", 10, seed=1, degree=3).edges
15
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = [
    "COMPLETE_MAX_N",
    "TOPOLOGIES",
    "Graph",
    "barabasi_albert",
    "complete",
    "edge_list",
    "erdos_renyi",
    "fail_links",
    "fail_nodes",
    "from_edges",
    "grid",
    "is_connected",
    "kary_tree",
    "make_topology",
    "random_regular",
    "random_tree",
    "ring",
    "to_networkx",
]

COMPLETE_MAX_N = 5000
"""Largest complete graph that :func:`complete` materialises (n^2 stored entries)."""

_NX_REGULAR_MAX_STUBS = 100_000  # above, networkx's pure-Python sampler takes seconds
_MAX_RESAMPLE_ROUNDS = 1000  # bound on rejection/repair loops (each shrinks the work)

Seed = int | np.random.Generator | None


@dataclass(frozen=True)
class Graph:
    """An undirected simple graph on nodes ``0 .. n-1``.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array
        Symmetric ``n x n`` matrix of int8 ones, zero diagonal.
    name : str
        Family name as registered in :data:`TOPOLOGIES`.
    params : dict
        Parameters the graph was built from (``n``, ``seed``, ``degree``...).
    """

    adjacency: sp.csr_array
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.adjacency.shape[0])

    @property
    def edges(self) -> int:
        """Number of undirected edges |E|."""
        return int(self.adjacency.nnz // 2)

    @property
    def degrees(self) -> np.ndarray:
        """Degree of every node (int64 array of length n)."""
        return np.diff(self.adjacency.indptr).astype(np.int64)


def from_edges(
    n: int, u: np.ndarray, v: np.ndarray, name: str = "custom", params: dict | None = None
) -> Graph:
    """Build a :class:`Graph` from edge endpoint arrays; drops self-loops and duplicates."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    keep = u != v
    lo, hi = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    key = _distinct(lo * n + hi)
    lo, hi = key // n, key % n
    rows = np.concatenate([lo, hi])
    cols = np.concatenate([hi, lo])
    data = np.ones(rows.size, dtype=np.int8)
    adjacency = sp.csr_array((data, (rows, cols)), shape=(n, n))
    adjacency.sort_indices()
    return Graph(adjacency, name, {"n": n, **(params or {})})


def edge_list(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Each undirected edge once, as arrays ``(u, v)`` with ``u < v``."""
    upper = sp.triu(graph.adjacency, k=1, format="coo")
    return upper.row.astype(np.int64), upper.col.astype(np.int64)


def is_connected(graph: Graph) -> bool:
    """True if the graph has exactly one connected component."""
    count, _ = connected_components(graph.adjacency, directed=False)
    return count == 1


def to_networkx(graph: Graph) -> nx.Graph:
    """The same graph as a ``networkx.Graph`` (isolated nodes included)."""
    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    u, v = edge_list(graph)
    g.add_edges_from(zip(u.tolist(), v.tolist()))
    return g


def _from_networkx(g: nx.Graph, name: str, params: dict) -> Graph:
    n = g.number_of_nodes()
    pairs = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    return from_edges(n, pairs[:, 0], pairs[:, 1], name, params)


def _nx_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def complete(n: int, *, seed: Seed = None) -> Graph:
    """Complete graph K_n; only for ``n <= COMPLETE_MAX_N`` (use implicit gossip above)."""
    if n > COMPLETE_MAX_N:
        raise ValueError(
            f"complete graph with n={n} > {COMPLETE_MAX_N} is not materialised; "
            "gossip on the complete graph samples partners implicitly"
        )
    u, v = np.triu_indices(n, k=1)
    return from_edges(n, u, v, "complete", {})


def ring(n: int, *, seed: Seed = None) -> Graph:
    """Cycle C_n (n >= 3): node i is linked to i-1 and i+1 modulo n."""
    if n < 3:
        raise ValueError("a ring needs n >= 3")
    u = np.arange(n)
    return from_edges(n, u, (u + 1) % n, "ring", {})


def grid(n: int, *, seed: Seed = None, rows: int | None = None, cols: int | None = None) -> Graph:
    """2-D grid (4-neighbour lattice, no wrap-around).

    Without ``rows``/``cols`` the grid is ``side x side`` with ``side = round(sqrt(n))``,
    so ``graph.n`` may differ from the requested ``n``; with only one of them the
    other is ``ceil(n / given)``.
    """
    if rows is None and cols is None:
        rows = cols = max(1, round(math.sqrt(n)))
    elif rows is None:
        rows = math.ceil(n / cols)
    elif cols is None:
        cols = math.ceil(n / rows)
    ids = np.arange(rows * cols).reshape(rows, cols)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    return from_edges(rows * cols, u, v, "grid", {"rows": rows, "cols": cols})


def kary_tree(n: int, *, seed: Seed = None, k: int = 2) -> Graph:
    """Complete k-ary tree in breadth-first order: the parent of node i > 0 is (i-1)//k."""
    if k < 1:
        raise ValueError("k must be >= 1")
    child = np.arange(1, n)
    return from_edges(n, child, (child - 1) // k, "kary_tree", {"k": k})


def random_tree(n: int, *, seed: Seed = None, method: str = "attachment") -> Graph:
    """Random spanning tree on n nodes.

    ``method="attachment"`` (vectorised): node i attaches to a uniform node < i, then
    labels are permuted (a random recursive tree, depth ~ ln n).
    ``method="prufer"``: uniform over all n^(n-2) labelled trees (random Prüfer
    sequence decoded by networkx; Python speed, depth ~ sqrt(n)).
    """
    rng = np.random.default_rng(seed)
    if n < 2:
        return from_edges(n, np.empty(0), np.empty(0), "random_tree", {"method": method})
    if method == "attachment":
        child = np.arange(1, n)
        parent = np.floor(rng.random(n - 1) * child).astype(np.int64)
        label = rng.permutation(n)
        return from_edges(n, label[child], label[parent], "random_tree", {"method": method})
    if method == "prufer":
        if n == 2:
            return from_edges(2, np.array([0]), np.array([1]), "random_tree", {"method": method})
        sequence = rng.integers(0, n, size=n - 2).tolist()
        return _from_networkx(nx.from_prufer_sequence(sequence), "random_tree", {"method": method})
    raise ValueError(f"unknown random tree method {method!r}: use 'attachment' or 'prufer'")


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: numpy 2's hash ``np.unique`` is ~10x slower)."""
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if keys.size else keys


def _pairing_regular(
    n: int, degree: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Configuration model with repair: re-pair the stubs of bad pairs plus as many
    random good pairs until no self-loop or multi-edge is left (close to uniform)."""
    stubs = rng.permutation(np.repeat(np.arange(n, dtype=np.int64), degree))
    u, v = stubs[0::2].copy(), stubs[1::2].copy()
    for _ in range(_MAX_RESAMPLE_ROUNDS):
        key = np.minimum(u, v) * n + np.maximum(u, v)
        order = np.argsort(key, kind="stable")
        bad = u == v
        bad[order[1:][key[order][1:] == key[order][:-1]]] = True  # later copies of an edge
        nbad = int(bad.sum())
        if nbad == 0:
            return u, v
        good = np.flatnonzero(~bad)
        redo = np.concatenate([np.flatnonzero(bad), rng.choice(good, min(nbad, good.size), False)])
        pool = rng.permutation(np.concatenate([u[redo], v[redo]]))
        u[redo], v[redo] = pool[0::2], pool[1::2]
    raise RuntimeError(f"could not build a simple {degree}-regular graph on {n} nodes")


def random_regular(n: int, *, seed: Seed = None, degree: int = 3, method: str = "auto") -> Graph:
    """Random ``degree``-regular simple graph (``n * degree`` must be even).

    ``method="networkx"``: networkx's (asymptotically uniform) sampler, pure Python
    (~13 s for n = 10^5, degree 20). ``method="pairing"``: vectorised configuration
    model whose self-loops and multi-edges are repaired by re-pairing them with random
    good pairs (~1 s at that size; close to uniform). ``"auto"`` uses networkx up to
    ``n * degree = 10^5`` stubs and the pairing above.
    """
    rng = np.random.default_rng(seed)
    if (n * degree) % 2 or degree >= n:
        raise ValueError("need n * degree even and degree < n")
    if method == "auto":
        method = "networkx" if n * degree <= _NX_REGULAR_MAX_STUBS else "pairing"
    params = {"degree": degree, "method": method}
    if method == "networkx":
        g = nx.random_regular_graph(degree, n, seed=_nx_seed(rng))
        return _from_networkx(g, "random_regular", params)
    if method == "pairing":
        u, v = _pairing_regular(n, degree, rng)
        return from_edges(n, u, v, "random_regular", params)
    raise ValueError(f"unknown method {method!r}: use 'auto', 'networkx' or 'pairing'")


def erdos_renyi(
    n: int, *, seed: Seed = None, p: float | None = None, mean_degree: float | None = None
) -> Graph:
    """G(n, p): each of the n(n-1)/2 pairs is an edge independently with probability p.

    Give ``p`` or ``mean_degree`` (then p = mean_degree / (n - 1)). Vectorised: the edge
    count is drawn from its binomial law, then that many distinct pairs are sampled.
    """
    rng = np.random.default_rng(seed)
    if (p is None) == (mean_degree is None):
        raise ValueError("give exactly one of p and mean_degree")
    if p is None:
        p = mean_degree / (n - 1)
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must be in [0, 1]")
    if p > 0.5:  # dense: flip a coin per pair (rejection sampling would stall near p = 1)
        u, v = np.triu_indices(n, k=1)
        keep = rng.random(u.size) < p
        return from_edges(n, u[keep], v[keep], "erdos_renyi", {"p": p})
    pairs = n * (n - 1) // 2
    target = int(rng.binomial(pairs, p))
    keys = np.empty(0, dtype=np.int64)  # sorted, distinct
    for _ in range(_MAX_RESAMPLE_ROUNDS):
        missing = target - keys.size
        if missing == 0:
            break
        extra = missing + missing // 8 + 16  # oversample: collisions and u == v are dropped
        a, b = rng.integers(0, n, size=(2, extra))
        a, b = a[a != b], b[a != b]
        new = _distinct(np.minimum(a, b) * n + np.maximum(a, b))
        at = np.minimum(np.searchsorted(keys, new), max(keys.size - 1, 0))
        if keys.size:
            new = new[keys[at] != new]
        # a uniform subset of distinct uniform pairs is a uniform set of pairs
        keys = np.sort(np.concatenate([keys, rng.permutation(new)[:missing]]))
    else:
        raise RuntimeError("could not sample the Erdos-Renyi edge set")
    return from_edges(n, keys // n, keys % n, "erdos_renyi", {"p": p})


def barabasi_albert(n: int, *, seed: Seed = None, m: int = 2) -> Graph:
    """Barabási-Albert preferential attachment, m edges per new node (networkx)."""
    rng = np.random.default_rng(seed)
    g = nx.barabasi_albert_graph(n, m, seed=_nx_seed(rng))
    return _from_networkx(g, "barabasi_albert", {"m": m})


TOPOLOGIES: dict[str, Callable[..., Graph]] = {
    "complete": complete,
    "ring": ring,
    "grid": grid,
    "kary_tree": kary_tree,
    "random_tree": random_tree,
    "random_regular": random_regular,
    "erdos_renyi": erdos_renyi,
    "barabasi_albert": barabasi_albert,
}
"""Every graph family by name: ``f(n, *, seed=None, **params) -> Graph``."""


def make_topology(name: str, n: int, *, seed: Seed = None, **params: Any) -> Graph:
    """Build the ``name`` family on ``n`` nodes; unknown names raise ``ValueError``."""
    try:
        generator = TOPOLOGIES[name]
    except KeyError:
        raise ValueError(f"unknown topology {name!r}; choose from {sorted(TOPOLOGIES)}") from None
    try:
        graph = generator(n, seed=seed, **params)
    except nx.NetworkXException as exc:  # e.g. Barabasi-Albert with m >= n
        raise ValueError(f"{name}: {exc}") from None
    recorded = seed if isinstance(seed, int) else None
    return Graph(graph.adjacency, name, {**graph.params, "seed": recorded, **params})


def fail_nodes(graph: Graph, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Alive mask: exactly ``round(fraction * n)`` uniformly chosen nodes are dead (False)."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be in [0, 1]")
    alive = np.ones(graph.n, dtype=bool)
    alive[rng.choice(graph.n, size=round(fraction * graph.n), replace=False)] = False
    return alive


def fail_links(graph: Graph, fraction: float, rng: np.random.Generator) -> Graph:
    """A copy without ``round(fraction * |E|)`` uniformly chosen undirected edges."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be in [0, 1]")
    u, v = edge_list(graph)
    keep = np.ones(u.size, dtype=bool)
    keep[rng.choice(u.size, size=round(fraction * u.size), replace=False)] = False
    params = {**graph.params, "failed_link_fraction": fraction}
    return from_edges(graph.n, u[keep], v[keep], graph.name, params)
