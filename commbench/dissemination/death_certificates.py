"""Deleting an item by death certificates, with dormant copies (Demers et al. 1987, 1.5).

Demers, Greene, Hauser, Irish, Larson, Shenker, Sturgis, Swinehart and Terry,
"Epidemic Algorithms for Replicated Database Maintenance" (PODC 1987). Every site
holds one item. In cycle 0 one site deletes it, i.e. replaces it by a death
certificate (newer timestamp than the item), which then spreads by push-pull
anti-entropy on the complete graph: each cycle every up site contacts one uniform
other site; if that site is up, both end with the newer of what either holds (a
certificate beats the item; the item beats nothing). Contacts are resolved against
the state at the start of the cycle, so sites are synchronous.

A site discards a certificate ``tau`` cycles after its *activation* time (which the
certificate carries from site to site); ``r`` retention sites, chosen at random among
the up sites at the deletion, keep it *dormant* instead. A dormant certificate does
not spread; when its site meets a site holding the item, it is reactivated with
activation = now and spreads again, killing the item. A fraction ``fail_nodes`` of
the sites is down in cycles 1 .. ``down_cycles`` and comes back holding the item it
had before the deletion. With nothing left to stop it (``r = 0`` and ``tau`` shorter
than the downtime) the item spreads back to every site: it *resurrects*.

Site states: :data:`NOTHING`, :data:`ITEM` (an obsolete copy), :data:`CERT` (active
certificate) and :data:`DORMANT`. Cost O(n) numpy work per cycle.

Metrics (:func:`death_certificate_metrics`), per run:

* ``resurrected``: 1 if more than half of all sites hold the item at the end, else 0
  (its mean over runs is the resurrection frequency).
* ``item_final``: fraction of sites holding the item at the end.
* ``item_peak``: largest fraction of sites holding the item after the failed sites are
  back (how far the obsolete copy spread before a certificate caught it).
* ``comebacks``: sites that had dropped the item (or its certificate) and took the item
  back from another site (sites; 0 means the deleted item never spread again).
* ``reactivations``: dormant certificates woken up (events).
* ``contacts``: contacts made, one per up site per cycle (messages).
* ``transfers``: item or certificate copies shipped to a site that lacked them (messages).
* ``cert_storage``: mean fraction of sites storing a certificate, active or dormant,
  over the cycles (the storage that ``tau`` bounds).

Examples
--------
>>> down = np.zeros(200, dtype=bool)
>>> down[:10] = True
>>> rng = np.random.default_rng(0)
>>> m = death_certificate_metrics(
...     death_certificates(200, tau=5, r=0, down=down, down_cycles=20, cycles=60, rng=rng)
... )
>>> m["resurrected"], m["item_final"]
(1.0, 1.0)
>>> rng = np.random.default_rng(0)
>>> m = death_certificate_metrics(
...     death_certificates(200, tau=5, r=4, down=down, down_cycles=20, cycles=60, rng=rng)
... )
>>> m["resurrected"], m["item_final"], m["reactivations"] > 0
(0.0, 0.0, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from commbench.dissemination.anti_entropy import random_partners
from commbench.dissemination.protocol import COUNT, PROBABILITY, SIZE, Option, Protocol

__all__ = [
    "CERT",
    "DORMANT",
    "ITEM",
    "NOTHING",
    "PROTOCOLS",
    "DeathCertificateResult",
    "death_certificate_metrics",
    "death_certificates",
]

NOTHING, ITEM, CERT, DORMANT = 0, 1, 2, 3

# What a site passes on in a contact (a dormant certificate does not spread) and how
# much it already holds (a dormant site already has the certificate), by state.
_SENDS = np.array([0, 1, 2, 0])
_HOLDS = np.array([0, 1, 2, 2])


@dataclass(frozen=True, eq=False)
class DeathCertificateResult:
    """One run: per-cycle fractions (index 0 = just after the deletion) and counts."""

    down_cycles: int
    item_fraction: np.ndarray
    cert_fraction: np.ndarray
    contacts: int
    transfers: int
    reactivations: int
    comebacks: int


def death_certificates(
    n: int,
    *,
    tau: int,
    r: int,
    down: np.ndarray,
    down_cycles: int,
    cycles: int,
    rng: np.random.Generator,
) -> DeathCertificateResult:
    """Delete the item at a random up site in cycle 0 and run ``cycles`` cycles.

    ``down`` marks the sites that are down in cycles 1 .. ``down_cycles`` (at least one
    site must be up); ``tau`` is the retention time in cycles, ``r`` the number of
    retention sites (at most the number of up sites).
    """
    down = np.asarray(down, dtype=bool)
    up_at_deletion = np.flatnonzero(~down)
    if up_at_deletion.size == 0 or not 0 <= r <= up_at_deletion.size or tau < 1:
        raise ValueError("need an up site, 0 <= r <= up sites and tau >= 1")
    state = np.full(n, ITEM, dtype=np.int64)
    activation = np.zeros(n, dtype=np.int64)  # of the certificate a site holds
    state[rng.choice(up_at_deletion)] = CERT
    retention = np.zeros(n, dtype=bool)
    retention[rng.choice(up_at_deletion, size=r, replace=False)] = True
    item_fraction, cert_fraction = [float(np.mean(state == ITEM))], [1 / n]
    contacts = transfers = reactivations = comebacks = 0
    for cycle in range(1, cycles + 1):
        up = ~down if cycle <= down_cycles else np.ones(n, dtype=bool)
        callers = np.flatnonzero(up)
        partners = random_partners(callers, n, rng)
        contacts += callers.size
        met = up[partners]
        a, b = callers[met], partners[met]
        # wake dormant certificates that meet the item, before anything is exchanged
        for x, y in ((a, b), (b, a)):
            woken = x[(state[x] == DORMANT) & (state[y] == ITEM)]
            reactivations += np.unique(woken).size
            state[woken], activation[woken] = CERT, cycle
        senders, receivers = np.r_[a, b], np.r_[b, a]
        sends = _SENDS[state[senders]]
        carries = sends == CERT
        # an active copy with an older activation is refreshed (a reactivated certificate
        # must outlive the old copies it meets)
        refresh = (
            carries & (state[receivers] == CERT) & (activation[senders] > activation[receivers])
        )
        useful = (sends > _HOLDS[state[receivers]]) | refresh
        transfers += int(useful.sum())
        best = np.zeros(n, dtype=np.int64)
        np.maximum.at(best, receivers[useful], sends[useful])
        newest = np.zeros(n, dtype=np.int64)
        carries &= useful
        np.maximum.at(newest, receivers[carries], activation[senders[carries]])
        certified = best == CERT
        activation[certified] = np.where(
            state[certified] == CERT,
            np.maximum(activation[certified], newest[certified]),
            newest[certified],
        )
        back = (best == ITEM) & (state == NOTHING)  # NOTHING is only left by a discarded copy
        comebacks += int(back.sum())
        state[certified] = CERT
        state[back] = ITEM
        expired = (state == CERT) & (cycle - activation >= tau)
        state[expired] = np.where(retention[expired], DORMANT, NOTHING)
        item_fraction.append(float(np.mean(state == ITEM)))
        cert_fraction.append(float(np.mean((state == CERT) | (state == DORMANT))))
    return DeathCertificateResult(
        down_cycles,
        np.array(item_fraction),
        np.array(cert_fraction),
        contacts,
        transfers,
        reactivations,
        comebacks,
    )


def death_certificate_metrics(result: DeathCertificateResult) -> dict[str, float]:
    """The per-run metrics of the module docstring."""
    final = float(result.item_fraction[-1])
    return {
        "resurrected": float(final > 0.5),
        "item_final": final,
        "item_peak": float(np.max(result.item_fraction[result.down_cycles + 1 :], initial=0.0)),
        "comebacks": float(result.comebacks),
        "reactivations": float(result.reactivations),
        "contacts": float(result.contacts),
        "transfers": float(result.transfers),
        "cert_storage": float(np.mean(result.cert_fraction[1:])),
    }


def _run(options: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    n = int(options["n"])
    down = np.zeros(n, dtype=bool)
    down[rng.choice(n, size=round(options["fail_nodes"] * n), replace=False)] = True
    result = death_certificates(
        n,
        tau=int(options["tau"]),
        r=int(options["r"]),
        down=down,
        down_cycles=int(options["down_cycles"]),
        cycles=int(options["cycles"]),
        rng=rng,
    )
    return death_certificate_metrics(result)


PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(
        "death-certificates",
        "deletion by death certificates with dormant copies, push-pull anti-entropy",
        _run,
        (
            Option("n", int, 1000, "number of sites", **SIZE),
            Option("tau", int, 10, "cycles a site keeps an active certificate", **COUNT),
            Option("r", int, 3, "retention sites that keep a dormant certificate", low=0),
            Option(
                "fail_nodes",
                float,
                0.01,
                "fraction of sites down while the deletion spreads",
                **PROBABILITY,
            ),
            Option("down_cycles", int, 30, "cycles the failed sites stay down", low=0),
            Option("cycles", int, 80, "cycles simulated after the deletion", **COUNT),
        ),
    ),
)
