"""The messaging report section on a small committed result (tests/data/messaging-tiny.json,
a real run of bench/test_messaging.py with --messaging-profile tiny)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commbench.report.messaging import BUILDERS, loss_matrix, persistence_cost, table_2x2
from commbench.report.page.blocks import RunContext
from commbench.results import load_run, tidy

DATA = Path(__file__).parent / "data" / "messaging-tiny.json"


@pytest.fixture(scope="module")
def golden():
    run = load_run(DATA)
    table = tidy([run])
    ctx = RunContext(run, 0, table=table)
    return ctx.rows("messaging"), ctx


def test_the_golden_file_is_small_and_every_crash_row_balances(golden) -> None:
    rows, _ = golden
    assert DATA.stat().st_size < 300_000
    crash = rows[rows["measure"] == "crash"]
    assert len(crash) == 4
    assert crash["metric.balanced"].all()
    assert (crash["metric.received"] == crash["metric.distinct"] + crash["metric.duplicated"]).all()
    assert (
        crash["metric.sent"] == crash["metric.acknowledged"] + crash["metric.unacknowledged"]
    ).all()


def test_every_builder_makes_its_block(golden) -> None:
    rows, ctx = golden
    titles = [b.title for build in BUILDERS for b in build(rows, ctx)]
    assert titles == [
        "Synchronous/asynchronous × transient/persistent",
        "Loss matrix",
        "Cost of persistence",
        "End-to-end latency CDFs",
        "Crash timelines",
    ]


def test_the_2x2_table_places_each_mode_in_its_cell(golden) -> None:
    rows, ctx = golden
    html = table_2x2(rows, ctx)[0].html
    sync_row = html.split("<tr>")[2]
    async_row = html.split("<tr>")[3]
    assert "nats/js-always" in sync_row and "nats/core:" in async_row
    assert "nats/core:" not in sync_row


def test_the_loss_matrix_marks_acknowledged_losses_red(golden) -> None:
    rows, ctx = golden
    html = loss_matrix(rows, ctx)[0].html
    assert 'class="fail"' not in html  # JetStream always lost nothing acknowledged
    assert "sent lost" in html  # core NATS counts per sent message
    tampered = rows.copy()
    hit = (tampered["measure"] == "crash") & (tampered["mode"] == "js-always")
    tampered.loc[hit, "metric.lost"] = 3
    assert html.count('class="ok"') == 4
    assert loss_matrix(tampered, ctx)[0].html.count('class="fail"') == int(hit.sum())


def test_persistence_cost_is_a_ratio_to_the_transient_mode(golden) -> None:
    rows, ctx = golden
    html = persistence_cost(rows, ctx)[0].html
    lat = rows[rows["measure"] == "e2e-latency"].set_index("mode")["metric.p50_ns"]
    assert f"{lat['js-always'] / lat['core']:.2f}×" in html


def test_no_rows_no_blocks(golden) -> None:
    rows, ctx = golden
    assert all(build(rows.iloc[0:0], ctx) == [] for build in BUILDERS)
