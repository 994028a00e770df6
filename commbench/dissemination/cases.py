"""Which dissemination runs a benchmark session makes: protocol x options x n.

One list for the benchmarks and the report; quick keeps the whole family well under
a minute on two cores, full adds the large n and more seeded runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from commbench.profiles import PROFILES

FLOOD_TOPOLOGIES: dict[str, dict[str, Any]] = {
    "random_regular": {"degree": 6},
    "erdos_renyi": {"p": None},  # p set from n for a mean degree of 6
    "barabasi_albert": {"m": 3},
    "kary_tree": {"k": 2},
    "grid": {},
    "ring": {},
}
COMPLETE_SIZES = (100, 300, 1000)
"""Floods of the complete graph (the lecture's worst case, (n − 1)² messages); small n,
as it has n(n − 1)/2 edges."""
FAILURE_RATES = (0.0, 0.1, 0.3, 0.5)
GROUP_SIZES = (10, 100, 500)
"""Members of the multicast group on the 1000-node overlay."""


@dataclass(frozen=True)
class SimCase:
    """One benchmark: a protocol, its options, how many seeded runs for the metrics."""

    protocol: str
    options: dict[str, Any]
    runs: int
    label: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"{self.protocol}-{self.label}" if self.label else self.protocol


def sim_cases(profile: str) -> list[SimCase]:
    """Every dissemination benchmark of *profile*."""
    knobs = PROFILES[profile]
    runs = knobs.dissemination_runs
    out: list[SimCase] = []
    for n in knobs.dissemination_sizes:
        for topology, params in FLOOD_TOPOLOGIES.items():
            if topology == "ring" and n > 10_000:
                continue  # n rounds of one message each: nothing to learn past that
            options = {"topology": topology, "n": n, **params}
            if topology == "erdos_renyi":
                options["p"] = 6.0 / (n - 1)
            out.append(SimCase("flood", options, runs, f"{topology}-n{n}", ("scaling",)))
        for mode in ("push", "pull", "push-pull"):
            out.append(SimCase("anti-entropy", {"n": n, "mode": mode}, runs, f"{mode}-n{n}"))
    for n in COMPLETE_SIZES:
        options = {"topology": "complete", "n": n}
        out.append(SimCase("flood", options, runs, f"complete-n{n}", ("scaling",)))
    # the scale targets: push-pull to full spread on 10^6 nodes (< 10 s), and a flood of a
    # 10^5-node graph with 10^6 edges (< 5 s); the timed rounds are one run each
    scale = ("scale",)
    out.append(
        SimCase("anti-entropy", {"n": 10**6, "mode": "push-pull"}, 3, "push-pull-n1e6", scale)
    )
    big = {"topology": "random_regular", "n": 10**5, "degree": 20}
    out.append(SimCase("flood", big, 3, "random_regular-d20-n1e5", scale))
    for k in (1, 2, 3, 4, 5):
        for variant in ("feedback-counter", "blind-coin"):
            opts = {"n": 1000, "k": float(k), "variant": variant, "mode": "push"}
            out.append(SimCase("rumor", opts, max(runs, 20), f"{variant}-k{k}", ("residue",)))
    out.append(SimCase("tree", {"routers": 1000, "members": 64}, runs, "r1000-m64"))
    for m in GROUP_SIZES:  # messages that reach non-members: flooding against trees
        opts = {"topology": "random_regular", "n": 1000, "degree": 6, "members": m}
        out.append(SimCase("group", opts, runs, f"n1000-m{m}", ("group",)))
    for rate in FAILURE_RATES:
        tag = ("faults",)
        out.append(
            SimCase(
                "flood",
                {"topology": "random_regular", "n": 1000, "degree": 6, "fail_nodes": rate},
                runs,
                f"faults-{rate}",
                tag,
            )
        )
        out.append(
            SimCase(
                "plumtree",
                {"n": 1000, "degree": 6, "fail_nodes": rate},
                runs,
                f"faults-{rate}",
                tag,
            )
        )
        out.append(
            SimCase(
                "gossip",
                {"n": 1000, "degree": 6, "fanout": 3, "fail_nodes": rate},
                runs,
                f"faults-{rate}",
                tag,
            )
        )
        out.append(
            SimCase(
                "anti-entropy",
                {"n": 1000, "mode": "push-pull", "fail_nodes": rate},
                runs,
                f"faults-{rate}",
                tag,
            )
        )
    for r in (0, 1, 3):
        for tau in (5, 10, 40):
            opts = {"n": 1000, "r": r, "tau": tau}
            out.append(SimCase("death-certificates", opts, max(runs, 10), f"r{r}-tau{tau}"))
    return out
