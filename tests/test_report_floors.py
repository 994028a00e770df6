"""The native-floors section: each transport beside its C floor, the interpreter's share
and the suite-loop check, on synthetic rows and on a small committed run
(``tests/data/floors_small.json``: quick profile, 64 B and 4 KiB, latency + floors +
references, measured on the project VM)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from commbench.report import render_html, render_tables
from commbench.report.transports.floors import LOOP_TARGET, floor_table
from commbench.results import flat, load_results

DATA = Path(__file__).parent / "data"
FLOORS = DATA / "floors_small.json"
KEYS = {"placement": "same-core", "path": "localhost"}


def _row(family: str, subject: str, size: int, p50_ns: float, **params) -> dict:
    return {
        "file": "f.json",
        "family": family,
        "subject": subject,
        "transport": subject,
        "size_bytes": size,
        **KEYS,
        "metric.one_way_p50_ns": p50_ns,
        **params,
    }


def test_floor_table_joins_python_floor_tools_and_loop_check() -> None:
    latency = pd.DataFrame(
        [_row("latency", "tcp", 64, 10_000.0), _row("latency", "uds", 64, 8_000.0)]
    )
    floors = pd.DataFrame(
        [
            _row("floor", "tcp", 64, 7_000.0, tool="c-helper"),
            _row("floor", "tcp", 64, 7_100.0, tool="sockperf"),
            {**_row("floor", "tcp", 64, float("nan"), tool="qperf"),
             "metric.one_way_mean_ns": 7_300.0},
        ]
    )  # fmt: skip
    references = pd.DataFrame(
        [{"subject": "tcp", "reference": "hand-written Python ping-pong", "size_bytes": 64,
          "metric.ratio": 1.04, **KEYS}]
    )  # fmt: skip
    table = floor_table(latency, floors, references)
    assert list(table["transport"]) == ["tcp"]  # uds has no floor: left out, not invented
    row = table.iloc[0]
    assert row["python_ns"] == 10_000 and row["floor_ns"] == 7_000
    assert row["interpreter_ns"] == 3_000
    assert row["python_over_floor"] == pytest.approx(10 / 7)
    assert row["interpreter_share"] == pytest.approx(0.3)
    assert row["sockperf_ns"] == 7_100 and row["qperf_ns"] == 7_300  # qperf: its mean
    assert row["loop_ratio"] == 1.04


def test_floor_table_is_empty_without_floors() -> None:
    latency = pd.DataFrame([_row("latency", "tcp", 64, 10_000.0)])
    assert floor_table(latency, pd.DataFrame(), pd.DataFrame()).empty


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("floors") / "report.html"
    return render_html([FLOORS], out).read_text(encoding="utf-8")


def test_page_draws_each_floor_beside_its_transport(page: str) -> None:
    start = page.index('<section id="run0-native-floors">')
    block = page[start : page.find("<section id=", start + 1)]
    assert 'src="data:image/png;base64,' in block
    assert "interpreter" in block and "same run" in block


def test_page_states_the_share_and_loop_check_from_the_rows(page: str) -> None:
    table = flat(load_results([FLOORS]).table())
    lat = table[(table["family"] == "latency") & (table["subject"] == "tcp")]
    flo = table[(table["family"] == "floor") & (table["subject"] == "tcp")]
    at = {"placement": "same-core", "size_bytes": 64}
    python = lat[(lat["placement"] == "same-core") & (lat["size_bytes"] == 64)]
    floor = flo[(flo["tool"] == "c-helper") & (flo["placement"] == "same-core")
                & (flo["size_bytes"] == 64)]  # fmt: skip
    ratio = python["metric.one_way_p50_ns"].iloc[0] / floor["metric.one_way_p50_ns"].iloc[0]
    start = page.index('<section id="run0-floor-table">')
    block = page[start : page.find("<section id=", start + 1)]
    assert f"{ratio:.2f}×" in block, at
    verdicts = re.findall(r"(\d\.\d\d) (PASS|MISS)", block)
    assert verdicts, "no suite-loop check in the table"
    for value, verdict in verdicts:
        assert (float(value) <= LOOP_TARGET) == (verdict == "PASS")


def test_markdown_has_the_share_table() -> None:
    md = render_tables([FLOORS], "md")
    assert "| transport | placement | size | Python p50 | C floor p50 |" in md
    assert "| tcp | same-core | 64 B |" in md


def test_two_runs_draw_one_figure_and_keep_each_table(tmp_path: Path) -> None:
    second = tmp_path / "second.json"
    second.write_bytes(FLOORS.read_bytes())
    html = render_html([FLOORS, second], tmp_path / "two.html").read_text(encoding="utf-8")
    start = html.index('<section id="runs-native-floors">')
    assert 'src="data:image/png;base64,' in html[start : html.find("</section>", start)]
    assert '<section id="run0-native-floors">' not in html  # per-run figure gives way
    assert '<section id="run0-floor-table">' in html and '<section id="run1-floor-table">' in html
