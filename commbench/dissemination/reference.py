"""Plain networkx versions of flooding and push anti-entropy: one Python step per message.

Written for reading, not speed: the tests check the vectorised
:mod:`~commbench.dissemination.flooding` and
:mod:`~commbench.dissemination.anti_entropy` against them (flooding exactly, push
anti-entropy in distribution), and the benchmarks time them as the baseline. They
follow the same rules and return the same metric names and units (messages, rounds,
fraction); see those modules for the definitions.

Examples
--------
>>> import networkx as nx
>>> reference_flood(nx.cycle_graph(7), 0)
{'messages': 8.0, 'lost': 0.0, 'redundant': 2.0, 'rounds': 3.0, 'coverage': 1.0}
"""

from __future__ import annotations

from collections.abc import Collection

import networkx as nx
import numpy as np

__all__ = ["reference_flood", "reference_push"]


def reference_flood(
    g: nx.Graph,
    source: int = 0,
    *,
    p_flood: float = 1.0,
    dead: Collection[int] = (),
    rng: np.random.Generator | None = None,
) -> dict[str, float]:
    """Flood ``g`` from ``source``; same rule and metrics as ``flooding.flood``.

    With ``p_flood < 1`` each newly informed node, in ascending order, draws one
    ``rng.random()``, so the same generator state gives the same choices as the
    vectorised version.
    """
    informed_round = {source: 0}
    parent = {source: None}
    frontier = [source]
    messages = lost = redundant = rounds = 0
    t = 0
    while frontier:
        t += 1
        arrivals = []  # (receiver, sender), senders in ascending order
        for sender in sorted(frontier):
            for receiver in sorted(g.neighbors(sender)):
                if receiver == parent[sender]:
                    continue  # never back to whom it heard it from
                messages += 1
                if receiver in dead:
                    lost += 1
                else:
                    arrivals.append((receiver, sender))
        newly = []
        for receiver, sender in arrivals:
            if receiver in informed_round:
                redundant += 1  # known before, or informed earlier this round
            else:
                informed_round[receiver] = t
                parent[receiver] = sender
                newly.append(receiver)
                rounds = t
        frontier = []
        for node in sorted(newly):
            if p_flood >= 1.0 or rng.random() < p_flood:
                frontier.append(node)
    live = g.number_of_nodes() - len(set(dead))
    return {
        "messages": float(messages),
        "lost": float(lost),
        "redundant": float(redundant),
        "rounds": float(rounds),
        "coverage": len(informed_round) / live,
    }


def reference_push(
    g: nx.Graph, source: int = 0, *, rng: np.random.Generator, max_rounds: int = 10_000
) -> dict[str, float]:
    """Push anti-entropy on ``g``: each round every informed node pushes to a random neighbour.

    Synchronous: a node informed in round t pushes from round t + 1. Returns
    ``rounds`` until all nodes are informed, ``contacts`` (every node contacts one
    neighbour per round) and ``transfers`` (pushes by informed nodes).
    """
    neighbours = {node: list(g.neighbors(node)) for node in g.nodes}
    informed = {source}
    rounds = transfers = 0
    while len(informed) < g.number_of_nodes() and rounds < max_rounds:
        rounds += 1
        received = set()
        for node in informed:
            partner = neighbours[node][int(rng.integers(len(neighbours[node])))]
            transfers += 1
            received.add(partner)
        informed |= received
    return {
        "rounds": float(rounds),
        "contacts": float(rounds * g.number_of_nodes()),
        "transfers": float(transfers),
    }
