"""The report: HTML sections, captions, embedded figures, offline-ness, tables."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import commbench.report as report
from commbench.claims import CLAIMS
from commbench.errors import UserError
from commbench.report import render_html, render_tables
from commbench.report.marshalling import short_reason
from commbench.report.marshalling.figures import pareto_front
from commbench.report.marshalling.tables import summary_frame
from commbench.report.page import sections
from commbench.results import flat, load_results
from commbench.stats import stability_warnings

DATA = Path(__file__).parent / "data"
RUN_A = DATA / "run_a.json"
RUN_B = DATA / "run_b.json"
PNG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
BLOCKS = {
    "marshalling-time": "Time per call",
    "marshalling-size": "Encoded size",
    "marshalling-pareto": "Speed against size",
    "marshalling-table": "Summary table",
    "marshalling-support": "Unsupported and edge cases",
}


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = render_html([RUN_A], tmp_path_factory.mktemp("report") / "a.html")
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return flat(load_results([RUN_A]).table())


def pairs(table: pd.DataFrame) -> int:
    """Number of codec x payload pairs measured."""
    return len(table[["payload", "subject"]].drop_duplicates())


def doc_with(**changes: object) -> dict:
    doc = json.loads(RUN_A.read_text())
    doc.update(changes)
    return doc


def write_doc(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def test_every_section_and_caption_is_there(html: str) -> None:
    assert 'id="machines"' in html and 'id="family-marshalling"' in html
    for anchor, title in BLOCKS.items():
        assert f'id="run0-{anchor}"' in html, anchor
        assert f'href="#run0-{anchor}"' in html, f"{anchor} missing from the contents"
        assert f">{title}</h3>" in html
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert len(captions) == 3
    for caption in captions:
        for words in ("Machine vm", "profile quick", "lower", "rounds", "rpc 77 B–168 B"):
            assert words in caption, (words, caption[:80])
    assert "lower is better" in html and "Pareto front" in html and "copy floor" in html
    assert "⚠ = unstable timing" in html
    assert "Edge-case support matrix" in html


def test_the_header_shows_the_machine_fingerprint(html: str) -> None:
    header = html[: html.index("</header>")]
    for text in ("AMD EPYC", "6.18.44-fc-v657", "CPython 3.11.7", "upb", "3.13.0", "quick"):
        assert text in header, text
    assert "2026-11-27 06:02 UTC" in header  # run_a.json's datetime, shown in UTC


def test_every_figure_is_an_inline_png(html: str) -> None:
    images = PNG.findall(html)
    assert len(images) == 3 == html.count("<img ")
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_page_loads_nothing_from_anywhere(html: str) -> None:
    targets = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html, re.I)
    assert targets and all(t.startswith(("#", "data:image/png;base64,")) for t in targets)
    assert not re.search(r"https?://", html)
    for marker in ("<script", "<link", "@import", "url(", "<iframe"):
        assert marker not in html.lower()


def test_the_page_is_small(html: str) -> None:
    assert len(html.encode("utf-8")) < 5 * 2**20


def test_noise_flags_sit_beside_the_numbers(html: str, table: pd.DataFrame) -> None:
    flagged = sum(bool(stability_warnings(s)) for s in table["samples"])
    assert flagged  # run_a is a quick profile on a shared VM: some timings are noisy
    assert html.count('<span class="warn" title="') == flagged
    first = next(w for w in map(stability_warnings, table["samples"]) if w)
    assert f'title="{"; ".join(first)}">⚠' in html


def test_the_support_matrix_shortens_reasons_into_tooltips(html: str) -> None:
    assert '<td class="fail" title="TypeError: Integer exceeds 64-bit range">TypeError</td>' in html
    assert short_reason("lossy round trip: $.ninf: sent float, got NoneType") == "lossy round trip"
    assert short_reason("x" * 50) == "x" * 19 + "…"


def test_unsupported_rows_and_refused_payloads_are_listed(tmp_path: Path) -> None:
    block = doc_with()["commbench"]
    block["unsupported"] = [
        {"family": "marshalling", "subject": "protobuf", "params": {"payload": "rpc"},
         "reason": "no protobuf schema can carry a heterogeneous list"},
    ]  # fmt: skip
    block["rejected_payloads"] = [{"file": "mine.json", "reason": "mine.json: empty file"}]
    path = write_doc(tmp_path / "u.json", doc_with(commbench=block))
    html = render_html([path], tmp_path / "u.html").read_text()
    assert "<td>protobuf</td><td>rpc</td><td>all</td>" in html
    assert "heterogeneous list" in html and "mine.json: empty file" in html
    assert "see Unsupported" in html


def test_text_from_result_files_is_escaped(tmp_path: Path) -> None:
    doc = doc_with()
    evil = "<script>alert(1)</script>"
    for bench in doc["benchmarks"]:
        if bench["extra_info"]["subject"] == "cbor2":
            bench["extra_info"]["subject"] = evil
    doc["commbench"]["support"][0]["outcome"] = f'Boom: "{evil}"'
    doc["machine_info"]["commbench"]["cpu_model"] = evil
    html = render_html([write_doc(tmp_path / "evil.json", doc)], tmp_path / "e.html").read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_rejected_file_is_named_and_the_valid_one_still_renders(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(RUN_A.read_text()[:5000])
    html = render_html([RUN_A, broken], tmp_path / "r.html").read_text()
    box = html[html.index('class="alert"') : html.index("</div>", html.index('class="alert"'))]
    assert str(broken) in box and "not valid JSON" in box
    assert html.index('class="alert"') < html.index('id="machines"')
    assert len(PNG.findall(html)) == 3 and 'id="run0-marshalling-table"' in html


def test_no_valid_file_is_one_user_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    for paths in ([broken], [broken, tmp_path / "missing.json"], []):
        with pytest.raises(UserError) as caught:
            render_html(paths, tmp_path / "x.html")
        assert "\n" not in str(caught.value)
    with pytest.raises(UserError, match=r"broken\.json"):
        render_tables([broken], "md")
    assert not (tmp_path / "x.html").exists()


def test_the_default_output_is_a_dated_file_under_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "REPORTS_DIR", tmp_path / "reports")
    out = render_html([RUN_A])
    assert out.parent == tmp_path / "reports"
    assert re.fullmatch(r"\d{8}-\d{6}-vm\.html", out.name)


def test_the_comparison_goes_after_the_header(tmp_path: Path) -> None:
    out = render_html([RUN_A], tmp_path / "c.html", comparison_html='<p id="cmp">A vs B</p>')
    html = out.read_text()
    assert html.index("</header>") < html.index('id="cmp"') < html.index('id="family-marshalling"')
    assert 'href="#comparison"' in html and "<h2>Comparison</h2>" in html


def test_several_runs_render_side_by_side(tmp_path: Path) -> None:
    html = render_html([RUN_A, RUN_B], tmp_path / "ab.html").read_text()
    # one figure per kind for all runs (round trip per run, sizes), no per-run figures
    assert len(PNG.findall(html)) == 2
    assert 'id="runs-marshalling-time"' in html and 'id="runs-run0-marshalling-size"' in html
    assert 'id="run0-marshalling-time"' not in html and 'id="run1-marshalling-time"' not in html
    assert 'id="run0-marshalling-table"' in html and 'id="run1-marshalling-table"' in html
    assert "(run_a.json)</h3>" in html and "(run_b.json)</h3>" in html
    assert "All runs side by side</h3>" in html and 'href="#family-marshalling-runs"' in html
    nav = html[html.index('<nav class="toc"') : html.index("</nav>")]
    assert 'href="#run0-marshalling"' in nav and 'href="#run1-marshalling"' in nav
    assert 'href="#run0-marshalling-table"' not in nav  # one entry per run, not per table
    caption = html[html.index('id="runs-marshalling-time"') :].split("</figcaption>")[0]
    assert caption.count("Machine ") == 2  # both runs' conditions are stated
    header = html[: html.index("</header>")]
    assert header.count('<th scope="col">') == 2


def test_figures_do_not_grow_with_the_number_of_runs(tmp_path: Path) -> None:
    copies = []
    for i in range(4):
        copies.append(tmp_path / f"copy{i}.json")
        copies[-1].write_bytes(RUN_B.read_bytes())
    two = render_html([RUN_A, copies[0]], tmp_path / "two.html").read_text()
    five = render_html([RUN_A, *copies], tmp_path / "five.html").read_text()
    assert len(PNG.findall(five)) == len(PNG.findall(two)) == 2
    assert five.count('class="summary"') == 5  # but every run keeps its own table
    assert "Every other run encoded the same number of bytes" in five


def test_markdown_has_one_row_per_codec_and_payload(table: pd.DataFrame) -> None:
    text = render_tables([RUN_A], "md")
    assert text.startswith("## The lecture, checked")  # the claims first, then the families
    text = text[text.index("## Marshalling") :]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert lines[0] == (
        "| payload | codec | encode | ×fastest | ×copy | enc MB/s | decode | ×fastest | ×copy "
        "| dec MB/s | decode+touch | round trip | bytes | zlib |"
    )
    assert set(lines[1]) <= set("|-:")
    assert len(lines) - 2 == pairs(table) == 16
    assert "| rpc | protobuf | 200 ns |" in text  # median 1.9967e-07 s in run_a.json


def test_csv_is_the_tidy_table_without_samples(table: pd.DataFrame) -> None:
    frame = pd.read_csv(io.StringIO(render_tables([RUN_A], "csv")))
    claims = frame[frame["family"] == "claims"]  # the lecture's claims, one row each, last
    assert len(claims) == len(CLAIMS) and claims.index.min() == len(table)
    frame = frame[frame["family"] != "claims"].drop(
        columns=[c for c in frame if c.startswith("claim.")]
    )
    assert list(frame.columns) == [
        c for c in table.columns if c not in ("samples", "params", "metrics")
    ]
    assert len(frame) == len(table) == 3 * pairs(table)
    assert (frame.groupby(["payload", "subject"]).size() == 3).all()  # encode, decode, +touch
    assert frame["median"].tolist() == pytest.approx(table["median"].tolist())


def test_an_unknown_table_format_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown table format 'xls'"):
        render_tables([RUN_A], "xls")


def test_a_family_with_no_rows_has_no_section(
    html: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def latency_builder(rows: pd.DataFrame, ctx: object) -> list:
        calls.append(len(rows))
        return []

    registered = sections.section_builders
    monkeypatch.setattr(
        sections,
        "section_builders",
        lambda family: [latency_builder] if family == "latency" else registered(family),
    )
    html = render_html([RUN_A], tmp_path / "l.html").read_text()
    assert calls == [] and "family-latency" not in html and "Latency" not in html
    assert sections.build_sections(pd.DataFrame(), []) == []


def test_a_family_without_builders_gets_a_plain_table(tmp_path: Path) -> None:
    doc = doc_with()
    for bench in doc["benchmarks"][:3]:
        bench["extra_info"]["family"] = "queueing"
    html = render_html([write_doc(tmp_path / "lat.json", doc)], tmp_path / "l.html").read_text()
    assert 'id="family-queueing"' in html and "no dedicated report section yet" in html
    assert html.index('id="family-marshalling"') < html.index('id="family-queueing"')


def test_summary_ratios_and_throughput_are_computed_from_the_medians(table: pd.DataFrame) -> None:
    summary = summary_frame(table).set_index(["payload", "subject"])
    assert summary.groupby("payload")["encode_x"].min().tolist() == [1.0, 1.0]
    row = summary.loc[("rpc", "json")]
    # run_a.json: json encodes rpc (168 B) in 4.06063e-06 s; the copy floor is 59.96 ns;
    # the fastest encoder of rpc (protobuf) takes 1.996665e-07 s
    assert row["encode"] == pytest.approx(4.060629999003141e-06)
    assert row["encode_floor_x"] == pytest.approx(4.060629999003141e-06 / 59.964599609375e-9)
    assert row["encode_MBps"] == pytest.approx(168 / 4.060629999003141e-06 / 1e6)
    assert row["encode_x"] == pytest.approx(4.060629999003141e-06 / 1.9966650029346054e-07)
    assert row["round_trip"] == pytest.approx(row["encode"] + row["decode+touch"])
    assert list(summary.index.get_level_values("payload").unique()) == ["rpc", "sweep-10KB"]


def test_pareto_front_on_hand_made_points() -> None:
    # (size, time): a=(1, 9) smallest, b=(3, 2) fastest, c=(2, 5) between: all on the
    # front; d=(3, 6) and e=(4, 2) are beaten; f duplicates b and ties with it.
    x = [1, 3, 2, 3, 4, 3]
    y = [9, 2, 5, 6, 2, 2]
    assert pareto_front(x, y).tolist() == [True, True, True, False, False, True]


def test_a_file_without_metrics_or_samples_still_renders(tmp_path: Path) -> None:
    doc = doc_with()
    for bench in doc["benchmarks"]:
        del bench["extra_info"]["metrics"]
        del bench["stats"]["data"]
    del doc["commbench"]["support"]
    html = render_html([write_doc(tmp_path / "bare.json", doc)], tmp_path / "b.html").read_text()
    assert len(PNG.findall(html)) == 1  # without sizes, only the time figure is drawn
    assert 'class="warn"' not in html and "no edge-case support matrix" in html
    assert "| rpc | json | 4.06 µs |" in render_tables([tmp_path / "bare.json"], "md")
