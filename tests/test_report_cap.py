"""The cap report section on a small committed result file (tests/data/cap_small.json, a
real quick run of the cap suite: etcd linearizable and serializable, Redis async and NATS
KV with the leader isolated, PBS on Redis for W=1..3, the checker's own benchmark; in it
etcd's serializable reads and async Redis were caught non-linearizable). The histories it
names are not committed: the section renders from the file alone."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from commbench.report import cap
from commbench.report.page.blocks import RunContext
from commbench.report.page.sections import build_sections
from commbench.results import load_run, tidy

DATA = Path(__file__).parent / "data" / "cap_small.json"
TITLES = [
    "Consistency against availability",
    "Linearizability verdicts",
    "PBS numbers",
    "Timelines",
    "PBS: predicted against observed",
]


@pytest.fixture(scope="module")
def golden() -> tuple[pd.DataFrame, RunContext]:
    run = load_run(DATA)
    ctx = RunContext(run, 0, True, tidy([run]))
    return ctx.rows("cap"), ctx


def scenario(rows: pd.DataFrame, store: str, mode: str) -> pd.Series:
    hit = rows[(rows["subject"] == store) & (rows["mode"] == mode)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_the_golden_file_is_small_and_holds_every_kind_of_row(golden) -> None:
    rows, _ = golden
    assert DATA.stat().st_size < 300_000
    assert set(rows["subject"]) == {"etcd", "redis", "nats", "redis-pbs", "checker"}
    assert sorted(rows.loc[rows["subject"] == "redis-pbs", "w"].astype(int)) == [1, 2, 3]
    # the facts the section shows: linearizable etcd lost and staled nothing, async Redis
    # with its primary isolated lost acknowledged writes and the checker caught it
    etcd = scenario(rows, "etcd", "linearizable")
    assert etcd["metric.stale_reads"] == 0 and etcd["metric.writes_lost"] == 0
    assert etcd["metric.checker.verdict"] == "ok"
    redis = scenario(rows, "redis", "async")
    assert redis["metric.writes_lost"] > 0 and redis["metric.checker.verdict"] == "violation"
    assert redis["metric.checker.minimal_ops"] == len(redis["metric.checker.witness"]) > 0


def test_every_builder_makes_its_block_with_a_captioned_figure(golden) -> None:
    rows, ctx = golden
    blocks = [b for build in cap.BUILDERS for b in build(rows, ctx)]
    assert [b.title for b in blocks] == TITLES
    for b in blocks:
        assert b.anchor.startswith("run0-cap-") and b.html
        for caption in re.findall(r"<(?:figcaption|caption)>(.*?)</", b.html):
            assert "profile quick" in caption or "minimal failing" in caption, caption
    figures = [b for b in blocks if "<figure>" in b.html]
    assert len(figures) == 2
    assert "phases 2 s before, 5 s during" in figures[0].html  # the timeline's conditions


def test_the_c_against_a_table_marks_stale_reads_and_lost_writes_red(golden) -> None:
    rows, ctx = golden
    html = cap.c_against_a(rows, ctx)[0].html
    lines = html.split("<tr>")[2:]
    assert len(lines) == 4
    redis = next(line for line in lines if "redis/async" in line)
    etcd = next(line for line in lines if "etcd/linearizable" in line)
    r = scenario(rows, "redis", "async")
    assert f"{int(r['metric.writes_lost'])} of {int(r['metric.writes_probed'])} probed" in redis
    assert redis.count('class="num fail"') == 2 and 'class="fail">violation' in redis
    assert 'class="num fail"' not in etcd
    tampered = rows.copy()
    hit = (tampered["subject"] == "etcd") & (tampered["mode"] == "linearizable")
    tampered.loc[hit, "metric.stale_reads"] = 7
    again = cap.c_against_a(tampered, ctx)[0].html.split("<tr>")[2:]
    assert "7 of" in next(line for line in again if "etcd/linearizable" in line)
    assert 'class="num fail"' in next(line for line in again if "etcd/linearizable" in line)


def test_a_violation_shows_its_minimal_sub_history(golden) -> None:
    rows, ctx = golden
    html = cap.verdicts(rows, ctx)[0].html
    r = scenario(rows, "redis", "async")
    head = "redis/async leader-isolated: the minimal failing sub-history of key "
    assert head + str(r["metric.checker.first_failing_key"]) in html
    witness = html.split(head)[1].split("</table>")[0]
    assert witness.count("<tr>") == 1 + len(r["metric.checker.witness"])
    for o in r["metric.checker.witness"]:
        assert f"{o['invoke_s']:.4f}" in witness
    # one witness per violating row, none for the linearizable ones
    violating = (rows["metric.checker.verdict"] == "violation").sum()
    assert violating >= 1 and html.count("minimal failing sub-history") == violating


def test_pbs_table_shows_predicted_and_observed_per_t(golden) -> None:
    rows, ctx = golden
    html = cap.pbs_table(rows, ctx)[0].html
    pbs = rows[rows["subject"] == "redis-pbs"].sort_values("w")
    for _, r in pbs.iterrows():
        line = html.split(f">W={int(r['w'])}<")[1].split("</tr>")[0]
        for p, o in zip(r["metric.predicted_stale"], r["metric.observed_stale"]):
            assert f"{p:.3f} / {o:.3f}" in line
        assert f"{r['metric.k1_stale_closed_form']:.3f}" in line
    assert pbs["metric.predicted_stale"].iloc[-1] == [0.0] * len(pbs["metric.t_ms"].iloc[0])


def test_several_runs_go_side_by_side(golden, tmp_path: Path) -> None:
    second = tmp_path / "cap_second.json"
    shutil.copy(DATA, second)
    runs = [load_run(DATA), load_run(second)]
    table = tidy(runs)
    contexts = [RunContext(run, i, True, table) for i, run in enumerate(runs)]
    sections = [s for s in build_sections(table, contexts) if s.family == "cap"]
    assert len(sections) == 1
    section = sections[0]
    assert [b.title for b in section.across] == [
        "Consistency against availability, every run",
        "Timelines, every run",
        "PBS: predicted against observed, every run",
    ]
    header = section.across[0].html.split("</thead>")[0]
    assert "cap_small" in header and "cap_second" in header
    # per run: the tables stay, the per-run figures give way to the ones above
    for _, blocks in section.parts:
        titles = [b.title for b in blocks]
        assert "Consistency against availability" in titles and "Timelines" not in titles
    for block in section.across[1:]:
        assert "<figcaption>" in block.html and "Runs:" in block.html


def test_no_rows_no_blocks(golden) -> None:
    rows, ctx = golden
    empty = rows.iloc[0:0]
    assert all(build(empty, ctx) == [] for build in cap.BUILDERS)
    assert all(build(empty, [ctx]) == [] for build in cap.ACROSS_BUILDERS)
    quiet = replace(ctx, draw=False)
    assert [b.title for build in cap.BUILDERS for b in build(rows, quiet)] == [
        "Consistency against availability",
        "Linearizability verdicts",
        "PBS numbers",
    ]


def test_markdown_has_the_c_against_a_rows_and_the_pbs_sweep(golden) -> None:
    rows, ctx = golden
    text = cap.markdown(rows, ctx)
    redis = next(line for line in text.splitlines() if line.startswith("| redis/async"))
    r = scenario(rows, "redis", "async")
    assert f"| {int(r['metric.stale_reads'])} of {int(r['metric.reads_ok'])} |" in redis
    assert redis.endswith("| violation |")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 2 + 4 + 3  # two headers, 4 scenarios, 3 values of W
    assert "profile quick" in text and cap.markdown(rows.iloc[0:0], ctx).count("|") == 0
