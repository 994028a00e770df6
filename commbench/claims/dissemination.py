"""The dissemination claims: flooding's message counts, rumor spreading's residue,
death certificates, multicast away from non-members, the three tree metrics (rows of
the ``dissemination`` family)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from commbench.claims.base import (
    FAILS,
    HOLDS,
    NOT_MEASURED,
    ONLY_WHEN,
    Row,
    Verdict,
    count,
    missing,
    num,
    pct,
    rows_of,
    split,
)


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of log y against log x (the growth exponent); None below 2 x."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


TREES = ("kary_tree", "random_tree")


def flooding_counts(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "flood")
        if not r.params.get("fail_nodes")
        and not r.params.get("fail_links")
        and num(r.metrics.get("messages")) is not None
        and num(r.metrics.get("n")) is not None
    ]
    tree = sorted(
        (r.metrics["n"], r.metrics["messages"]) for r in rows if r.params.get("topology") in TREES
    )
    full = sorted(
        (r.metrics["n"], r.metrics["messages"])
        for r in rows
        if r.params.get("topology") == "complete"
    )
    if not tree and not full:
        return missing("floods of a tree or a complete graph (dissemination suite)")

    def describe(points: list, formula: str) -> str:
        slope = _slope([p[0] for p in points], [p[1] for p in points])
        each = ", ".join(f"{count(m)} at n = {count(n)}" for n, m in points)
        return f"{each} ({formula}" + (f"; growth n^{slope:.2f})" if slope is not None else ")")

    parts = []
    if tree:
        parts.append(
            "tree: "
            + describe(tree, "n − 1 exactly" if all(m == n - 1 for n, m in tree) else "not n − 1")
        )
    if full:
        exact = all(m == (n - 1) ** 2 for n, m in full)
        parts.append(
            "complete graph: " + describe(full, "(n − 1)² exactly" if exact else "not (n − 1)²")
        )
    figure = "messages per flood: " + "; ".join(parts)
    tree_ok = bool(tree) and all(m == n - 1 for n, m in tree)
    full_ok = bool(full) and all(m == (n - 1) ** 2 for n, m in full)
    if not tree or not full:
        half = "tree" if tree else "complete graph"
        other = "complete graph" if tree else "tree"
        ok = tree_ok if tree else full_ok
        return Verdict(
            NOT_MEASURED,
            figure,
            f"no flood of a {other} in this run; the {half} half "
            + ("holds" if ok else "does not hold"),
        )
    outcome, when = split(
        [("on a tree", tree_ok), ("on the complete graph", full_ok)], held="", failed=""
    )
    return Verdict(
        outcome, figure, "exact counts, no failures: n − 1 on a tree, (n − 1)² on Kₙ", when.strip()
    )


def rumor_residue(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "rumor")
        if num(r.metrics.get("residue")) is not None and num(r.params.get("k")) is not None
    ]
    if not rows:
        return missing("rumor-mongering rows (dissemination suite)")
    variants: dict[str, list[tuple[float, float, float | None]]] = {}
    for r in rows:
        variants.setdefault(str(r.params.get("variant", "rumor")), []).append(
            (float(r.params["k"]), float(r.metrics["residue"]), num(r.metrics.get("t_last")))
        )
    parts, ks_zero, falls = [], [], True
    for variant, points in variants.items():
        points.sort()
        parts.append(f"{variant}: " + ", ".join(f"k={k:g} s={s:.3g}" for k, s, _ in points))
        ks_zero += [k for k, s, _ in points if s <= 0]
        residues = [s for _, s, _ in points]
        falls = falls and all(a >= b for a, b in itertools.pairwise(residues))
    n = rows[0].params.get("n")
    t_last = [t for pts in variants.values() for _, _, t in pts if t is not None]
    fast = (
        f"; the last site informed within {max(t_last):.3g} cycles (n = {n})"
        if t_last and n
        else ""
    )
    trend = "the residue falls as k grows" if falls else "the residue does not fall steadily with k"
    figure = "residue s (share never informed): " + "; ".join(parts)
    if not ks_zero:
        return Verdict(HOLDS, figure, f"s > 0 at every k: some sites never hear; {trend}{fast}")
    if len(ks_zero) == len(rows):
        return Verdict(FAILS, figure, f"every site was informed at every k{fast}")
    cut = min(ks_zero)
    return Verdict(
        ONLY_WHEN,
        figure,
        f"s > 0 below k = {cut:g}; from there on every site heard in every run; {trend}{fast}",
        f"k < {cut:g}",
    )


def death_certificates(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "death-certificates")
        if num(r.metrics.get("resurrected")) is not None
    ]
    if not rows:
        return missing("death-certificate rows (dissemination suite)")
    by_tau: dict[Any, dict[Any, Row]] = {}
    for r in rows:
        by_tau.setdefault(r.params.get("tau"), {})[r.params.get("r")] = r
    checks, parts, woke = [], [], 0.0
    for tau in sorted(by_tau, key=lambda t: (t is None, t)):
        per_r = by_tau[tau]
        bits = []
        for r_value in sorted(per_r, key=lambda v: (v is None, v)):
            m = per_r[r_value].metrics
            bits.append(f"r={r_value}: {pct(num(m['resurrected']))}")
            if r_value:
                woke = max(woke, num(m.get("reactivations")) or 0.0)
        parts.append(f"tau={tau}: " + ", ".join(bits))
        bare = per_r.get(0)
        dormant = [per_r[v] for v in per_r if v]
        if bare is None or num(bare.metrics["resurrected"]) == 0:
            checks.append((f"tau = {tau}", bare is not None))  # certificates alone held it off
        elif dormant:
            best = min(num(d.metrics["resurrected"]) or 0.0 for d in dormant)
            checks.append((f"tau = {tau}", best == 0))
    if not checks:
        return missing("death-certificate rows with r = 0")
    outcome, when = split(checks, held="", failed="at")
    figure = "runs where the deleted item resurrected: " + "; ".join(parts)
    cond = (
        f"r = dormant copies kept, tau = cycles an active certificate lives; dormant copies "
        f"woke up to {count(woke)} times per run (mean over runs, r > 0)"
    )
    return Verdict(outcome, figure, cond, when.strip())


def group_nonmembers(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "group")
        if num(r.metrics.get("flood.nonmember_messages")) is not None
        and num(r.metrics.get("member-tree.nonmember_messages")) is not None
    ]
    if not rows:
        return missing("group multicast rows (dissemination suite)")
    checks, parts = [], []
    for r in sorted(rows, key=lambda r: r.params.get("members") or 0):
        flood = num(r.metrics["flood.nonmember_messages"]) or 0.0
        tree = num(r.metrics["member-tree.nonmember_messages"]) or 0.0
        m, n = r.params.get("members"), r.params.get("n")
        checks.append((f"m = {m}", tree == 0 and flood > 0))
        parts.append(f"m = {m} of {n}: flooding {count(flood)}, member tree {count(tree)}")
    outcome, when = split(checks, held="with", failed="with")
    cond = (
        "a tree over the members keeps every message away from non-members; flooding the "
        "overlay reaches them"
    )
    return Verdict(outcome, "messages delivered to non-members: " + "; ".join(parts), cond, when)


TREE_METRICS = ("stress_max", "rdp_p90", "cost")
REFERENCE_TREES = ("unicast", "ip-multicast")


def tree_quality(table: pd.DataFrame) -> Verdict:
    rows = rows_of(table, "dissemination", "tree")
    if not rows:
        return missing("multicast tree rows (dissemination suite)")
    metrics = rows[0].metrics
    kinds = [
        k
        for k in dict.fromkeys(key.split(".")[0] for key in metrics if "." in key)
        if k not in REFERENCE_TREES
        and all(num(metrics.get(f"{k}.{m}")) is not None for m in TREE_METRICS)
    ]
    if not kinds:
        return missing("tree kinds with stress, RDP and cost")
    values = {k: {m: num(metrics[f"{k}.{m}"]) for m in TREE_METRICS} for k in kinds}
    figure = "; ".join(
        f"{k}: stress max {values[k]['stress_max']:.3g}, RDP p90 {values[k]['rdp_p90']:.3g}, "
        f"cost {values[k]['cost']:.4g}"
        for k in kinds
    )
    best = {m: min(kinds, key=lambda k: values[k][m]) for m in TREE_METRICS}
    distinct = len(kinds) > 1 and any(len({values[k][m] for k in kinds}) > 1 for m in TREE_METRICS)
    if not distinct:
        return Verdict(FAILS, figure, "the three metrics do not tell the trees apart here")
    trade = len(set(best.values())) > 1
    cond = (
        "no tree is best on all three, so each metric is needed: "
        if trade
        else "one tree is best on all three: "
    ) + ", ".join(f"{m} → {best[m]}" for m in TREE_METRICS)
    return Verdict(HOLDS, figure, cond + " (lower is better)")
