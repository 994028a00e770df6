"""The messaging report section on a small committed result (tests/data/messaging-tiny.json,
a real run of bench/test_messaging.py with --messaging-profile tiny)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from commbench.report.messaging import (
    ACROSS_BUILDERS,
    BUILDERS,
    loss_matrix,
    max_rate_table,
    persistence_cost,
    rank_kill,
    table_2x2,
)
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
        "A killed process: MPI job against broker",
        "Cost of persistence",
        "Maximum sustainable rate",
        "Rate against latency",
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


def test_the_rank_kill_row_sits_beside_the_brokers_consumer_kill(golden) -> None:
    rows, ctx = golden
    [mpi] = rows[rows["measure"] == "rank-kill"].to_dict("records")
    assert mpi["metric.survivors"] == mpi["ranks"] - 1 == 3
    assert 0 <= mpi["metric.survivors_aborted"] <= mpi["metric.survivors"]
    assert isinstance(mpi["metric.survivor_saw"], str) and mpi["metric.abort_s"] > 0
    html = rank_kill(rows, ctx)[0].html
    body = html.split("<tbody>")[1].split("<tr>")[1:]
    assert body[0].startswith('<td class="rowhead">mpi, 4 ranks, hydra-default')
    assert mpi["metric.survivor_saw"] in body[0]
    consumer = [r for r in body if "consumer SIGKILLed, restarted" in r]
    assert len(consumer) == int(
        ((rows["measure"] == "crash") & (rows["fault"] == "consumer-kill")).sum()
    )
    assert any("nats/js-always" in r for r in consumer)


def test_max_rate_rows_follow_the_search(golden) -> None:
    rows, ctx = golden
    [found] = rows[rows["measure"] == "max-rate"].to_dict("records")
    trials = found["metric.trials"]
    sustained = [t["rate_per_s"] for t in trials if t["sustained"]]
    assert found["metric.max_rate_per_s"] == max(sustained)
    assert len(trials) <= found["search_trials"]
    points = rows[rows["measure"] == "rate-latency"]
    assert sorted(points["fraction"]) == [0.5, 0.95]
    expected = sorted(f * found["metric.max_rate_per_s"] for f in points["fraction"])
    assert sorted(points["rate_per_s"]) == pytest.approx(expected)
    html = max_rate_table(rows, ctx)[0].html
    assert f"{found['metric.max_rate_per_s']:,.0f} msg/s" in html
    assert "p50 / p99 at 95%" in html


def test_several_runs_go_side_by_side(golden) -> None:
    """Two result files: one figure per across builder (every run in it), and the
    per-run figures give way while the tables stay."""
    from dataclasses import replace

    from commbench.report.page.sections import build_sections
    from commbench.results import flat

    first = load_run(DATA)
    second = replace(first, path=str(DATA.with_name("messaging-tiny-again.json")))
    table = tidy([first, second])
    contexts = [RunContext(first, 0, table=table), RunContext(second, 1, table=table)]
    rows = flat(table[table["family"] == "messaging"])
    assert set(rows["file"]) == {str(DATA), second.path}
    across = [b for build in ACROSS_BUILDERS for b in build(rows, contexts)]
    assert [b.title for b in across] == [
        "Messaging, every run",
        "Rate against latency, every run",
        "End-to-end latency CDFs, every run",
        "Crash backlogs, every run",
    ]
    summary = across[0].html
    assert summary.count("<th>") >= 3  # system/mode and one column per run
    [section] = [s for s in build_sections(table, contexts) if s.family == "messaging"]
    assert [b.title for b in section.across] == [b.title for b in across]
    per_run = [b.title for _, blocks in section.parts for b in blocks]
    assert "Rate against latency" not in per_run and "Crash timelines" not in per_run
    assert per_run.count("Loss matrix") == 2 and per_run.count("Maximum sustainable rate") == 2


def test_pullers_table_gives_each_share_and_flags_duplicates() -> None:
    from commbench.report.messaging.pullers import puller_shares, pullers_block
    from commbench.report.page.blocks import RunContext
    from commbench.results import load_run

    assert puller_shares([30, 10]) == [0.75, 0.25] and puller_shares([0, 0]) == []
    ctx = RunContext(load_run(DATA), 0)
    rows = pd.DataFrame(
        [
            {"measure": "pullers", "metric.deliveries_per_puller": [600, 400],
             "metric.duplicated": 0},
            {"measure": "pullers", "metric.deliveries_per_puller": [250] * 4,
             "metric.duplicated": 3},
            {"measure": "e2e-latency", "metric.deliveries_per_puller": None,
             "metric.duplicated": 0},
        ]
    )  # fmt: skip
    [block] = pullers_block(rows, ctx)
    assert block.anchor == "run0-msg-pullers"
    assert "600 / 400" in block.html and "60.0% / 40.0%" in block.html
    assert "10.0%" in block.html  # the 2-puller gap to a fair 50%
    assert '<td class="num slower">3</td>' in block.html
    assert pullers_block(rows[rows["measure"] != "pullers"], ctx) == []


def test_the_loss_matrix_says_why_and_when_the_broker_did_not_restart(golden) -> None:
    """A broker that never came back makes its whole backlog count as lost: the cell says
    so; a broker fault's hover says what the broker had on disk at the ack."""
    rows, ctx = golden
    html = loss_matrix(rows, ctx)[0].html
    assert "at the ack: fsynced before the ack (sync_interval: always)" in html
    assert "did not restart" not in html
    tampered = rows.copy()
    hit = (tampered["measure"] == "crash") & (tampered["fault"] == "broker-kill")
    tampered["metric.errors"] = tampered["metric.errors"].astype(object)
    for index in tampered.index[hit]:
        tampered.at[index, "metric.errors"] = ["broker did not restart: rabbitmq: exited"]
    assert loss_matrix(tampered, ctx)[0].html.count("broker did not restart") == int(hit.sum())
