"""Anti-entropy: every live node contacts one random partner per round (push, pull or both).

Synchronous rounds. In round t every live node picks a partner uniformly among the
other n - 1 nodes (the complete graph, sampled implicitly: no adjacency matrix), or
among its neighbours when a :class:`~commbench.dissemination.topologies.Graph` is
given. Each contact is resolved against the state at the start of the round, so a
node informed in round t passes the update on from round t + 1.

* ``push``: an informed caller sends the update to its partner.
* ``pull``: the caller asks; an informed, live partner replies with the update.
* ``push-pull``: both exchanges in the same contact.

Failed nodes make no contacts, never receive and never reply; live nodes still pick
them as partners (they do not know who failed).

Metrics (:func:`anti_entropy_metrics`), per run:

* ``rounds``: rounds until every live node has the update (rounds).
* ``contacts``: contacts initiated, one per live node per round (messages).
* ``transfers``: messages that carry the update: pushes by informed callers
  (including those to dead partners) and pull replies by informed partners (messages).
* ``redundant``: transfers delivered to a live node that do not inform it (it already
  had the update, or another transfer informed it in the same round) (messages).
* ``coverage``: informed live nodes / live nodes (fraction; below 1 only if
  ``max_rounds`` was reached).

References: push needs log2(n) + ln(n) + O(1) rounds (Pittel 1987); push-pull
log3(n) + O(ln ln n) (Karp, Schindelhauer, Shenker and Vöcking 2000).

Examples
--------
>>> from commbench.dissemination.topologies import ring
>>> result = anti_entropy(7, mode="push-pull", rng=np.random.default_rng(0), graph=ring(7))
>>> anti_entropy_metrics(result)
{'rounds': 3.0, 'contacts': 21.0, 'transfers': 16.0, 'redundant': 10.0, 'coverage': 1.0}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from commbench.dissemination.protocol import PROBABILITY, SIZE, Option, Protocol
from commbench.dissemination.topologies import Graph

__all__ = [
    "MODES",
    "PROTOCOLS",
    "AntiEntropyResult",
    "anti_entropy",
    "anti_entropy_metrics",
    "random_partners",
]

MODES = ("push", "pull", "push-pull")
NEVER = -1
"""``informed_round`` of a node that never got the update."""


@dataclass(frozen=True)
class AntiEntropyResult:
    """Outcome of one anti-entropy run.

    ``informed_round`` is the round each node got the update (0 for the source,
    ``NEVER``); ``rounds`` the rounds executed; message counts as in the module docstring,
    ``lost`` being the pushes to dead partners.
    """

    informed_round: np.ndarray
    alive: np.ndarray
    rounds: int
    contacts: int
    transfers: int
    lost: int


def random_partners(
    callers: np.ndarray, n: int, rng: np.random.Generator, graph: Graph | None = None
) -> np.ndarray:
    """One uniform partner per caller: any other node, or a neighbour in ``graph``.

    Callers without neighbours get -1.
    """
    if graph is None:
        partners = rng.integers(0, n - 1, size=callers.size)
        return partners + (partners >= callers)  # skip self: uniform over the other n - 1
    indptr = graph.adjacency.indptr
    degree = indptr[callers + 1] - indptr[callers]
    rank = (rng.random(callers.size) * degree).astype(np.int64)
    partners = graph.adjacency.indices[np.minimum(indptr[callers] + rank, indptr[-1] - 1)]
    return np.where(degree > 0, partners, -1).astype(np.int64)


def anti_entropy(
    n: int,
    *,
    mode: str = "push-pull",
    rng: np.random.Generator,
    graph: Graph | None = None,
    alive: np.ndarray | None = None,
    source: int = 0,
    max_rounds: int = 10_000,
) -> AntiEntropyResult:
    """Spread one update from ``source`` until every live node has it (or ``max_rounds``).

    Parameters
    ----------
    n : int
        Number of nodes (``graph.n`` when a graph is given).
    mode : {"push", "pull", "push-pull"}
    rng : numpy.random.Generator
    graph : Graph, optional
        Restrict partners to neighbours; default the complete graph (implicit).
    alive : ndarray of bool, optional
        Live nodes (default all); the source must be alive.
    max_rounds : int
        Upper bound on rounds (coverage < 1 tells that it was reached).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")
    if graph is not None and graph.n != n:
        raise ValueError("n must equal graph.n")
    alive = np.ones(n, dtype=bool) if alive is None else np.asarray(alive, dtype=bool)
    if not alive[source]:
        raise ValueError("the source must be alive")
    informed = np.zeros(n, dtype=bool)
    informed[source] = True
    informed_round = np.full(n, NEVER, dtype=np.int64)
    informed_round[source] = 0
    callers = np.flatnonzero(alive)
    remaining = int(alive.sum()) - 1
    push, pull = mode in ("push", "push-pull"), mode in ("pull", "push-pull")
    contacts = transfers = lost = rounds = 0
    while remaining > 0 and rounds < max_rounds:
        rounds += 1
        if pull:
            active = callers
        else:  # an uninformed caller's push carries nothing: count it, do not sample it
            active = callers[informed[callers]]
            contacts += callers.size - active.size
        partners = random_partners(active, n, rng, graph)
        valid = partners >= 0
        contacts += int(valid.sum())
        caller_informed = informed[active]
        partner_live = valid & alive[np.maximum(partners, 0)]
        partner_informed = partner_live & informed[np.maximum(partners, 0)]
        new = []
        if push:
            sent = valid & caller_informed
            transfers += int(sent.sum())
            lost += int((sent & ~partner_live).sum())
            new.append(partners[sent & partner_live & ~partner_informed])
        if pull:
            replied = partner_informed
            transfers += int(replied.sum())
            new.append(active[replied & ~caller_informed])
        fresh = np.concatenate(new)
        fresh = fresh[~informed[fresh]]  # duplicates within the round set the same flag
        informed[fresh] = True
        newly = np.flatnonzero(informed & (informed_round == NEVER))
        informed_round[newly] = rounds
        remaining -= newly.size
    return AntiEntropyResult(informed_round, alive, rounds, contacts, transfers, lost)


def anti_entropy_metrics(result: AntiEntropyResult) -> dict[str, float]:
    """``rounds``, ``contacts``, ``transfers``, ``redundant``, ``coverage`` (module docstring)."""
    informed = result.informed_round != NEVER
    count = int(informed.sum())
    return {
        "rounds": float(result.rounds),
        "contacts": float(result.contacts),
        "transfers": float(result.transfers),
        "redundant": float(result.transfers - result.lost - (count - 1)),
        "coverage": float(count / result.alive.sum()),
    }


def _run(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    n = int(options["n"])
    alive = np.ones(n, dtype=bool)
    others = np.arange(1, n)  # the source, node 0, never fails
    dead = min(round(options["fail_nodes"] * n), others.size)  # 1.0: all but the source
    alive[rng.choice(others, size=dead, replace=False)] = False
    result = anti_entropy(n, mode=options["mode"], rng=rng, alive=alive)
    return anti_entropy_metrics(result)


PROTOCOLS = (
    Protocol(
        "anti-entropy",
        "anti-entropy on the complete graph: each live node contacts a random partner per round",
        _run,
        (
            Option("n", int, 10_000, "number of nodes", **SIZE),
            Option("mode", str, "push-pull", "exchange per contact", choices=MODES),
            Option(
                "fail_nodes",
                float,
                0.0,
                "fraction of nodes (not the source) that are dead",
                **PROBABILITY,
            ),
        ),
    ),
)
