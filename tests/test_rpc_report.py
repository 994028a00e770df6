"""The rpc report section on a small committed result file (tests/data/rpc_small.json).

The file is a quick run of bench/test_rpc.py as `commbench run --suite rpc --profile quick`
wrote it (latency as HdrHistograms, raw samples only under 100 rounds), saved without
indentation so it stays small; every builder must render from it, and none from nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from commbench.report import rpc
from commbench.report.page.blocks import RunContext
from commbench.results import load_run, tidy
from commbench.rpc.byref import crossover_bytes

DATA = Path(__file__).parent / "data" / "rpc_small.json"
EXPECTED_TITLES = (
    "call latency against size",
    "marshalling share",
    "ratios",
    "throughput against latency",
    "references",
    "by value against by reference",
    "calls under server faults",
    "faults, duplicates",
    "TLS",
)


@pytest.fixture(scope="module")
def context() -> tuple[pd.DataFrame, RunContext]:
    run = load_run(DATA)
    ctx = RunContext(run, 0, True, tidy([run]))
    return ctx.rows("rpc"), ctx


def test_file_is_small_and_every_builder_renders(context) -> None:
    assert DATA.stat().st_size < 300_000
    rows, ctx = context
    titles = []
    for builder in rpc.BUILDERS:
        for block in builder(rows, ctx):
            assert block.anchor.startswith("run0-rpc-") and block.html
            titles.append(block.title)
    for expected in EXPECTED_TITLES:
        assert any(expected in t for t in titles), expected


def test_every_figure_has_a_caption_with_its_conditions(context) -> None:
    rows, ctx = context
    for builder in rpc.BUILDERS:
        for block in builder(rows, ctx):
            for caption in re.findall(r"<figcaption>(.*?)</figcaption>", block.html):
                assert "Loopback, placement" in caption and "profile quick" in caption


def test_references_are_marked_pass_or_miss_by_their_ratio(context) -> None:
    rows, ctx = context
    (block,) = rpc.references_block(rows, ctx)
    refs = rows[rows["measure"] == "reference"]
    assert len(refs) == block.html.count("<tr>") - 1
    for r in refs.to_dict("records"):
        want = "PASS" if abs(r["metric.ratio"] - 1) <= r["metric.tolerance"] else "MISS"
        assert r["metric.verdict"] == want
    assert block.html.count(">PASS<") + block.html.count(">MISS<") == len(refs)


def test_the_crossover_shown_is_the_rule_applied_to_the_stored_timings(context) -> None:
    rows, ctx = context
    for r in rows[rows["measure"] == "by-reference"].to_dict("records"):
        again = crossover_bytes(r["sizes_bytes"], r["metric.value_p50_ns"],
                                r["metric.reference_p50_ns"])  # fmt: skip
        assert again == r["metric.crossover_bytes"]
    (block,) = rpc.byref_block(rows, ctx)
    assert " B</td>" in block.html or "never" in block.html


def test_no_rows_no_blocks(context) -> None:
    rows, ctx = context
    empty = rows.iloc[0:0]
    for builder in rpc.BUILDERS[:-1]:  # the last reads the file's unsupported list
        assert builder(empty, ctx) == [], builder.__name__


def test_several_runs_side_by_side(tmp_path: Path) -> None:
    """Two result files: one figure each for latency and load with a colour per run; the
    per-run figures give way to them and the per-run tables stay."""
    import shutil
    from dataclasses import replace

    from commbench.results import flat

    other = tmp_path / "second.json"
    shutil.copy(DATA, other)
    runs = [load_run(DATA), load_run(other)]
    table = tidy(runs)
    contexts = [RunContext(run, i, False, table) for i, run in enumerate(runs)]
    rows = flat(table[table["family"] == "rpc"])
    blocks = [block for build in rpc.ACROSS_BUILDERS for block in build(rows, contexts)]
    assert [b.title for b in blocks] == [
        "RPC: call latency against size, every run",
        "RPC: throughput against latency, every run",
    ]
    for block in blocks:
        assert block.html.count("<img") == 1
        assert all(ctx.describe() in block.html for ctx in contexts)
    mine = rows[rows["file"] == str(runs[0].path)]
    assert rpc.BUILDERS[0](mine, contexts[0]) == []  # latency figure: drawn across runs
    assert rpc.BUILDERS[1](mine, contexts[0])  # its table stays
    assert rpc.BUILDERS[0](mine, replace(contexts[0], draw=True))  # alone, it draws
    one = flat(tidy(runs[:1]))
    assert [b for build in rpc.ACROSS_BUILDERS for b in build(one.iloc[0:0], contexts)] == []


def test_the_rpc_report_draws_through_the_plotting_helpers_only() -> None:
    sources = Path(rpc.__file__).parent.glob("*.py")
    for source in sources:
        text = source.read_text()
        assert "import matplotlib.pyplot" not in text and "plt." not in text, source.name


def test_what_was_not_measured_is_said_with_its_reason(context) -> None:
    from dataclasses import replace

    rows, ctx = context
    block = dict(ctx.run.commbench)
    block["unsupported"] = [*block.get("unsupported", []),
                            {"family": "rpc", "subject": "thrift", "params": {},
                             "reason": "no Thrift struct for payload github"}]  # fmt: skip
    run = replace(ctx.run, commbench=block)
    (note,) = rpc.unsupported_note(rows, replace(ctx, run=run))
    assert note.title == "RPC: not measured" and "no Thrift struct for payload github" in note.html


def test_compression_table_pairs_plain_and_gzip_per_payload_and_codec() -> None:
    from commbench.report.rpc.compression import compression_block

    ctx = RunContext(load_run(DATA), 0)
    rows = pd.DataFrame(
        [
            {"measure": "compression", "subject": fw, "payload": "rpc", "compression": c,
             "placement": "cross-core", "path": "localhost", "metric.p50_ns": p50,
             "metric.message_bytes": 200, "metric.wire_message_bytes": wire}
            for fw, c, p50, wire in (
                ("connect-json", "none", 100_000.0, 200),
                ("connect-json", "gzip", 150_000.0, 160),
                ("connect-proto", "none", 80_000.0, 200),  # no gzip twin: not shown
            )
        ]
    )  # fmt: skip
    [block] = compression_block(rows, ctx)
    assert block.anchor == "run0-rpc-compression"
    assert block.html.count("<tr>") == 2  # the header and connect-json's row
    assert ">200<" in block.html and ">160<" in block.html and "1.5" in block.html
    assert compression_block(rows[rows["compression"] == "none"], ctx) == []
