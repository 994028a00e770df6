"""Flooding from one source, in synchronous rounds, vectorised over the frontier.

Rule: the source sends to all its neighbours in round 1. A node that first receives
the message in round t forwards it in round t+1, once, to every neighbour except the
one it heard it from (when several neighbours reach it in the same round, the one
with the lowest index counts as the sender; the choice changes no metric). It never
forwards again. So on a connected graph with every node alive the source sends
deg(s) messages and every other node deg(v) - 1, in total exactly ``2|E| - (n - 1)``
messages.

Variants: with ``p_flood < 1`` each node other than the source forwards, on first
receipt, with probability ``p_flood`` and otherwise sends nothing (the source always
sends). Failed nodes neither receive nor forward; a message sent to a dead node is
still sent (and counted as ``lost``).

A round with a large frontier is one sparse product ``A @ frontier`` (messages
arriving at each node); a small frontier gathers its CSR rows instead, so a round
costs about the frontier's degree sum and a long ring is not O(n^2).

Metrics (:func:`flood_metrics`), per run:

* ``messages``: messages sent (messages).
* ``lost``: messages sent to dead nodes (messages).
* ``redundant``: messages delivered to a live node that do not inform it: the node
  was already informed, or another message informed it in the same round
  (messages). ``messages = (informed - 1) + redundant + lost``.
* ``rounds``: round in which the last node was informed, i.e. hops from the source
  to the farthest node reached (rounds); 0 if nobody else is reached.
* ``coverage``: informed live nodes / live nodes (fraction; the source is alive).

Examples
--------
>>> from commbench.dissemination.topologies import ring
>>> result = flood(ring(7), source=0)
>>> result.informed_round.tolist()
[0, 1, 2, 3, 3, 2, 1]
>>> flood_metrics(result)
{'messages': 8.0, 'lost': 0.0, 'redundant': 2.0, 'rounds': 3.0, 'coverage': 1.0}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from commbench.dissemination.protocol import COUNT, PROBABILITY, SIZE, Option, Protocol
from commbench.dissemination.topologies import TOPOLOGIES, Graph, fail_links, make_topology

__all__ = [
    "PROTOCOLS",
    "TOPOLOGY_OPTIONS",
    "FloodResult",
    "flood",
    "flood_metrics",
    "frontier_messages",
    "topology_from_options",
]

NEVER = -1
"""``informed_round`` of a node that never got the message."""


@dataclass(frozen=True)
class FloodResult:
    """Outcome of one flood.

    Attributes
    ----------
    informed_round : ndarray of int64
        Round in which each node first got the message (0 for the source, ``NEVER``).
    alive : ndarray of bool
        Live nodes.
    messages, lost : int
        Messages sent, and those of them sent to dead nodes.
    """

    informed_round: np.ndarray
    alive: np.ndarray
    messages: int
    lost: int


def frontier_messages(graph: Graph, frontier: np.ndarray) -> np.ndarray:
    """Receivers of every message when each frontier node sends to all its neighbours.

    One entry per message (the CSR rows of ``frontier`` concatenated), so a node
    reached by c frontier neighbours appears c times.
    """
    indptr, indices = graph.adjacency.indptr, graph.adjacency.indices
    starts = indptr[frontier].astype(np.int64)
    lengths = indptr[frontier + 1] - starts
    # position of each message in `indices`: its row start plus its rank within the row
    first = np.cumsum(lengths) - lengths
    offsets = np.arange(int(lengths.sum())) + np.repeat(starts - first, lengths)
    return indices[offsets]


def flood(
    graph: Graph,
    source: int = 0,
    *,
    p_flood: float = 1.0,
    alive: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> FloodResult:
    """Flood from ``source`` (see the module docstring for the rule).

    Parameters
    ----------
    graph : Graph
    source : int
        Node that has the message in round 0; must be alive.
    p_flood : float
        Probability that a node other than the source forwards on first receipt.
    alive : ndarray of bool, optional
        Live nodes (default all).
    rng : numpy.random.Generator, optional
        Needed only when ``p_flood < 1``; one ``rng.random()`` per newly informed
        node, in ascending node order.
    """
    n = graph.n
    alive = np.ones(n, dtype=bool) if alive is None else np.asarray(alive, dtype=bool)
    if not alive[source]:
        raise ValueError("the source must be alive")
    if p_flood < 1.0 and rng is None:
        raise ValueError("p_flood < 1 needs an rng")
    adjacency = graph.adjacency.astype(np.int32)  # int8 sums would wrap past 127 senders
    degrees, dead = graph.degrees, np.flatnonzero(~alive)
    waiting = alive.copy()  # live and not yet informed
    waiting[source] = False
    informed_round = np.full(n, NEVER, dtype=np.int64)
    informed_round[source] = 0
    frontier = np.array([source], dtype=np.int64)
    messages = lost = 0
    for t in range(1, n + 1):  # a node is informed at most once, so at most n - 1 rounds
        if frontier.size == 0:
            break
        # The message back to the sender a node heard from goes to a live, informed
        # node: leaving it out changes the count only, never who is reached or `lost`.
        sent = int(degrees[frontier].sum())
        messages += sent - frontier.size + (t == 1)
        if 8 * sent < adjacency.nnz:  # small frontier: gather its rows
            receivers = frontier_messages(graph, frontier)
            lost += int(np.count_nonzero(~alive[receivers]))
            new = np.sort(receivers[waiting[receivers]])
            new = new[np.concatenate(([True], new[1:] != new[:-1]))] if new.size else new
        else:  # large frontier: one sparse matrix-vector product
            indicator = np.zeros(n, dtype=np.int32)
            indicator[frontier] = 1
            arrivals = adjacency @ indicator  # messages arriving at each node
            lost += int(arrivals[dead].sum())
            new = np.flatnonzero((arrivals > 0) & waiting)
        waiting[new] = False
        informed_round[new] = t
        if p_flood < 1.0:
            new = new[rng.random(new.size) < p_flood]
        frontier = new
    return FloodResult(informed_round, alive, messages, lost)


def flood_metrics(result: FloodResult) -> dict[str, float]:
    """``messages``, ``lost``, ``redundant``, ``rounds``, ``coverage`` (module docstring)."""
    informed = result.informed_round != NEVER
    count = int(informed.sum())
    return {
        "messages": float(result.messages),
        "lost": float(result.lost),
        "redundant": float(result.messages - result.lost - (count - 1)),
        "rounds": float(result.informed_round.max()),
        "coverage": float(count / result.alive.sum()),
    }


_TOPOLOGY_PARAMS = {
    "random_regular": ("degree",),
    "kary_tree": ("k",),
    "barabasi_albert": ("m",),
    "erdos_renyi": ("p",),
}


def topology_from_options(options: Mapping[str, Any], rng: np.random.Generator) -> Graph:
    """Build the graph named by ``options["topology"]`` with the options it takes."""
    name = options["topology"]
    params = {key: options[key] for key in _TOPOLOGY_PARAMS.get(name, ())}
    return make_topology(name, int(options["n"]), seed=rng, **params)


def only_topology_params(options: dict[str, Any]) -> dict[str, Any]:
    """*options* without the graph parameters the chosen topology does not take (a ring
    has no degree): what a run records says only what shaped it."""
    unused = {key for keys in _TOPOLOGY_PARAMS.values() for key in keys}
    unused -= set(_TOPOLOGY_PARAMS.get(options.get("topology"), ()))
    return {key: value for key, value in options.items() if key not in unused}


def _run(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    graph = topology_from_options(options, rng)
    if options["fail_links"] > 0:
        graph = fail_links(graph, options["fail_links"], rng)
    source = int(options["source"])
    if source >= graph.n:
        raise ValueError(f"--source {source}: the graph has nodes 0..{graph.n - 1}")
    alive = np.ones(graph.n, dtype=bool)
    others = np.delete(np.arange(graph.n), source)  # the source itself never fails
    dead = min(round(options["fail_nodes"] * graph.n), others.size)  # 1.0: all but the source
    alive[rng.choice(others, size=dead, replace=False)] = False
    result = flood(graph, source, p_flood=options["p_flood"], alive=alive, rng=rng)
    return {**flood_metrics(result), "n": float(graph.n), "edges": float(graph.edges)}


TOPOLOGY_OPTIONS = (
    Option("topology", str, "random_regular", "graph family", choices=tuple(TOPOLOGIES)),
    Option("n", int, 1000, "number of nodes", **SIZE),
    Option("degree", int, 4, "degree (random_regular)", **COUNT),
    Option("k", int, 2, "branching factor (kary_tree)", **COUNT),
    Option("m", int, 2, "edges per new node (barabasi_albert)", **COUNT),
    Option("p", float, 0.01, "edge probability (erdos_renyi)", **PROBABILITY),
)
"""Options shared by protocols that run on a generated topology."""

PROTOCOLS = (
    Protocol(
        "flood",
        "flooding: forward once, on first receipt, to all neighbours but the sender",
        _run,
        (
            *TOPOLOGY_OPTIONS,
            Option(
                "p_flood",
                float,
                1.0,
                "probability that a node forwards on first receipt",
                **PROBABILITY,
            ),
            Option(
                "fail_nodes",
                float,
                0.0,
                "fraction of nodes (not the source) that are dead",
                **PROBABILITY,
            ),
            Option(
                "fail_links",
                float,
                0.0,
                "fraction of links removed before the flood",
                **PROBABILITY,
            ),
            Option("source", int, 0, "node that starts the flood", low=0),
        ),
        resolve=only_topology_params,
    ),
)
