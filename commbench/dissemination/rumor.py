"""Rumor mongering (Demers et al. 1987, section 1.4) on n fully connected sites.

One site starts infective (it has a "hot rumor"); the others are susceptible.
Synchronous cycles; contacts are resolved against the states at the start of the
cycle, so a site infected in cycle t spreads from cycle t + 1.

* ``mode="push"``: each infective site sends the update to one uniformly random other
  site. ``mode="pull"``: every site asks one uniformly random other site, and an
  infective partner replies with the update (one reply per asker).
* A contact is *unnecessary* if the receiving site already knew the update.
  ``response="feedback"``: only unnecessary contacts count against the sender;
  ``"blind"``: every contact counts.
* ``removal="counter"``: the sender loses interest (becomes removed) when its count
  reaches k; ``"coin"``: after each counted contact it loses interest with probability 1/k.
* ``counting`` (feedback counters only): ``"consecutive"`` restarts the count at 0 after
  a necessary contact, so a site stops after k unnecessary contacts in a row;
  ``"total"`` never restarts. ``"cycles"`` counts cycles, not contacts: a cycle in
  which any of the site's contacts was necessary restarts the count, a cycle with only
  unnecessary ones adds 1 (with blind counters: a cycle with any contact adds 1). With
  push a site makes one contact a cycle, so ``"cycles"`` is ``"consecutive"``; with pull
  an infective site answers every asker, and only ``"cycles"`` reproduces Demers'
  Table 3 (s = 0.031, m = 2.7 at k = 1; per contact gives 0.071 and 2.2). Demers'
  Table 1 is reproduced by ``"consecutive"``; with ``"total"`` the residue follows
  :func:`residue_equation` (s = 0.059 at k = 2, not 0.037).
* ``collisions`` (push): when c infective sites push to the same susceptible site in
  one cycle, ``"simultaneous"`` tells all c senders the site lacked the update (it
  did, at the start of the cycle); ``"first"`` tells one of them (uniformly chosen)
  and counts the other c - 1 contacts as unnecessary, as a sequential exchange would.
  Every push is a message either way. Table 1 matches ``"simultaneous"``, the residue
  equation (a continuous-time limit without collisions) matches ``"first"``.

Metrics (:func:`rumor_metrics`), in Demers' notation:

* ``residue`` s: fraction of sites that never got the update once no site is
  infective (fraction).
* ``traffic`` m: update-carrying messages (pushes, or replies by infective sites) per
  site (messages per site).
* ``t_ave``: mean cycle at which a site got the update, over the sites that got it,
  the initial site counting as cycle 0 (cycles). The true mean delay: the headline.
* ``t_ave_tabulated``: the statistic Demers' Tables 1 and 2 print as t_ave (cycles).
  Every update-carrying message (a push, or a pull reply) that reaches a site
  susceptible at the start of its cycle adds that cycle number; the sum is divided by
  the sites reached, the initial site (cycle 0) included. A site hit by c pushes in
  its infection cycle counts c times, so with push it exceeds ``t_ave`` (12.1
  against 10.0 at k = 2 on 1000 sites); with pull a site gets one reply per cycle and
  the two are equal. Only this reading reproduces the printed push columns
  (CSL-89-1 p. 9 defines t_ave as the delay averaged over all sites).
* ``t_last``: cycle in which the last site got the update (cycles).
* ``cycles``: cycles until no site is infective (cycles).

Examples
--------
>>> result = rumor(7, k=2, rng=np.random.default_rng(0))
>>> sorted(rumor_metrics(result))
['cycles', 'residue', 't_ave', 't_ave_tabulated', 't_last', 'traffic']
>>> round(residue_equation(1), 4)  # s = exp(-2 (1 - s))
0.2032
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import lambertw

from commbench.dissemination.protocol import SIZE, Option, Protocol

__all__ = ["PROTOCOLS", "RumorResult", "residue_equation", "rumor", "rumor_metrics"]

NEVER = -1
"""``informed_cycle`` of a site that never got the update."""

_SUSCEPTIBLE, _INFECTIVE, _REMOVED = 0, 1, 2

COUNTINGS = ("consecutive", "total", "cycles")
"""What a counter counts (module docstring)."""


@dataclass(frozen=True)
class RumorResult:
    """One run: the cycle each site got the update (``NEVER``), messages, cycles run.

    ``tabulated_cycle_sum``: over the messages that reached a site susceptible at the
    start of their cycle, the sum of their cycle numbers (``t_ave_tabulated``'s numerator).
    """

    informed_cycle: np.ndarray
    messages: int
    cycles: int
    tabulated_cycle_sum: int


def residue_equation(k: float) -> float:
    """Residue s solving ``s = exp(-(k + 1) (1 - s))`` (push, feedback, coin; Demers).

    The root in (0, 1); the other root, s = 1, is the epidemic that never starts.
    """
    if k <= 0:
        raise ValueError("k must be positive")
    # With c = k + 1 and u = -c s: u e^u = -c e^-c, whose roots are u = -c (s = 1, on the
    # branch W_-1) and u = W_0(-c e^-c): closed form, exact to rounding even where s is
    # far below any root finder's absolute tolerance (s ~ e^-c for large k).
    c = k + 1.0
    return float(-lambertw(-c * math.exp(-c)).real / c)


def _others(callers: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    partners = rng.integers(0, n - 1, size=callers.size)
    return partners + (partners >= callers)  # uniform over the other n - 1 sites


def _first_per_target(targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mask choosing one uniformly random entry among equal values of ``targets``."""
    order = np.lexsort((rng.random(targets.size), targets))
    first = np.ones(targets.size, dtype=bool)
    first[1:] = targets[order][1:] != targets[order][:-1]
    chosen = np.zeros(targets.size, dtype=bool)
    chosen[order[first]] = True
    return chosen


def rumor(
    n: int,
    *,
    k: float,
    rng: np.random.Generator,
    mode: str = "push",
    response: str = "feedback",
    removal: str = "counter",
    counting: str = "consecutive",
    collisions: str = "simultaneous",
    max_cycles: int = 100_000,
) -> RumorResult:
    """Run one rumor-mongering epidemic from site 0 (rules in the module docstring)."""
    if mode not in ("push", "pull") or response not in ("feedback", "blind"):
        raise ValueError("mode must be push or pull, response feedback or blind")
    if removal not in ("counter", "coin") or counting not in COUNTINGS:
        raise ValueError("removal must be counter or coin, counting consecutive, total or cycles")
    if collisions not in ("simultaneous", "first"):
        raise ValueError("collisions must be simultaneous or first")
    state = np.zeros(n, dtype=np.int8)
    state[0] = _INFECTIVE
    count = np.zeros(n, dtype=np.int64)
    informed_cycle = np.full(n, NEVER, dtype=np.int64)
    informed_cycle[0] = 0
    everyone = np.arange(n)
    messages = cycle = tabulated = 0
    while cycle < max_cycles and np.any(state == _INFECTIVE):
        cycle += 1
        if mode == "push":
            senders = np.flatnonzero(state == _INFECTIVE)
            receivers = _others(senders, n, rng)
            necessary = state[receivers] == _SUSCEPTIBLE
            new = receivers[necessary]
            tabulated += cycle * new.size  # every push to a susceptible site, collisions too
            if collisions == "first":
                necessary[necessary] = _first_per_target(new, rng)
        else:
            askers = everyone
            partners = _others(askers, n, rng)
            replied = state[partners] == _INFECTIVE
            senders, receivers = partners[replied], askers[replied]
            necessary = state[receivers] == _SUSCEPTIBLE
            new = receivers[necessary]
            tabulated += cycle * new.size  # one reply per asker: each new site once
        messages += senders.size
        counted = ~necessary if response == "feedback" else np.ones(senders.size, dtype=bool)
        lose = np.zeros(n, dtype=bool)  # pull: a site can send several replies a cycle
        if removal == "counter" and counting == "cycles":
            useful = np.zeros(n, dtype=bool)  # a necessary contact this cycle: restart
            if response == "feedback":
                useful[senders[necessary]] = True
            charged = np.zeros(n, dtype=bool)  # only counted contacts this cycle: one more
            charged[senders[counted]] = True
            charged &= ~useful
            count[useful] = 0
            count[charged] += 1
            lose[senders] = count[senders] >= k
        elif removal == "counter":
            if response == "feedback" and counting == "consecutive":
                count[senders[necessary]] = 0  # then this cycle's unnecessary ones count
            np.add.at(count, senders, counted)
            lose[senders] = count[senders] >= k
        else:
            lose[senders[counted & (rng.random(senders.size) < 1.0 / k)]] = True
        state[lose] = _REMOVED
        state[new] = _INFECTIVE
        informed_cycle[new] = cycle
    return RumorResult(informed_cycle, messages, cycle, tabulated)


def rumor_metrics(result: RumorResult) -> dict[str, float]:
    """``residue``, ``traffic``, ``t_ave``, ``t_ave_tabulated``, ``t_last``, ``cycles``
    (module docstring)."""
    got = result.informed_cycle[result.informed_cycle != NEVER]
    n = result.informed_cycle.size
    return {
        "residue": float(1.0 - got.size / n),
        "traffic": float(result.messages / n),
        "t_ave": float(got.mean()),
        "t_ave_tabulated": float(result.tabulated_cycle_sum / got.size),
        "t_last": float(got.max()),
        "cycles": float(result.cycles),
    }


VARIANTS = tuple(f"{r}-{m}" for r in ("feedback", "blind") for m in ("counter", "coin"))


def _resolve(options: dict[str, Any]) -> dict[str, Any]:
    """``variant="blind-coin"`` is ``response="blind", removal="coin"`` in one word."""
    if options.get("variant"):
        options["response"], options["removal"] = options["variant"].split("-")
    else:
        options["variant"] = f"{options['response']}-{options['removal']}"
    return options


def _run(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    keys = ("mode", "response", "removal", "counting", "collisions")
    result = rumor(
        int(options["n"]), k=options["k"], rng=rng, **{key: options[key] for key in keys}
    )
    return rumor_metrics(result)


PROTOCOLS = (
    Protocol(
        "rumor",
        "rumor mongering (Demers et al. 1987) on the complete graph, synchronous cycles",
        _run,
        (
            Option("n", int, 1000, "number of sites", **SIZE),
            Option(
                "k",
                float,
                2.0,
                "counter threshold, or 1/k chance of losing interest",
                low=1,
                high=1000,
            ),
            Option("mode", str, "push", "who initiates the exchange", choices=("push", "pull")),
            Option("response", str, "feedback", "which contacts count", ("feedback", "blind")),
            Option("removal", str, "counter", "how interest is lost", ("counter", "coin")),
            Option("counting", str, "consecutive", "feedback counter", COUNTINGS),
            Option("collisions", str, "simultaneous", "push", ("simultaneous", "first")),
            Option("variant", str, None, "response-removal in one word (overrides)", VARIANTS),
        ),
        resolve=_resolve,
    ),
)
