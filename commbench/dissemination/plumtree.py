"""Plumtree (epidemic broadcast trees) beside flooding and push gossip, in rounds.

After Leitão, Pereira and Rodrigues, "Epidemic Broadcast Trees" (SRDS 2007). Every
node starts with all its overlay neighbours as eager peers. On the first copy of a
message (GOSSIP) a node delivers it, pushes it to its eager peers and sends IHAVE to
its lazy peers (all but the sender), and makes the sender eager. A duplicate GOSSIP
makes the sender lazy and is answered by PRUNE, which makes the receiver lazy too,
so after the first broadcast the eager links form a spanning tree. A node that gets
an IHAVE for a message it lacks starts a timer of ``timeout`` rounds; when it fires
the node makes the oldest announcer eager, sends it GRAFT (answered with the
GOSSIP) and restarts the timer while announcers are left.

Time is synchronous rounds: every message takes one round, IHAVEs are sent at once
(not batched). Within a round a node handles PRUNEs, GRAFTs, then GOSSIPs (among
simultaneous first copies a random one is *the* first; the node forwards before it
prunes the rest, as a node that handles them one by one would), then IHAVEs, then
its timer. Failed nodes neither receive nor send; messages to them are counted.
State is one eager flag per directed link (arc); a round costs O(arcs) numpy work,
a broadcast O(arcs x rounds) with rounds ~ tree depth (+ timeout per GRAFT).

Relative message redundancy ``RMR = payload / (reached - 1) - 1`` (0 for a tree,
about degree - 2 for flooding, fanout - 1 for infect-and-die gossip), ``reached``
counting the source; over a sequence of broadcasts, the RMR of the totals. The
``plumtree`` entry reports Plumtree over broadcasts 2.. (after the tree formed and the
nodes failed) as ``plumtree.*`` and flooding from the same sources on the same
overlay as ``flooding.*``.

Examples
--------
>>> from commbench.dissemination.topologies import ring
>>> g, rng = ring(6), np.random.default_rng(0)
>>> first = plumtree_broadcast(g, 0, rng=rng)
>>> round(broadcast_metrics(first)["rmr"], 3), int(first.eager.sum())
(0.4, 10)
>>> broadcast_metrics(plumtree_broadcast(g, 3, first.eager, rng=rng))["rmr"]
0.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from commbench.dissemination.flooding import flood
from commbench.dissemination.protocol import COUNT, PROBABILITY, SIZE, Option, Protocol
from commbench.dissemination.topologies import Graph, fail_nodes, make_topology

__all__ = [
    "PROTOCOLS",
    "Broadcast",
    "arcs",
    "broadcast_metrics",
    "plumtree_broadcast",
    "push_gossip",
    "sequence_metrics",
]

NEVER = -1


@dataclass(frozen=True, eq=False)
class Broadcast:
    """One broadcast: delivery round per node (``NEVER`` if not), message counts, and
    (Plumtree) the eager flag of every arc afterwards, in :func:`arcs` order."""

    delivered_round: np.ndarray
    alive: np.ndarray
    payload: int
    ihave: int = 0
    graft: int = 0
    prune: int = 0
    eager: np.ndarray | None = None


def arcs(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed links in CSR order: ``(src, dst, rev)``, ``rev[a]`` being ``dst -> src``."""
    adjacency = graph.adjacency
    src = np.repeat(np.arange(graph.n, dtype=np.int64), np.diff(adjacency.indptr))
    dst = adjacency.indices.astype(np.int64)
    key = src * graph.n + dst
    order = np.argsort(key, kind="stable")
    rev = order[np.searchsorted(key, dst * graph.n + src, sorter=order)]
    return src, dst, rev


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Mask of the first element of every run of equal values in ``keys``."""
    starts = np.ones(keys.size, dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def _alive(graph: Graph, alive: np.ndarray | None, source: int) -> np.ndarray:
    alive = np.ones(graph.n, dtype=bool) if alive is None else np.asarray(alive, dtype=bool)
    if not alive[source]:
        raise ValueError("the source must be alive")
    return alive


def plumtree_broadcast(
    graph: Graph,
    source: int,
    eager: np.ndarray | None = None,
    *,
    alive: np.ndarray | None = None,
    timeout: int = 6,
    rng: np.random.Generator,
) -> Broadcast:
    """One Plumtree broadcast from ``source``; ``eager`` (per arc, default all True)
    is the state left by the previous broadcast and is not modified."""
    if timeout < 1:
        raise ValueError("timeout must be at least 1 round")
    src, dst, rev = arcs(graph)
    alive = _alive(graph, alive, source)
    eager = np.ones(src.size, dtype=bool) if eager is None else np.array(eager, dtype=bool)
    n, arc_ids = graph.n, np.arange(src.size)
    delivered = np.full(n, NEVER, dtype=np.int64)
    delivered[source] = 0
    timer = np.full(n, NEVER, dtype=np.int64)  # round at which the node's timer fires
    announced = np.full(src.size, NEVER, dtype=np.int64)  # round an IHAVE came in on arc
    out = src == source
    gossip, ihave = out & eager, out & ~eager
    prune = graft = np.zeros(src.size, dtype=bool)
    counts = {"payload": int(gossip.sum()), "ihave": int(ihave.sum()), "graft": 0, "prune": 0}
    for t in range(1, n * (timeout + 2) + 2):  # each GRAFT uses up one IHAVE; both finite
        if not (gossip.any() or ihave.any() or prune.any() or graft.any() or (timer >= 0).any()):
            break
        live = alive[dst]
        g, ih = np.flatnonzero(gossip & live), np.flatnonzero(ihave & live)
        pr, gr = np.flatnonzero(prune & live), np.flatnonzero(graft & live)
        eager[rev[pr]] = False
        eager[rev[gr]] = True
        gossip = np.zeros(src.size, dtype=bool)
        gossip[rev[gr]] = True  # GRAFTs go to announcers, which have the message
        g = g[rng.permutation(g.size)]
        fresh = g[delivered[dst[g]] == NEVER]
        _, at = np.unique(dst[fresh], return_index=True)
        first = fresh[at]
        new = dst[first]
        delivered[new], timer[new] = t, NEVER
        eager[rev[first]] = True
        back = np.full(n, NEVER, dtype=np.int64)
        back[new] = rev[first]
        forward = (back[src] != NEVER) & (arc_ids != back[src])
        gossip |= forward & eager
        ihave = forward & ~eager
        dup = np.setdiff1d(g, first, assume_unique=True)
        eager[rev[dup]] = False
        prune = np.zeros(src.size, dtype=bool)
        prune[rev[dup]] = True
        ih = ih[delivered[dst[ih]] == NEVER]
        announced[ih] = t
        starting = dst[ih][timer[dst[ih]] == NEVER]
        timer[starting] = t + timeout
        graft = np.zeros(src.size, dtype=bool)
        firing = timer == t
        if firing.any():
            pending = np.flatnonzero((announced != NEVER) & firing[dst])
            order = np.lexsort((rng.random(pending.size), announced[pending], dst[pending]))
            pending = pending[order]
            pick = pending[_run_starts(dst[pending])]  # the oldest announcement per node
            announced[pick] = NEVER
            eager[rev[pick]] = True
            graft[rev[pick]] = True
            left = np.zeros(n, dtype=bool)
            left[dst[announced != NEVER]] = True
            timer[firing] = np.where(left[firing], t + timeout, NEVER)
        counts["payload"] += int(gossip.sum())
        counts["ihave"] += int(ihave.sum())
        counts["graft"] += int(graft.sum())
        counts["prune"] += int(prune.sum())
    else:
        raise RuntimeError("Plumtree broadcast did not quiesce")
    return Broadcast(delivered, alive, eager=eager, **counts)


def push_gossip(
    graph: Graph,
    source: int,
    fanout: int,
    *,
    alive: np.ndarray | None = None,
    rng: np.random.Generator,
) -> Broadcast:
    """Infect-and-die push: on its first copy a node sends to ``fanout`` neighbours
    drawn uniformly (without replacement) among all but the one it heard from
    (all its neighbours if it has fewer), then never again. One round per hop."""
    src, dst, rev = arcs(graph)
    alive = _alive(graph, alive, source)
    delivered = np.full(graph.n, NEVER, dtype=np.int64)
    delivered[source] = 0
    back = np.full(graph.n, NEVER, dtype=np.int64)  # arc back to the sender
    frontier = np.array([source])
    payload = 0
    for t in range(1, graph.n + 1):  # a node sends in one round only
        if frontier.size == 0:
            break
        is_new = np.zeros(graph.n, dtype=bool)
        is_new[frontier] = True
        cand = np.flatnonzero(is_new[src] & (np.arange(src.size) != back[src]))
        cand = cand[np.lexsort((rng.random(cand.size), src[cand]))]
        position = np.arange(cand.size)
        rank = position - np.maximum.accumulate(np.where(_run_starts(src[cand]), position, 0))
        sent = cand[rank < fanout]  # the first `fanout` of each sender's shuffled arcs
        sent = sent[rng.permutation(sent.size)]
        payload += sent.size
        fresh = sent[alive[dst[sent]] & (delivered[dst[sent]] == NEVER)]
        _, at = np.unique(dst[fresh], return_index=True)
        frontier = dst[fresh[at]]
        delivered[frontier] = t
        back[frontier] = rev[fresh[at]]
    return Broadcast(delivered, alive, payload)


def broadcast_metrics(result: Broadcast) -> dict[str, float]:
    """``rmr``, ``reliability`` (delivered live nodes / live nodes), ``last_hop``
    (round of the last delivery), and message counts of one broadcast."""
    reached = int((result.delivered_round != NEVER).sum())
    rmr = result.payload / (reached - 1) - 1 if reached > 1 else float("nan")
    return {
        "rmr": float(rmr),
        "reliability": reached / int(result.alive.sum()),
        "last_hop": float(result.delivered_round.max()),
        "payload": float(result.payload),
        "ihave": float(result.ihave),
        "graft": float(result.graft),
        "prune": float(result.prune),
    }


def _overlay(options: Mapping[str, Any], rng: np.random.Generator) -> Graph:
    return make_topology("random_regular", options["n"], seed=rng, degree=options["degree"])


def sequence_metrics(results: Sequence[Broadcast]) -> dict[str, float]:
    """Metrics of several broadcasts: RMR of the totals, ``sum(payload) / sum(reached -
    1) - 1`` (defined even if one broadcast reached nobody), the mean of every other
    :func:`broadcast_metrics` value, and ``reliability_min``."""
    rows = [broadcast_metrics(r) for r in results]
    reached = sum(int((r.delivered_round != NEVER).sum()) - 1 for r in results)
    payload = sum(r.payload for r in results)
    out = {k: float(np.mean([row[k] for row in rows])) for k in rows[0]}
    out["rmr"] = payload / reached - 1 if reached > 0 else float("nan")
    out["reliability_min"] = min(row["reliability"] for row in rows)
    return out


def _live(alive: np.ndarray, options: Mapping[str, Any]) -> np.ndarray:
    """The live nodes, to broadcast from; ValueError naming the option if none is left."""
    live = np.flatnonzero(alive)
    if live.size == 0:
        raise ValueError(f"--fail-nodes {options['fail_nodes']}: no live node to broadcast from")
    return live


def _run_plumtree(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    if options["broadcasts"] < 2:
        raise ValueError("broadcasts must be at least 2: the first one builds the tree")
    graph = _overlay(options, rng)
    timeout = options["timeout"]
    first = plumtree_broadcast(graph, int(rng.integers(graph.n)), timeout=timeout, rng=rng)
    alive = fail_nodes(graph, options["fail_nodes"], rng)  # after the tree formed, unrepaired
    trees, floods = [first], []
    for source in rng.choice(_live(alive, options), size=options["broadcasts"] - 1):
        trees.append(
            plumtree_broadcast(
                graph, int(source), trees[-1].eager, alive=alive, timeout=timeout, rng=rng
            )
        )
        flooded = flood(graph, int(source), alive=alive)
        floods.append(Broadcast(flooded.informed_round, alive, flooded.messages))
    out = {"plumtree.rmr_first": broadcast_metrics(first)["rmr"]}
    out.update({f"plumtree.{k}": v for k, v in sequence_metrics(trees[1:]).items()})
    flooding = sequence_metrics(floods)
    out.update({f"flooding.{k}": flooding[k] for k in _DATA_METRICS})
    return out


_DATA_METRICS = ("rmr", "reliability", "reliability_min", "last_hop", "payload")


def _run_gossip(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    graph = _overlay(options, rng)
    alive = fail_nodes(graph, options["fail_nodes"], rng)
    sources = rng.choice(_live(alive, options), size=options["broadcasts"])
    results = [push_gossip(graph, int(s), options["fanout"], alive=alive, rng=rng) for s in sources]
    metrics = sequence_metrics(results)
    return {k: metrics[k] for k in _DATA_METRICS}


_OVERLAY_OPTIONS = (
    Option("n", int, 1000, "overlay nodes", **SIZE),
    Option("degree", int, 6, "degree of the random regular overlay", **COUNT),
)

PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(
        "plumtree",
        "Plumtree eager/lazy push over a random regular overlay, beside flooding",
        _run_plumtree,
        (
            *_OVERLAY_OPTIONS,
            Option(
                "broadcasts",
                int,
                10,
                "broadcasts from random live sources (first builds the tree)",
                low=2,
            ),
            Option(
                "fail_nodes",
                float,
                0.0,
                "fraction of nodes failed after the first broadcast",
                **PROBABILITY,
            ),
            Option("timeout", int, 6, "rounds between an IHAVE and the GRAFT it triggers", **COUNT),
        ),
    ),
    Protocol(
        "gossip",
        "push gossip, infect-and-die, over a random regular overlay",
        _run_gossip,
        (
            *_OVERLAY_OPTIONS,
            Option("fanout", int, 3, "neighbours each node pushes to on its first copy", **COUNT),
            Option("broadcasts", int, 10, "broadcasts from random live sources", **COUNT),
            Option("fail_nodes", float, 0.0, "fraction of failed nodes", **PROBABILITY),
        ),
    ),
)
