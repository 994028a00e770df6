"""The references (PASS or MISS), by value against by reference, calls under server
faults, and what was not measured. Builders as in :mod:`.calls`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    paragraph,
    table_html,
)
from commbench.report.plotting import finish, panels, size_axis
from commbench.report.rpc.common import conditions, has, measure, ratio, seconds_axis, us


def _verdict(text: str) -> Cell:
    return Cell(text, css="pass" if text == "PASS" else "miss")


def references_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Side-by-side references, each marked PASS or MISS against its target."""
    rows = measure(rows, "reference")
    if not has(rows, "metric.ratio"):
        return []
    body = [
        [r["subject"], str(r["reference"]), str(r.get("payload")),
         Cell(us(r["metric.suite_p50_ns"]), numeric=True),
         Cell(us(r["metric.reference_p50_ns"]), numeric=True),
         Cell(ratio(r["metric.ratio"]), numeric=True),
         f"±{r['metric.tolerance']:.0%}", _verdict(str(r["metric.verdict"]))]
        for r in rows.to_dict("records")
    ]  # fmt: skip
    header = ["suite", "reference", "payload", "suite p50", "reference p50", "ratio", "target",
              "verdict"]  # fmt: skip
    caption = (
        "Each pair run alternately (best of each compared). gRPC against a minimal hand-written "
        "grpcio client and server (target ±10%); the raw TCP call against a TCP round trip of "
        "the request's size plus the codec work of one echo (target ±20%). "
        f"{conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption)
    return [Block("RPC: references", ctx.anchor("rpc-references"), html)]


# ------------------------------------------------------------------ by reference


def _crossover_text(value: object) -> str:
    return "never" if value is None or pd.isna(value) else f"{value:,.0f} B"


def byref_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """By value against by reference over the size sweep, and the crossover."""
    rows = measure(rows, "by-reference")
    if not has(rows, "metric.value_p50_ns", "sizes_bytes"):
        return []
    records = rows.to_dict("records")
    html = ""
    if ctx.draw:
        fig, axes = panels(len(records), height=3.2, width=4.2)
        for ax, r in zip(axes, records):
            sizes = np.asarray(r["sizes_bytes"], dtype=float)
            ax.plot(sizes, np.asarray(r["metric.value_p50_ns"]) / 1e9, marker="o", ms=3,
                    label="by value")  # fmt: skip
            ax.plot(sizes, np.asarray(r["metric.reference_p50_ns"]) / 1e9, marker="s", ms=3,
                    label="by reference (shared memory)")  # fmt: skip
            cross = r.get("metric.crossover_bytes")
            if cross is not None and pd.notna(cross):
                ax.axvline(cross, color="gray", linestyle="--", label="crossover")
            size_axis(ax, sizes)
            ax.set_xlabel("object (log)", fontsize=9)
            seconds_axis(ax)
            ax.set_ylabel("p50 call (log)", fontsize=9)
            ax.set_title(f"{r['subject']}, reads {r['access']}", fontsize=10)
        caption = (
            "Read(object, fraction): the object passed inline (by value) or as a handle to a "
            "multiprocessing.shared_memory segment (by reference); the callee reads all of it "
            "or 1%. Dashed: the crossover size from which the reference is faster. "
            f"{conditions(rows, ctx)}"
        )
        png = finish(fig, axes, len(records))
        html += figure_html(png, alt="by value against by reference", caption=caption)
    body = [[r["subject"], str(r["access"]),
             Cell(_crossover_text(r.get("metric.crossover_bytes")), numeric=True)]
            for r in records]  # fmt: skip
    html += table_html(["framework", "callee reads", "reference wins from"], body)
    return [Block("RPC: by value against by reference", ctx.anchor("rpc-byref"), html)]


# ------------------------------------------------------------------ faults


@draws
def fault_timeline_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Calls/s and failures over time per framework and fault, kill/pause and recovery marked."""
    rows = measure(rows, "faults")
    if not has(rows, "metric.timeline"):
        return []
    rows = rows[rows["retry_policy"] == "none"] if (rows["retry_policy"] == "none").any() else rows
    records = rows.to_dict("records")
    fig, axes = panels(len(records), height=2.8, width=3.6, cols=4)
    for ax, r in zip(axes, records):
        t = r["metric.timeline"]
        ax.plot(t["t_s"], t["ok_per_s"], color="#1b9e77", label="ok/s")
        ax.plot(t["t_s"], t["failed_per_s"], color="#d95f02", label="failed/s")
        ax.axvline(r["metric.fault_at_s"], color="red", linestyle="--", label="fault")
        recovered = r.get("metric.recovered_at_s")
        if recovered is not None and pd.notna(recovered):
            ax.axvline(recovered, color="green", linestyle="--", label="restart / SIGCONT")
        ax.set_xlabel("s", fontsize=9)
        ax.set_ylabel("calls/s", fontsize=9)
        ax.set_title(f"{r['subject']}: {r['fault']}", fontsize=9)
    caption = (
        "Calls per second that succeeded and failed (50 ms bins) while the server is SIGKILLed "
        "and restarted (kill) or SIGSTOPped and continued (pause), no retry. Red dashed: the "
        f"fault; green dashed: restart done / SIGCONT sent. {conditions(rows, ctx)}"
    )
    png = finish(fig, axes, len(records))
    html = figure_html(png, alt="fault timelines", caption=caption)
    return [Block("RPC: calls under server faults", ctx.anchor("rpc-fault-timeline"), html)]


def fault_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Success rate, errors seen, recovery time and duplicates per framework/fault/policy."""
    rows = measure(rows, "faults")
    if not has(rows, "metric.success_rate"):
        return []
    body = []
    for r in rows.to_dict("records"):
        errors = r.get("metric.errors") or {}
        seen = ", ".join(f"{k} ×{v}" for k, v in sorted(errors.items())) or "none"
        rec = r.get("metric.recovery_s")
        body.append([
            r["subject"], str(r["fault"]), str(r["retry_policy"]),
            Cell(f"{r['metric.success_rate']:.2%}", numeric=True),
            Cell(f"{int(r['metric.calls']):,}", numeric=True), seen,
            Cell(us(r.get("metric.p99_during_fault_ns")), numeric=True),
            Cell("-" if rec is None or pd.isna(rec) else f"{rec * 1e3:,.0f} ms", numeric=True),
            Cell(str(int(r["metric.duplicates"])), numeric=True),
            Cell(str(int(r["metric.failed_but_executed"])), numeric=True),
        ])  # fmt: skip
    header = ["framework", "fault", "retry", "success", "calls", "errors seen",
              "p99 during fault", "recovery", "executed twice", "failed but executed"]  # fmt: skip
    caption = (
        "Duplicates are counted from the request ids the server appends to a file before it "
        "replies (survives SIGKILL). Recovery: from restart done / SIGCONT to the end of the "
        "first successful call. app-retry retries with the same id and exponential backoff "
        "(at least once); none makes one attempt (at most once; a failed call may still have "
        f"run). {conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption)
    return [Block("RPC: faults, duplicates and success", ctx.anchor("rpc-faults"), html)]


def unsupported_note(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Frameworks recorded as unsupported in this run, with the reason."""
    found = [u for u in ctx.run.commbench.get("unsupported", []) if u.get("family") == "rpc"]
    if not found:
        return []
    reasons: dict[str, str] = {}
    for u in found:
        reasons.setdefault(u["subject"], u["reason"])
    text = "; ".join(f"{s}: {r}" for s, r in reasons.items())
    html = paragraph(f"Not measured in this run: {text}.")
    return [Block("RPC: not measured", ctx.anchor("rpc-unsupported"), html)]
