"""Dissemination figures: pure functions, tidy rows in, PNG bytes out.

Rows are the tidy table (see :func:`commbench.results.tidy`) of ONE result file,
family ``dissemination``: every metric is a mean over seeded runs in
``metric.<name>`` with its 95% CI in ``metric.<name>.ci_low`` / ``.ci_high``.
Messages are counted per broadcast, rounds are synchronous rounds (cycles),
coverage and residue are fractions of the nodes. Drawn on a bare Agg
:class:`~matplotlib.figure.Figure`, never through pyplot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullLocator

from commbench.report.page.records import records
from commbench.report.plotting import finish, in_order, panels, save, style

DEMERS_RESIDUE = {
    "feedback-counter": {1: 0.18, 2: 0.037, 3: 0.011, 4: 0.0036, 5: 0.0012},
    "blind-coin": {1: 0.96, 2: 0.20, 3: 0.060, 4: 0.021, 5: 0.008},
}
"""Demers et al. (PODC 1987), Tables 1 and 2: residue s of push rumor mongering, n = 1000."""

DEMERS_T_AVE = {
    "feedback-counter": {1: 11.0, 2: 12.1, 3: 12.5, 4: 12.7, 5: 12.8},
    "blind-coin": {2: 17.0, 3: 15.0, 4: 14.1, 5: 13.8},
}
"""Demers et al., Tables 1 and 2: the printed push t_ave, n = 1000. Monte-Carlo reproduces
it only as the tabulated statistic (``t_ave_tabulated``: every push that reaches a site
susceptible at the start of its cycle adds that cycle, over the sites reached)."""

FAULT_METRICS = {
    # protocol: (coverage, payload messages per broadcast, control messages, rounds)
    "flood": ("coverage", "messages", None, "rounds"),
    "plumtree": (
        "plumtree.reliability",
        "plumtree.payload",
        "plumtree.control",
        "plumtree.last_hop",
    ),
    "gossip": ("reliability", "payload", None, "last_hop"),
    "anti-entropy": ("coverage", "transfers", "contacts", "rounds"),
}
"""Which metric of each protocol answers: how many got it, at what cost, how fast."""

_PROTOCOL_COLORS = dict(zip(FAULT_METRICS, style.palette("deep", 4)))
_TREE_STATS = {"stress": ("stress_max", "stress_mean"), "rdp": ("rdp_p50", "rdp_p90", "rdp_max")}


_CI_PARTS = (("value", ""), ("low", ".ci_low"), ("high", ".ci_high"))
"""Column of :func:`with_ci` / :func:`ci_of` and the suffix of the metric it reads."""


def with_ci(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    """``value``, ``low``, ``high`` of metric *name* (NaN where the file lacks it)."""
    out = pd.DataFrame(index=rows.index)
    for column, suffix in _CI_PARTS:
        key = f"metric.{name}{suffix}"
        out[column] = pd.to_numeric(rows[key], errors="coerce") if key in rows else np.nan
    return out


def ci_of(row: Mapping[str, Any], name: str) -> dict[str, float]:
    """:func:`with_ci` of one row given as a mapping (a :func:`records` row)."""
    out = {}
    for column, suffix in _CI_PARTS:
        try:
            out[column] = float(row.get(f"metric.{name}{suffix}", np.nan))
        except (TypeError, ValueError):
            out[column] = np.nan
    return out


def _yerr(ci: pd.DataFrame) -> np.ndarray:
    """Error bar lengths below and above each value; 0 where the CI is missing."""
    low = (ci["value"] - ci["low"]).clip(lower=0).fillna(0)
    high = (ci["high"] - ci["value"]).clip(lower=0).fillna(0)
    return np.vstack([low.to_numpy(), high.to_numpy()])


def _count_axis(ax: Axes, which: str) -> None:
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_locator(NullLocator())  # no minor ticks: they cost most of the drawing


def flood_figure(rows: pd.DataFrame) -> bytes:
    """Messages per flood against n (log-log), one panel per topology, with analytic lines.

    n - 1 (a spanning tree), 2|E| - (n - 1) (flooding, |E| from the run's own ``edges``
    metric) and n log2 n; measured means with 95% CI error bars.
    """
    topologies = in_order(rows["topology"])
    fig, axes = panels(len(topologies), width=3.9, height=3.0, top_in=0.8)
    for ax, topology in zip(axes, topologies):
        sub = rows[rows["topology"] == topology].sort_values("metric.n")
        n, edges = sub["metric.n"].to_numpy(float), sub["metric.edges"].to_numpy(float)
        ci = with_ci(sub, "messages")
        ax.plot(n, n - 1, ":", color="0.45", label="n − 1 (spanning tree)")
        ax.plot(n, 2 * edges - (n - 1), "--", color="#c44e52", lw=1, label="2|E| − (n − 1)")
        ax.plot(n, n * np.log2(n), "-.", color="#8172b2", lw=1, label="n log₂ n")
        ax.errorbar(
            n,
            ci["value"],
            yerr=_yerr(ci),
            fmt="o",
            color="#4c72b0",
            ms=5,
            capsize=3,
            label="measured (mean, 95% CI)",
            zorder=3,
        )
        _count_axis(ax, "x")
        _count_axis(ax, "y")
        ax.set_xticks(n)
        ax.minorticks_off()
        ax.set_title(str(topology), fontsize=10)
        ax.set_xlabel("nodes n (log)")
        ax.set_ylabel("messages per flood (log)")
    return finish(fig, axes, len(topologies))


def pittel_rounds(n: np.ndarray) -> np.ndarray:
    """Pittel (1987): push spreading reaches everyone in log2 n + ln n rounds, + O(1)."""
    n = np.asarray(n, dtype=float)
    return np.log2(n) + np.log(n)


def anti_entropy_figure(rows: pd.DataFrame) -> bytes:
    """Rounds until every node has the update against n, per mode; Pittel's line for push."""
    fig, axes = panels(1, width=6.0, height=3.6, top_in=0.8)
    ax = axes[0]
    colors = dict(zip(("push", "pull", "push-pull"), style.palette("deep", 3)))
    for mode in in_order(rows["mode"]):
        sub = rows[rows["mode"] == mode].sort_values("n")
        ci = with_ci(sub, "rounds")
        ax.errorbar(
            sub["n"],
            ci["value"],
            yerr=_yerr(ci),
            fmt="-o",
            ms=5,
            capsize=3,
            color=colors.get(mode, "0.3"),
            label=f"{mode} (mean, 95% CI)",
        )
    grid = np.geomspace(float(rows["n"].min()), float(rows["n"].max()), 50)
    ax.plot(
        grid,
        pittel_rounds(grid),
        "--",
        color=colors["push"],
        lw=1,
        label="push: log₂ n + ln n (Pittel)",
    )
    _count_axis(ax, "x")
    ax.set_xticks(sorted(rows["n"].unique()))
    ax.minorticks_off()
    ax.set_ylim(bottom=0)
    ax.set_xlabel("nodes n (log)")
    ax.set_ylabel("rounds until all have it")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return save(fig)


def residue_curve(ks: Sequence[float], points: int = 120) -> pd.DataFrame:
    """``k`` and ``residue``: the root s in (0, 1) of s = exp(-(k + 1)(1 - s)).

    Evaluated on *points* values spanning the positive *ks* and at every k in *ks*
    itself, so the drawn curve passes exactly through the values at the measured k.
    """
    from commbench.dissemination.rumor import residue_equation  # numpy, scipy.special

    measured = np.array([float(k) for k in ks if float(k) > 0])
    if not measured.size:
        return pd.DataFrame({"k": [], "residue": []})
    grid = np.union1d(np.linspace(measured.min(), measured.max(), points), measured)
    return pd.DataFrame({"k": grid, "residue": [residue_equation(k) for k in grid]})


def residue_figure(rows: pd.DataFrame) -> bytes:
    """Residue (log) against k per rumor variant, the analytic curve and Demers' tables."""
    fig, axes = panels(1, width=6.0, height=3.8, top_in=0.8)
    ax = axes[0]
    variants = in_order(rows["variant"])
    colors = dict(zip(variants, style.palette("deep", len(variants))))
    for variant in variants:
        sub = rows[rows["variant"] == variant].sort_values("k")
        ci = with_ci(sub, "residue")
        ax.errorbar(
            sub["k"],
            ci["value"],
            yerr=_yerr(ci),
            fmt="-o",
            ms=5,
            capsize=3,
            color=colors[variant],
            label=f"{variant} (mean, 95% CI)",
        )
        published = DEMERS_RESIDUE.get(variant, {})
        if published:
            ax.scatter(
                list(published),
                list(published.values()),
                marker="D",
                s=46,
                facecolors="none",
                edgecolors=colors[variant],
                linewidths=1.4,
                zorder=4,
                label=f"{variant}: Demers et al. table",
            )
    ks = rows["k"].astype(float)
    curve = residue_curve(ks)
    ax.plot(curve["k"], curve["residue"], color="0.2", lw=1.2, label="s = exp(−(k+1)(1−s))")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks(sorted(ks.unique()))
    ax.set_xlabel("k (counter limit, or 1/k chance to stop per contact)")
    ax.set_ylabel("residue s: fraction never informed (log)")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return save(fig)


def tree_kinds(rows: pd.DataFrame) -> list[str]:
    """Tree kinds with metrics in *rows* (``<kind>.stress_max``), in file order."""
    suffix = ".stress_max"
    return [
        c[len("metric.") : -len(suffix)]
        for c in rows.columns
        if c.startswith("metric.") and c.endswith(suffix)
    ]


def tree_figure(rows: pd.DataFrame) -> bytes:
    """Link stress (max, mean), RDP (p50, p90, max) and tree cost per tree kind, 95% CIs."""
    kinds = tree_kinds(rows)
    fig, axes = panels(3, width=4.4, height=3.2, top_in=0.8)
    row = rows.iloc[[0]]
    groups = [(*_TREE_STATS["stress"],), (*_TREE_STATS["rdp"],), ("cost",)]
    ylabels = [
        "link stress (copies per link)",
        "RDP (delay / unicast delay)",
        "tree cost (Σ link delay × stress, ms)",
    ]
    x = np.arange(len(kinds))
    for ax, stats, ylabel in zip(axes, groups, ylabels):
        width = 0.8 / len(stats)
        for i, stat in enumerate(stats):
            cis = pd.concat([with_ci(row, f"{kind}.{stat}") for kind in kinds])
            ax.bar(
                x + (i - (len(stats) - 1) / 2) * width,
                cis["value"],
                width,
                yerr=_yerr(cis),
                capsize=2,
                color=style.palette("deep", 3)[i],
                label=stat,
            )
        ax.set_xticks(x, labels=kinds, fontsize=8, rotation=20)
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
        if len(stats) > 1:
            ax.legend(fontsize=8, frameon=False)
    return save(fig)


def fault_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Per protocol and failure rate: coverage (+ CI), payload and control messages per
    broadcast, rounds to the last delivery. Protocols absent from :data:`FAULT_METRICS`
    are left out; ``plumtree.control`` is IHAVE + GRAFT + PRUNE."""
    out = []
    for row in records(rows):
        names = FAULT_METRICS.get(str(row["subject"]))
        if names is None:
            continue
        metrics = {k: row.get(f"metric.{k}", np.nan) for k in (n for n in names if n)}
        if row["subject"] == "plumtree":
            metrics["plumtree.control"] = sum(
                row.get(f"metric.plumtree.{k}", np.nan) for k in ("ihave", "graft", "prune")
            )
        coverage, payload, control, rounds = names
        ci = ci_of(row, coverage)
        out.append(
            {
                "protocol": row["subject"],
                "fail": float(row.get("fail_nodes", 0.0) or 0.0),
                "coverage": ci["value"],
                "coverage_low": ci["low"],
                "coverage_high": ci["high"],
                "payload": metrics[payload],
                "control": metrics[control] if control else np.nan,
                "rounds": metrics[rounds],
                "rmr": row.get(f"metric.{_rmr_name(row)}", np.nan),
            }
        )
    if not out:
        return pd.DataFrame()
    rank = {p: i for i, p in enumerate(FAULT_METRICS)}
    frame = pd.DataFrame(out)
    return frame.sort_values(
        ["protocol", "fail"],
        key=lambda c: c.map(rank) if c.name == "protocol" else c,
        kind="stable",
    ).reset_index(drop=True)


def _rmr_name(row: Mapping[str, Any]) -> str:
    return "plumtree.rmr" if row["subject"] == "plumtree" else "rmr"


def faults_figure(points: pd.DataFrame) -> bytes:
    """Coverage, messages per broadcast and rounds against the fraction of failed nodes."""
    fig, axes = panels(3, width=4.4, height=3.3, top_in=0.8)
    cov, msgs, rounds = axes
    for protocol in in_order(points["protocol"]):
        sub = points[points["protocol"] == protocol]
        color = _PROTOCOL_COLORS.get(protocol, "0.3")
        ci = sub.rename(
            columns={"coverage": "value", "coverage_low": "low", "coverage_high": "high"}
        )
        cov.errorbar(
            sub["fail"],
            sub["coverage"],
            yerr=_yerr(ci),
            fmt="-o",
            ms=4,
            capsize=3,
            color=color,
            label=protocol,
        )
        msgs.plot(sub["fail"], sub["payload"], "-o", ms=4, color=color)
        if sub["control"].notna().any():
            msgs.plot(sub["fail"], sub["control"], "--", color=color, lw=1)
        rounds.plot(sub["fail"], sub["rounds"], "-o", ms=4, color=color)
    msgs.plot([], [], "--", color="0.3", lw=1, label="control messages (dashed)")
    cov.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    cov.set_ylabel("coverage of live nodes")
    _count_axis(msgs, "y")
    msgs.set_ylabel("messages per broadcast (log)")
    rounds.set_ylabel("rounds to the last delivery")
    for ax in axes:
        ax.set_xlabel("fraction of nodes failed")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xticks(sorted(points["fail"].unique()))
    return finish(fig, axes, 3, order=[*FAULT_METRICS, "control messages (dashed)"])
