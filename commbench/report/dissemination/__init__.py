"""The dissemination section: scaling, rounds, residue, trees, faults, death certificates.

Each builder takes the ``dissemination`` rows of ONE result file (tidy table; every
metric a mean over seeded runs in ``metric.<name>`` with its 95% CI in
``metric.<name>.ci_low`` / ``.ci_high``) and its :class:`RunContext`, and returns its
:class:`Block` s. A builder whose data is missing (no tree case, no fault sweep...)
returns nothing, so no empty figure is drawn.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from commbench.report.dissemination import figures as figs
from commbench.report.dissemination.group import group_block
from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    paragraph,
    run_labels,
    table_html,
)
from commbench.report.page.generic import readable_or_generic
from commbench.report.page.records import records
from commbench.report.plotting import in_order
from commbench.units import format_seconds

_TOPOLOGY_PARAMS = {"random_regular": "degree", "barabasi_albert": "m", "kary_tree": "k"}


def _subject(rows: pd.DataFrame, subject: str, tag: str | None = None) -> pd.DataFrame:
    """Rows of *subject*; with *tag*, only those tagged so; without, only untagged faults."""
    sub = rows[rows["subject"] == subject]
    tags = sub["tags"] if "tags" in sub else pd.Series([[]] * len(sub), index=sub.index)
    has = tags.map(lambda t: isinstance(t, list | tuple) and (tag or "faults") in t)
    return sub[has] if tag else sub[~has]


def _needs(rows: pd.DataFrame, *columns: str) -> bool:
    return not rows.empty and all(c in rows and rows[c].notna().any() for c in columns)


def conditions(rows: pd.DataFrame, ctx: RunContext) -> str:
    """Machine, profile, date and the number of seeded runs behind each mean."""
    runs = rows["runs"].dropna().astype(int) if "runs" in rows else pd.Series(dtype=int)
    span = (
        ""
        if runs.empty
        else (f"{runs.min()}" if runs.min() == runs.max() else f"{runs.min()}–{runs.max()}")
    )
    each = f"Means over {span} seeded runs per point" if span else "Means over seeded runs"
    return f"{each}, error bars the 95% confidence interval. {ctx.describe()}."


def _value(value: object) -> str:
    """``1000.0`` -> ``1000``, ``0.01`` -> ``0.01``, text as it is."""
    return f"{value:g}" if isinstance(value, float | int | np.number) else str(value)


def settings(rows: pd.DataFrame, keys: tuple[str, ...]) -> str:
    """``key value, ...`` for the *keys* the first row has: the options a caption names."""
    first = rows.iloc[0]
    return ", ".join(f"{k} {_value(first[k])}" for k in keys if k in rows and pd.notna(first[k]))


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.1%}"


def _num(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@draws
def flood_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Messages per flood against n, per topology, with the analytic counts."""
    rows = _subject(rows, "flood", "scaling")
    if not _needs(rows, "topology", "metric.n", "metric.edges", "metric.messages"):
        return []
    described = []
    for topology in in_order(rows["topology"]):
        first = rows[rows["topology"] == topology].iloc[0]
        if topology == "erdos_renyi" and pd.notna(first.get("p")):
            mean_degree = first["p"] * (first["n"] - 1)
            described.append(f"erdos_renyi (mean degree p(n−1) = {mean_degree:g})")
        elif topology in _TOPOLOGY_PARAMS:
            key = _TOPOLOGY_PARAMS[topology]
            described.append(f"{topology} ({key} {_value(first.get(key))})")
        else:
            described.append(str(topology))
    resized = rows[rows["metric.n"] != rows["n"]]
    resized_note = "".join(
        f" {r['topology']} has {int(r['metric.n'])} nodes for the {int(r['n'])} requested."
        for r in records(resized)
    )
    caption = (
        "Messages sent by one flood from node 0 against the number of nodes n, one panel per "
        "topology; log–log, lower is cheaper. Lines: n − 1 (a spanning tree, the least any "
        "broadcast can send), 2|E| − (n − 1) (flooding: every node forwards to all neighbours "
        "but its sender; |E| is this run's own edge count) and n log₂ n. A point on the dashed "
        f"line reached everyone with no loss. Topologies: {', '.join(described)}."
        f"{resized_note} {conditions(rows, ctx)}"
    )
    html = figure_html(figs.flood_figure(rows), alt="messages per flood", caption=caption)
    return [Block("Flooding: messages against n", ctx.anchor("dissemination-flood"), html)]


@draws
def anti_entropy_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Rounds to full coverage against n per anti-entropy mode, Pittel's bound for push."""
    rows = _subject(rows, "anti-entropy")
    if "fail_nodes" in rows:
        rows = rows[rows["fail_nodes"].fillna(0) == 0]
    if not _needs(rows, "mode", "n", "metric.rounds"):
        return []
    caption = (
        "Anti-entropy on the complete graph: rounds until every node has the update, against "
        "n (log x), per mode; lower is faster. Dashed: log₂ n + ln n, Pittel's (1987) rounds "
        f"for push, up to an additive constant. No failed nodes. {conditions(rows, ctx)}"
    )
    png = figs.anti_entropy_figure(rows)
    html = figure_html(png, alt="anti-entropy rounds against n", caption=caption)
    return [Block("Anti-entropy: rounds against n", ctx.anchor("dissemination-ae"), html)]


@draws
def residue_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Rumor residue against k per variant, the residue equation and Demers' tables."""
    rows = _subject(rows, "rumor", "residue")
    if not _needs(rows, "variant", "k", "metric.residue"):
        return []
    setting = settings(rows, ("n", "mode", "counting", "collisions"))
    caption = (
        "Rumor mongering: residue s (fraction of sites never informed once the rumor died) "
        "against k, per variant (feedback-counter: stop after k unnecessary contacts; "
        "blind-coin: stop with probability 1/k after every contact); log y, lower is better. "
        "Open diamonds: Demers et al. (1987) Tables 1 and 2, push, n = 1000. Black line: the "
        "root of s = exp(−(k+1)(1−s)), the continuous-time analysis (it matches total counting "
        f"and first-come collisions, not exactly the variants drawn). Settings: {setting}. "
        f"{conditions(rows, ctx)}"
    )
    html = figure_html(figs.residue_figure(rows), alt="residue against k", caption=caption)
    return [Block("Rumor mongering: residue against k", ctx.anchor("dissemination-rumor"), html)]


def t_ave_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The mean delay t_ave beside the statistic Demers tabulated, and the printed value."""
    rows = _subject(rows, "rumor", "residue")
    if not _needs(rows, "metric.t_ave", "metric.t_ave_tabulated"):
        return []
    body = []
    for row in records(rows.sort_values(["variant", "k"])):
        printed = figs.DEMERS_T_AVE.get(str(row["variant"]), {}).get(int(row["k"]))
        body.append(
            [
                str(row["variant"]),
                Cell(f"{int(row['k'])}", numeric=True),
                Cell(_num(row.get("metric.t_ave")), numeric=True),
                Cell(_num(row.get("metric.t_ave_tabulated")), numeric=True),
                Cell("-" if printed is None else f"{printed:g}", numeric=True),
            ]
        )
    header = ["variant", Cell("k", numeric=True), Cell("t_ave (mean delay)", numeric=True)]
    header += [Cell("t_ave_tabulated", numeric=True), Cell("Demers printed", numeric=True)]
    caption = (
        "Rumor mongering, push: t_ave, the delay from injection to arrival averaged over the "
        "sites reached (cycles), beside t_ave_tabulated, which counts a site once per push "
        "that reached it while it was still susceptible at the start of its cycle; the "
        "statistic Demers et al. (1987) print in Tables 1 and 2 reproduces only that way. "
        f"{conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption)
    return [Block("Rumor mongering: t_ave", ctx.anchor("dissemination-t-ave"), html)]


@draws
def tree_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Link stress, RDP and cost per multicast tree kind."""
    rows = _subject(rows, "tree")
    if rows.empty or not figs.tree_kinds(rows):
        return []
    setting = settings(rows, ("routers", "members", "max_degree"))
    caption = (
        "Multicast trees over one router underlay (End System Multicast, Chu et al. 2000): "
        "link stress (copies of the packet one physical link carries; max and mean over used "
        "links), relative delay penalty RDP (tree delay / unicast delay per member: p50, p90, "
        "max) and cost (sum of link delay × stress, ms); lower is better for all three. "
        f"{setting} (max_degree bounds the 'bounded' tree). {conditions(rows, ctx)}"
    )
    html = figure_html(figs.tree_figure(rows), alt="tree stress, RDP and cost", caption=caption)
    return [Block("Multicast trees: stress, RDP, cost", ctx.anchor("dissemination-tree"), html)]


def fault_sentence(points: pd.DataFrame) -> str:
    """What the fault sweep shows at its lowest and highest failure rate, from the numbers."""
    parts = []
    for fail in sorted({points["fail"].min(), points["fail"].max()}):
        at = points[points["fail"] == fail].set_index("protocol")
        label = "With no failed nodes" if fail == 0 else f"With {fail:.0%} of nodes failed"
        cov = ", ".join(f"{p} {_pct(v)}" for p, v in at["coverage"].items())
        msgs = ", ".join(f"{p} {_num(v)}" for p, v in at["payload"].items())
        rounds = ", ".join(f"{p} {_num(v)}" for p, v in at["rounds"].items())
        worst, dearest = at["coverage"].idxmin(), at["payload"].idxmax()
        parts.append(
            f"{label}: coverage {cov}; payload messages per broadcast {msgs}; rounds to the last "
            f"delivery {rounds}. Lowest coverage: {worst}; most messages: {dearest}."
        )
    return " ".join(parts)


@draws
def faults_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Coverage, messages and rounds against failed nodes: flood, plumtree, gossip, AE."""
    faults = pd.concat([_subject(rows, p, "faults") for p in figs.FAULT_METRICS])
    points = figs.fault_points(faults)
    if points.empty or points["fail"].nunique() < 2:
        return []
    caption = (
        "Broadcast under failures: a fraction of the nodes fails before the broadcast; "
        "coverage = informed live nodes / live nodes (higher is better), payload messages "
        "per broadcast (flood: all sends; plumtree: GOSSIP after the tree formed; gossip: "
        "pushes; anti-entropy: update transfers) with control traffic dashed (plumtree "
        "IHAVE + GRAFT + PRUNE; anti-entropy contacts), and rounds until the last delivery. "
        f"Overlay: {settings(faults, _OVERLAY)}. {conditions(faults, ctx)}"
    )
    png = figs.faults_figure(points)
    html = figure_html(png, alt="coverage under failures", caption=caption)
    html += paragraph(fault_sentence(points))
    body, previous = [], None
    for p in records(points):
        edge = "first" if p["protocol"] != previous else ""
        previous = p["protocol"]
        ci = f"95% CI {_pct(p['coverage_low'])}–{_pct(p['coverage_high'])}"
        numbers = [_num(p[k]) for k in ("payload", "control", "rmr", "rounds")]
        body.append(
            [
                Cell(str(p["protocol"]) if edge else "", css=f"rowhead {edge}".strip()),
                Cell(f"{p['fail']:.0%}", numeric=True, css=edge),
                Cell(_pct(p["coverage"]), numeric=True, title=ci, css=edge),
                *(Cell(n, numeric=True, css=edge) for n in numbers),
            ]
        )
    header = [
        "protocol",
        Cell("failed", numeric=True),
        Cell("coverage", numeric=True),
        Cell("payload msgs", numeric=True),
        Cell("control msgs", numeric=True),
        Cell("RMR", numeric=True, title="payload / (reached − 1) − 1; 0 for a tree"),
        Cell("rounds", numeric=True),
    ]
    html += table_html(
        header,
        body,
        caption="The same numbers per protocol and failure rate "
        "(hover coverage for its 95% CI); RMR where the protocol reports it.",
    )
    return [Block("Broadcast under failures", ctx.anchor("dissemination-faults"), html)]


_OVERLAY = ("n", "degree", "fanout", "broadcasts", "timeout")
_DC_COLUMNS = {
    "item_peak": (
        "item peak",
        _pct,
        "largest fraction of sites holding the item once all were back",
    ),
    "item_final": ("item at end", _pct, "fraction of sites holding the item at the end"),
    "reactivations": ("reactivations", _num, "dormant certificates woken up"),
    "comebacks": ("comebacks", _num, "sites that took the deleted item back"),
    "transfers": ("transfers", _num, "item or certificate copies shipped (messages)"),
    "cert_storage": ("cert. storage", _pct, "mean fraction of sites storing a certificate"),
}


def death_certificates_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Resurrection frequency per retention count r and certificate lifetime tau."""
    rows = _subject(rows, "death-certificates")
    if not _needs(rows, "r", "tau", "metric.resurrected"):
        return []
    body, previous = [], None
    for row in records(rows.sort_values(["r", "tau"], kind="stable")):
        edge = "first" if row["r"] != previous else ""
        previous = row["r"]
        ci = figs.ci_of(row, "resurrected")
        body.append(
            [
                Cell(f"r = {_value(row['r'])}" if edge else "", css=f"rowhead {edge}".strip()),
                Cell(_value(row["tau"]), numeric=True, css=edge),
                Cell(_pct(ci["value"]), numeric=True, css=edge,
                     title=f"95% CI {_pct(ci['low'])}–{_pct(ci['high'])}"),
                *(Cell(fmt(row.get(f"metric.{key}", np.nan)), numeric=True, css=edge)
                  for key, (_, fmt, _) in _DC_COLUMNS.items()),
            ]
        )  # fmt: skip
    header = [
        "retention sites",
        Cell("tau (cycles)", numeric=True),
        Cell("resurrected", numeric=True, title="fraction of runs in which the item came back"),
        *(Cell(head, numeric=True, title=tip) for head, _, tip in _DC_COLUMNS.values()),
    ]
    caption = (
        "Death certificates: how often a deleted item came back (resurrected: the fraction of "
        "runs in which more than half of the sites hold it at the end; lower is better), per "
        "number r of sites keeping a dormant certificate and per certificate lifetime tau, "
        "with what it cost (hover a header for its meaning, the resurrection cell for its "
        f"95% CI). {settings(rows, ('n', 'fail_nodes', 'down_cycles', 'cycles'))}. "
        f"{conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption)
    return [Block("Death certificates: resurrections", ctx.anchor("dissemination-dc"), html)]


def speedup_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The vectorised flood against the same flood written plainly over networkx."""
    if not _needs(rows, "metric.speedup"):
        return []
    body = [
        [
            str(row.get("topology", "")),
            Cell(_value(row.get("n", "-")), numeric=True),
            Cell(_value(row.get("degree", "-")), numeric=True),
            Cell(format_seconds(row.get("metric.networkx_s")), numeric=True),
            Cell(format_seconds(row.get("metric.vectorised_s")), numeric=True),
            Cell(f"{row['metric.speedup']:.0f}×", numeric=True),
            Cell(_num(row.get("metric.messages", np.nan)), numeric=True),
        ]
        for row in records(rows)
    ]
    header = [
        "topology",
        Cell("n", numeric=True),
        Cell("degree", numeric=True),
        Cell("networkx", numeric=True),
        Cell("vectorised", numeric=True),
        Cell("speed-up", numeric=True),
        Cell("messages", numeric=True),
    ]
    caption = (
        "One flood, vectorised (numpy over a CSR graph) against the same algorithm written "
        "plainly over networkx; both give the same message, redundancy, round and coverage "
        "counts (checked in the benchmark). networkx: one timed run; vectorised: the median "
        f"of the benchmark's rounds; higher speed-up is better. {ctx.describe()}."
    )
    html = table_html(header, body, caption=caption)
    return [Block("Vectorised against networkx", ctx.anchor("dissemination-reference"), html)]


def times_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Median wall time of one simulation per benchmark: the only machine-dependent number."""
    if not _needs(rows, "median"):
        return []
    keys = [k for k in ("topology", "mode", "variant", "n", "k", "fail_nodes") if _needs(rows, k)]
    body = [
        [
            str(row["subject"]),
            *(_value(row[k]) if pd.notna(row[k]) else "-" for k in keys),
            Cell(format_seconds(row["median"]), numeric=True),
            Cell(str(int(row["rounds"])) if pd.notna(row.get("rounds")) else "-", numeric=True),
        ]
        for row in records(rows)
    ]
    caption = (
        "Wall time of one benchmark round (median; a round simulates the case's seeded runs "
        "or one of them, see the benchmark), per benchmark; lower is better. Message counts do "
        f"not depend on the machine; this time does. {ctx.describe()}."
    )
    header = ["protocol", *keys, Cell("median", numeric=True), Cell("rounds", numeric=True)]
    html = table_html(header, body, caption=caption)
    return [Block("Time per benchmark round", ctx.anchor("dissemination-times"), html)]


FIGURES = [flood_block, anti_entropy_block, residue_block, tree_block, faults_block]
BUILDERS = readable_or_generic(
    ("subject",), [*FIGURES, t_ave_block, group_block, death_certificates_block, times_block]
)


def counts_agreement(rows: pd.DataFrame, files: list[str], labels: dict[str, str]) -> str:
    """Whether every run has the first run's metric values on the benchmarks they share."""
    metrics = [c for c in rows if c.startswith("metric.") and rows[c].notna().any()]
    wide = rows.set_index(["file", "name"])[metrics].select_dtypes("number")
    base = wide.loc[files[0]]
    differ = []
    for file in files[1:]:
        other = wide.loc[file]
        common = other.index.intersection(base.index)
        a = base.loc[common].to_numpy(dtype=float)
        b = other.loc[common].to_numpy(dtype=float)
        if not np.allclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True):
            differ.append(labels[file])
    if not differ:
        return (
            f"Every run has the same counts as {labels[files[0]]} on every benchmark it shares: "
            "the simulations are seeded, so the counts depend on the code and the seeds, not on "
            "the machine. The figures are drawn once, from that run; the times differ and are "
            "in each run's table below."
        )
    return (
        f"The figures are drawn from {labels[files[0]]}. Counts differ from it in: "
        f"{', '.join(differ)} (another commbench version or other seeds?); compare their "
        "tables below."
    )


def runs_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """The first run's figures once, with whether the other runs agree on the counts."""
    present = [c for c in contexts if str(c.run.path) in set(rows["file"])]
    if not present:
        return []
    first = replace(present[0], draw=True)
    mine = rows[rows["file"] == str(first.run.path)]
    blocks = [b for build in FIGURES for b in build(mine, first)]
    if not blocks:
        return []
    files = [str(c.run.path) for c in present]
    note = paragraph(counts_agreement(rows, files, run_labels(contexts)))
    agree = Block("Counts in every run", "runs-dissemination-counts", note)
    return [agree, *(replace(b, anchor=f"runs-{b.anchor}") for b in blocks)]


ACROSS_BUILDERS = [runs_block]
"""With several runs: the counts are the machine-independent part, drawn once."""
REFERENCE_BUILDERS = readable_or_generic(("metric.speedup",), [speedup_block])
