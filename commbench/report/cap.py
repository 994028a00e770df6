"""The CAP section: per-store timelines through a fault, consistency against availability
per store and mode, the linearizability checker's verdicts (with the minimal failing
sub-history), and PBS predicted against observed.

A builder takes the ``cap`` rows of ONE result file (flat: params as columns, metrics as
``metric.<name>``) and its :class:`RunContext`; an across builder takes every run's rows
and contexts (a report of several runs): the tables stay per run, the figures are drawn
once with every run side by side. Rows are told apart by subject: ``checker`` (the
checker's own benchmark), ``redis-pbs`` (PBS) and any other (a store's fault scenario).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    esc,
    figure_html,
    paragraph,
    run_labels,
    table_html,
)
from commbench.report.plotting import finish, panels, style

FAULT_TEXT = {
    "member1-isolated": "member 1 cut from the others by blackhole routes",
    "leader-isolated": "the leader (primary) cut from the others by blackhole routes",
    "follower-isolated": "a follower (replica) cut off: the leader keeps a majority",
    "leader-link-down": "the leader's (primary's) link set down",
    "leader-killed": "the leader's (primary's) process SIGKILLed, restarted at the heal",
    "leader-paused": "the leader's (primary's) process SIGSTOPped, SIGCONT at the heal",
}
"""Scenario -> what it does (a copy of commbench.cap.workload.FAULT_TEXT: the report reads
files and does not import the cap package)."""

SIDES = ("minority", "majority", "all")


def _v(row: dict[str, Any], key: str) -> Any:
    """A cell's value, None when missing (NaN in the flat frame)."""
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _kind(row: dict[str, Any]) -> str:
    subject = str(row.get("subject"))
    if subject == "checker":
        return "checker"
    if subject.endswith("-pbs") or _v(row, "measure") == "pbs":
        return "pbs"
    return "scenario"


def _records(rows: pd.DataFrame, kind: str) -> list[dict[str, Any]]:
    if rows.empty or "subject" not in rows:
        return []
    return [r for r in rows.to_dict("records") if _kind(r) == kind]


def _key(row: dict[str, Any]) -> str:
    return f"{row.get('store', row.get('subject'))}/{row.get('mode')} {row.get('scenario')}"


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * float(x):.0f}%"


def _conditions(rows: list[dict[str, Any]]) -> str:
    """The scenario knobs the rows share, in words."""
    if not rows:
        return ""
    r = rows[0]
    parts = []
    if _v(r, "before_s") is not None:
        parts.append(
            f"phases {r['before_s']:g} s before, {r['during_s']:g} s during the fault, "
            f"{r['after_s']:g} s after the heal"
        )
    if _v(r, "rate_per_client") is not None:
        parts.append(
            f"one client per member at most {r['rate_per_client']:g} ops/s on "
            f"{int(r['keys'])} keys (50% reads, 30% writes, 20% compare-and-set)"
        )
    if _v(r, "op_timeout_s") is not None:
        parts.append(f"operation timeout {r['op_timeout_s']:g} s")
    return "; ".join(parts) + "." if parts else ""


# ------------------------------------------------------------------ timelines


def _timeline_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [r for r in _records(rows, "scenario") if isinstance(_v(r, "metric.timeline"), dict)]


def _mark(ax: Any, row: dict[str, Any]) -> None:
    start, heal = _v(row, "metric.partition_s"), _v(row, "metric.heal_s")
    if start is not None and heal is not None:
        ax.axvspan(start, heal, color="red", alpha=0.12, lw=0)
        ax.axvline(start, color="red", lw=0.8)
        ax.axvline(heal, color="green", lw=0.8)


@draws
def timelines(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per scenario row: answered ops/s and errors per side over time, fault marked."""
    found = _timeline_rows(rows)
    if not found:
        return []
    fig, axes = panels(len(found), height=2.4, width=4.2)
    colors = {"minority": "#c44e52", "majority": "#4c72b0", "all": "#55a868"}
    for ax, r in zip(axes, found):
        t = r["metric.timeline"]
        for side in SIDES:
            if f"ok.{side}" in t:
                ax.plot(t["t_s"], t[f"ok.{side}"], lw=1, color=colors[side],
                        label=f"answered, {side}")  # fmt: skip
            if f"err.{side}" in t:
                ax.plot(t["t_s"], t[f"err.{side}"], lw=1, ls="--", color=colors[side],
                        label=f"errors + timeouts, {side}")  # fmt: skip
        _mark(ax, r)
        ax.set_title(_key(r), fontsize=8)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("ops/s", fontsize=8)
        ax.tick_params(labelsize=7)
    png = finish(fig, axes, len(found))
    caption = (
        "Each fault scenario over time: operations per second answered (solid) and refused "
        "or timed out (dashed) by the clients on the minority side (the member the fault "
        "hits, with its own client) and on the majority side; the fault starts at the red "
        "line and is healed at the green one (shaded between). Bins of "
        f"{found[0]['metric.timeline'].get('bin_s', 0.5):g} s. {_conditions(found)} "
        f"{ctx.describe()}."
    )
    return [Block("Timelines", ctx.anchor("cap-timelines"),
                  figure_html(png, alt="cap timelines", caption=caption))]  # fmt: skip


def timelines_across(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run side by side: per scenario a panel, answered ops/s per side, one colour
    per run (solid: minority, dashed: majority)."""
    found = _timeline_rows(rows)
    if not found:
        return []
    labels = run_labels(contexts)
    keys = list(dict.fromkeys(_key(r) for r in found))
    colors = style.colors_for(labels.values())
    fig, axes = panels(len(keys), height=2.4, width=4.2)
    for ax, key in zip(axes, keys):
        for r in found:
            if _key(r) != key:
                continue
            t, run = r["metric.timeline"], labels.get(str(r["file"]), str(r["file"]))
            for side, ls in (("minority", "-"), ("majority", "--")):
                if f"ok.{side}" in t:
                    ax.plot(t["t_s"], t[f"ok.{side}"], lw=1, ls=ls, color=colors[run],
                            label=f"{run}, {side}")  # fmt: skip
            _mark(ax, r)
        ax.set_title(key, fontsize=8)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("answered ops/s", fontsize=8)
        ax.tick_params(labelsize=7)
    png = finish(fig, axes, len(keys))
    caption = (
        "Every run side by side: operations per second answered on the minority side "
        "(solid) and the majority side (dashed), one colour per run; fault start (red) and "
        f"heal (green) of each run marked. {_conditions(found)} Runs: "
        + "; ".join(ctx.describe() for ctx in contexts)
        + "."
    )
    return [Block("Timelines, every run", "runs-cap-timelines",
                  figure_html(png, alt="cap timelines of every run", caption=caption))]  # fmt: skip


# ------------------------------------------------------------------ C against A


def _lost(r: dict[str, Any]) -> tuple[str, bool]:
    probed, lost = _v(r, "metric.writes_probed"), _v(r, "metric.writes_lost")
    rollback = _v(r, "metric.register_writes_lost") or 0
    text = f"{int(lost or 0)} of {int(probed or 0)} probed"
    if rollback:
        text += f", {int(rollback)} rolled back"
    return text, bool(lost) or bool(rollback)


def _stale(r: dict[str, Any]) -> tuple[str, bool]:
    stale, reads = int(_v(r, "metric.stale_reads") or 0), int(_v(r, "metric.reads_ok") or 0)
    return f"{stale} of {reads}", stale > 0


def c_against_a(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per store, mode and scenario: availability per side during the fault against stale
    reads and lost acknowledged writes."""
    found = _records(rows, "scenario")
    if not found:
        return []
    body = []
    for r in found:
        stale, stale_bad = _stale(r)
        lost, lost_bad = _lost(r)
        recovery = _v(r, "metric.recovery_s")
        body.append(
            [
                Cell(f"{r.get('store', r['subject'])}/{r.get('mode')}", css="rowhead"),
                str(r.get("scenario")),
                Cell(_pct(_v(r, "metric.availability.minority.during")), numeric=True,
                     title=f"{int(_v(r, 'metric.ops.minority.during') or 0)} operations"),
                Cell(_pct(_v(r, "metric.availability.majority.during")), numeric=True,
                     title=f"{int(_v(r, 'metric.ops.majority.during') or 0)} operations"),
                Cell(_pct(_v(r, "metric.read_availability.minority.during")), numeric=True,
                     title=f"{int(_v(r, 'metric.reads.minority.during') or 0)} reads"),
                Cell(_pct(_v(r, "metric.availability.minority.after")), numeric=True),
                Cell(stale, numeric=True, css="fail" if stale_bad else "ok"),
                Cell(lost, numeric=True, css="fail" if lost_bad else "ok"),
                Cell(str(int(_v(r, "metric.unknown_ops") or 0)), numeric=True),
                Cell("never" if recovery is None else f"{recovery:.1f} s", numeric=True),
                Cell(str(_v(r, "metric.checker.verdict") or "-"),
                     css={"ok": "ok", "violation": "fail"}.get(
                         str(_v(r, "metric.checker.verdict")), "")),
            ]
        )  # fmt: skip
    header = [
        "store/mode", "scenario", Cell("avail. minority (during)", numeric=True),
        Cell("avail. majority (during)", numeric=True),
        Cell("reads answered, minority (during)", numeric=True), Cell("avail. minority (after)",
        numeric=True), Cell("stale reads", numeric=True), Cell("acked writes lost",
        numeric=True), Cell("unknown", numeric=True), Cell("recovery", numeric=True),
        "linearizable?",
    ]  # fmt: skip
    caption = (
        "Consistency against availability. Availability: the share of operations answered "
        "(ok, or a compare-and-set answered 'no') on each side while the fault lasts, and "
        "on the minority side after the heal; reads answered: the same for reads alone "
        "(a client waits out its writes' timeouts, so it issues few reads while cut off). "
        "Stale reads: ok reads of a value already "
        "superseded in real time (a write acknowledged before the read began was invoked "
        "after the value read was acknowledged). Acked writes lost: acknowledged writes to "
        "write-once keys that a read after the heal does not find, plus acknowledged "
        "writes a final read shows rolled back. Unknown: timeouts. Recovery: from the heal "
        "to every client's first acknowledged write. Red: any stale read or lost write. "
        f"{_conditions(found)} {ctx.describe()}."
    )
    return [Block("Consistency against availability", ctx.anchor("cap-table"),
                  table_html(header, body, caption=caption))]  # fmt: skip


def c_against_a_across(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run side by side: per store/mode/scenario, each run's minority availability
    during the fault, stale reads, lost writes and verdict in one cell."""
    found = _records(rows, "scenario")
    if not found:
        return []
    labels = run_labels(contexts)
    files = [str(ctx.run.path) for ctx in contexts]
    by = {(str(r["file"]), _key(r)): r for r in found}
    keys = list(dict.fromkeys(_key(r) for r in found))
    body = []
    for key in keys:
        line: list[Cell | str] = [Cell(key, css="rowhead")]
        for f in files:
            r = by.get((f, key))
            if r is None:
                line.append(Cell("-", title="not run"))
                continue
            stale, stale_bad = _stale(r)
            lost, lost_bad = _lost(r)
            text = (
                f"{_pct(_v(r, 'metric.availability.minority.during'))} / "
                f"{_pct(_v(r, 'metric.availability.majority.during'))}; stale {stale}; "
                f"lost {lost}; {_v(r, 'metric.checker.verdict') or '-'}"
            )
            line.append(Cell(text, css="fail" if stale_bad or lost_bad else "ok"))
        body.append(line)
    caption = (
        "Every run side by side, per store/mode and scenario: availability during the "
        "fault (minority / majority side), stale reads, acknowledged writes lost and the "
        "checker's verdict (definitions under each run's own table). Runs: "
        + "; ".join(f"{labels[str(c.run.path)]}: {c.describe()}" for c in contexts)
        + "."
    )
    header = ["store/mode scenario", *(labels[f] for f in files)]
    return [Block("Consistency against availability, every run", "runs-cap-table",
                  table_html(header, body, caption=caption, css="matrix"))]  # fmt: skip


# ------------------------------------------------------------------ checker verdicts


def _witness_html(r: dict[str, Any]) -> str:
    witness = _v(r, "metric.checker.witness")
    if not witness:
        return ""
    body = []
    for o in witness:
        value = o.get("value")
        complete = o.get("complete_s")
        body.append(
            [
                str(o.get("process")),
                str(o.get("f")),
                json_text(value),
                Cell(f"{o.get('invoke_s', 0):.4f}", numeric=True),
                Cell("∞" if complete is None else f"{complete:.4f}", numeric=True),
                str(o.get("outcome")),
                str(o.get("side", "")),
                str(o.get("phase", "")),
            ]
        )
    caption = (
        f"{_key(r)}: the minimal failing sub-history of key "
        f"{_v(r, 'metric.checker.first_failing_key')} — not linearizable, but linearizable "
        "if any one operation (with the reads of its value) is removed. Times in seconds "
        "of the run's monotonic clock; ∞: unknown outcome (a timeout)."
    )
    header = ["process", "op", "value", Cell("invoke", numeric=True),
              Cell("complete", numeric=True), "outcome", "side", "phase"]  # fmt: skip
    return table_html(header, body, caption=caption)


def json_text(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, list | tuple):
        return f"{json_text(value[0])} → {json_text(value[1])}"
    return str(value)


def verdicts(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The checker's verdict per scenario, its witness when violating, and its own speed."""
    found = _records(rows, "scenario")
    checker = _records(rows, "checker")
    if not found and not checker:
        return []
    html = ""
    if found:
        body = []
        for r in found:
            verdict = str(_v(r, "metric.checker.verdict") or "-")
            body.append(
                [
                    Cell(_key(r), css="rowhead"),
                    Cell(verdict, css={"ok": "ok", "violation": "fail"}.get(verdict, "")),
                    Cell(str(int(_v(r, "metric.checker.keys") or 0)), numeric=True),
                    Cell(str(int(_v(r, "metric.checker.keys_violating") or 0)), numeric=True),
                    Cell(str(int(_v(r, "metric.checker.keys_unknown") or 0)), numeric=True),
                    Cell(f"{int(_v(r, 'metric.checker.search_steps') or 0):,}", numeric=True),
                    Cell(f"{1e3 * float(_v(r, 'metric.checker.check_s') or 0):.0f} ms",
                         numeric=True),
                    Cell(str(_v(r, "metric.checker.first_failing_key") or "-")),
                    Cell(str(int(_v(r, "metric.checker.minimal_ops") or 0)), numeric=True),
                    Cell(str(_v(r, "history") or "-")),
                ]
            )  # fmt: skip
        header = ["store/mode scenario", "verdict", Cell("keys", numeric=True),
                  Cell("violating", numeric=True), Cell("undecided", numeric=True),
                  Cell("search steps", numeric=True), Cell("check time", numeric=True),
                  "first failing key", Cell("witness ops", numeric=True), "history"]  # fmt: skip
        caption = (
            "The linearizability checker (Wing-Gong-Lowe search, per key, registers with "
            "compare-and-set) on each scenario's whole history, final reads included: ok, "
            "violation, or unknown when the search budget ran out (undecided keys). The "
            "history (JSON lines) is saved beside the result file, at the path shown. "
            f"{ctx.describe()}."
        )
        html += table_html(header, body, caption=caption)
        for r in found:
            html += _witness_html(r)
    if checker:
        body = [
            [
                Cell(f"{int(r.get('ops') or 0):,} ops, {int(r.get('clients') or 0)} clients, "
                     f"{int(r.get('keys') or 0)} keys", css="rowhead"),
                str(_v(r, "metric.verdict") or "-"),
                Cell(f"{float(r['median']):.2f} s", numeric=True),
                Cell(f"{int(_v(r, 'metric.search_steps') or 0):,}", numeric=True),
            ]
            for r in checker
        ]  # fmt: skip
        caption = (
            "The checker's own speed on a generated history of a linearizable register "
            "store (1% unknown outcomes): time to decide it, median of the rounds. "
            f"{ctx.describe()}."
        )
        header = ["history", "verdict", Cell("time", numeric=True),
                  Cell("search steps", numeric=True)]  # fmt: skip
        html += table_html(header, body, caption=caption)
    return [Block("Linearizability verdicts", ctx.anchor("cap-verdicts"), html)]


# ------------------------------------------------------------------ PBS


def _pbs_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        r
        for r in _records(rows, "pbs")
        if isinstance(_v(r, "metric.t_ms"), list) and _v(r, "metric.observed_stale") is not None
    ]


def _pbs_caption(found: list[dict[str, Any]]) -> str:
    r = found[0]
    med = ", ".join(
        f"{name} {' / '.join(f'{x:.3f}' for x in _v(r, f'metric.median_{name}_ms') or [])}"
        for name in ("write", "ack", "read")
    )
    return (
        "PBS t-visibility on Redis (N=3: a primary and 2 replicas, R=1: one member read, "
        "chosen at random, W swept through WAIT 0/1/2): the probability that a read issued "
        "t ms after the write was acknowledged returns an older value, predicted by PBS's "
        "Monte-Carlo (WARS model) from the latencies measured on the same healthy cluster "
        f"({int(_v(r, 'metric.latency_samples') or 0)} samples per member; medians in ms "
        f"for primary / replica 1 / replica 2: {med}), against the share of "
        f"{int(r.get('trials_per_t') or 0)} write-then-read trials per t observed stale. "
        "The latencies are measured from a Python client, whose own overhead widens them."
    )


def _pbs_axes(ax: Any, w: int, t_ms: list[float]) -> None:
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlim(0, max(t_ms) * 1.1)
    ax.set_xlabel("t after the acknowledgement (ms)", fontsize=8)
    ax.set_ylabel("p(stale read)", fontsize=8)
    ax.set_title(f"W={w} (WAIT {w - 1})", fontsize=9)
    ax.set_ylim(-0.02, 1.02)
    ax.tick_params(labelsize=7)


@draws
def pbs_figure(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Predicted (line) against observed (points) p(stale) over t, one panel per W."""
    found = sorted(_pbs_rows(rows), key=lambda r: int(r["w"]))
    if not found:
        return []
    fig, axes = panels(len(found), height=2.6, width=3.6)
    for ax, r in zip(axes, found):
        ax.plot(r["metric.t_ms"], r["metric.predicted_stale"], lw=1.2, label="predicted (PBS)")
        ax.plot(r["metric.t_ms"], r["metric.observed_stale"], "o", ms=4, label="observed")
        ax.axhline(float(r["metric.k1_stale_closed_form"]), color="grey", lw=0.8, ls=":",
                   label="k=1 closed form (no time)")  # fmt: skip
        _pbs_axes(ax, int(r["w"]), r["metric.t_ms"])
    png = finish(fig, axes, len(found))
    caption = f"{_pbs_caption(found)} {ctx.describe()}."
    html = figure_html(png, alt="PBS predicted against observed", caption=caption)
    return [Block("PBS: predicted against observed", ctx.anchor("cap-pbs-figure"), html)]


def pbs_table(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The numbers behind the PBS figure: per W and t, predicted and observed p(stale)."""
    found = sorted(_pbs_rows(rows), key=lambda r: int(r["w"]))
    if not found:
        return []
    t_ms = found[0]["metric.t_ms"]
    body = []
    for r in found:
        cells: list[Cell | str] = [Cell(f"W={int(r['w'])}", css="rowhead")]
        for p, o in zip(r["metric.predicted_stale"], r["metric.observed_stale"]):
            cells.append(Cell(f"{p:.3f} / {o:.3f}", numeric=True))
        cells.append(Cell(f"{float(r['metric.k1_stale_closed_form']):.3f}", numeric=True))
        body.append(cells)
    header = ["", *(Cell(f"t={t:g} ms", numeric=True) for t in t_ms),
              Cell("k=1 closed form", numeric=True)]  # fmt: skip
    caption = (
        f"Predicted / observed probability of a stale read. {_pbs_caption(found)} {ctx.describe()}."
    )
    return [Block("PBS numbers", ctx.anchor("cap-pbs-table"),
                  table_html(header, body, caption=caption))]  # fmt: skip


def pbs_across(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run side by side: per W a panel, each run's prediction (line) and
    observation (points) in its colour."""
    found = _pbs_rows(rows)
    if not found:
        return []
    labels = run_labels(contexts)
    colors = style.colors_for(labels.values())
    ws = sorted({int(r["w"]) for r in found})
    fig, axes = panels(len(ws), height=2.6, width=3.6)
    for ax, w in zip(axes, ws):
        for r in found:
            if int(r["w"]) != w:
                continue
            run = labels.get(str(r["file"]), str(r["file"]))
            ax.plot(r["metric.t_ms"], r["metric.predicted_stale"], lw=1.2, color=colors[run],
                    label=f"{run}, predicted")  # fmt: skip
            ax.plot(r["metric.t_ms"], r["metric.observed_stale"], "o", ms=4, color=colors[run],
                    label=f"{run}, observed")  # fmt: skip
        _pbs_axes(ax, w, found[0]["metric.t_ms"])
    png = finish(fig, axes, len(ws))
    caption = (
        f"Every run side by side. {_pbs_caption(found)} Runs: "
        + "; ".join(c.describe() for c in contexts)
        + "."
    )
    return [Block("PBS: predicted against observed, every run", "runs-cap-pbs",
                  figure_html(png, alt="PBS of every run", caption=caption))]  # fmt: skip


def unsupported_note(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The cap rows this run could not measure, with their reasons."""
    missing = [u for u in ctx.run.commbench.get("unsupported") or [] if u.get("family") == "cap"]
    if not missing:
        return []
    text = "; ".join(f"{u.get('subject')}: {u.get('reason')}" for u in missing)
    return [Block("Not measured", ctx.anchor("cap-unsupported"),
                  paragraph(f"Not measured in this run — {text}"))]  # fmt: skip


def _md_row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def markdown(rows: pd.DataFrame, ctx: RunContext) -> str:
    """``--format md``: consistency against availability per scenario, then PBS."""
    lines = [f"{ctx.describe()}."]
    found = _records(rows, "scenario")
    if found:
        header = ["store/mode", "scenario", "avail. minority (during)",
                  "avail. majority (during)", "stale reads", "acked writes lost",
                  "unknown", "recovery", "linearizable?"]  # fmt: skip
        lines += ["", f"Consistency against availability. {_conditions(found)}", ""]
        lines += [_md_row(header), "|" + "---|" * len(header)]
        for r in found:
            recovery = _v(r, "metric.recovery_s")
            lines.append(
                _md_row([
                    f"{r.get('store', r['subject'])}/{r.get('mode')}", r.get("scenario"),
                    _pct(_v(r, "metric.availability.minority.during")),
                    _pct(_v(r, "metric.availability.majority.during")),
                    _stale(r)[0], _lost(r)[0], int(_v(r, "metric.unknown_ops") or 0),
                    "never" if recovery is None else f"{recovery:.1f} s",
                    _v(r, "metric.checker.verdict") or "-",
                ])
            )  # fmt: skip
    pbs_rows = sorted(_pbs_rows(rows), key=lambda r: int(r["w"]))
    if pbs_rows:
        t_ms = pbs_rows[0]["metric.t_ms"]
        header = ["W", *(f"t={t:g} ms" for t in t_ms), "k=1 closed form"]
        lines += ["", f"Predicted / observed p(stale read). {_pbs_caption(pbs_rows)}", ""]
        lines += [_md_row(header), "|" + "---|" * len(header)]
        for r in pbs_rows:
            pairs = zip(r["metric.predicted_stale"], r["metric.observed_stale"])
            lines.append(_md_row([int(r["w"]), *(f"{p:.3f} / {o:.3f}" for p, o in pairs),
                                  f"{float(r['metric.k1_stale_closed_form']):.3f}"]))  # fmt: skip
    return "\n".join(lines) + "\n"


BUILDERS = [c_against_a, verdicts, pbs_table, timelines, pbs_figure, unsupported_note]
"""Callables ``(rows, ctx) -> list[Block]`` for the cap section, in page order."""

ACROSS_BUILDERS = [c_against_a_across, timelines_across, pbs_across]
"""Callables ``(rows, [ctx]) -> list[Block]`` drawing every run at once."""

__all__ = ["ACROSS_BUILDERS", "BUILDERS", "esc"]
