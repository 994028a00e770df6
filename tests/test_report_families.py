"""The transport and dissemination sections, on small golden result files.

``tests/data/transports_small.json`` and ``dissemination_small.json`` are quick-profile
runs cut down to a few benchmarks each, with at most 200 raw samples per benchmark.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commbench.dissemination.rumor import residue_equation
from commbench.report import render_html
from commbench.report.dissemination import fault_sentence
from commbench.report.dissemination import figures as fd
from commbench.report.transports.figures import cdf_points, panel_keys, transport_palette
from commbench.results import flat, load_results

DATA = Path(__file__).parent / "data"
TRANSPORTS = DATA / "transports_small.json"
DISSEMINATION = DATA / "dissemination_small.json"
MARSHALLING = DATA / "run_a.json"
PNG = re.compile(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"')


def render(tmp_path: Path, *paths: Path) -> str:
    return render_html(list(paths), tmp_path / "report.html").read_text(encoding="utf-8")


def section(html: str, anchor: str) -> str:
    """The HTML of the block with id *anchor* (up to the next block)."""
    start = html.index(f'<section id="{anchor}">')
    end = html.find("<section id=", start + 1)
    return html[start : end if end > 0 else len(html)]


def body_rows(block: str) -> int:
    tbody = re.search(r"<tbody>(.*?)</tbody>", block, re.S)
    assert tbody, "no table in the block"
    return tbody.group(1).count("<tr>")


@pytest.fixture(scope="module")
def transports_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    return render(tmp_path_factory.mktemp("transports"), TRANSPORTS)


@pytest.fixture(scope="module")
def dissemination_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    return render(tmp_path_factory.mktemp("dissemination"), DISSEMINATION)


@pytest.fixture(scope="module")
def dissemination_rows() -> pd.DataFrame:
    table = flat(load_results([DISSEMINATION]).table())
    return table[table["family"] == "dissemination"]


def test_the_golden_files_are_small() -> None:
    for path in (TRANSPORTS, DISSEMINATION):
        assert path.stat().st_size < 300_000
        for bench in json.loads(path.read_text())["benchmarks"]:
            assert len(bench["stats"].get("data") or []) <= 200


def test_transport_sections_blocks_and_captions(transports_html: str) -> None:
    html = transports_html
    for family in ("latency", "throughput", "reference"):
        assert f'id="family-{family}"' in html
    for anchor in ("latency-size", "latency-cdf", "latency-table", "latency-unsupported",
                   "throughput-size", "throughput-table", "reference-checks"):  # fmt: skip
        assert f'id="run0-{anchor}"' in html, anchor
        assert f'href="#run0-{anchor}"' in html, f"{anchor} missing from the contents"
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert len(captions) == 3
    for caption in captions:
        for words in ("Machine vm", "profile quick", "better", "same-core (client on CPU 0"):
            assert words in caption, (words, caption[:80])
    assert "lower is better" in captions[0] and "shared-memory floor" in captions[0]
    assert "at 64 B" in captions[1]
    assert "higher is better" in captions[2]


def test_transport_figures_are_embedded(transports_html: str) -> None:
    assert len(PNG.findall(transports_html)) == 3


def test_the_latency_table_has_a_row_per_case_and_names_a_transport_once(
    transports_html: str,
) -> None:
    block = section(transports_html, "run0-latency-table")
    assert body_rows(block) == 9  # tcp 2 placements x 2 sizes, uds, floor x 2, MPI x 2
    assert block.count('<td class="rowhead first">tcp</td>') == 1
    assert "spread" in block and "p99.9" in block
    assert "No latency cases lost a message" in block


def test_losses_are_listed_never_hidden(transports_html: str) -> None:
    block = section(transports_html, "run0-throughput-table")
    assert body_rows(block) == 6
    assert "Losses and timeouts (2 of 6 throughput cases)" in block
    assert "zmq-pubsub-1 same-core 64 B: 35505 lost" in block
    unsupported = section(transports_html, "run0-latency-unsupported")
    assert "65507 B" in unsupported and "PUB/SUB is one-way" in unsupported


def test_the_reference_checks_give_pass_miss_and_what_is_missing(transports_html: str) -> None:
    from commbench.transports.reference import REFERENCE_TARGETS

    block = section(transports_html, "run0-reference-checks")
    # two tcp rows measured (both placements), one "not measured" row per other target
    assert body_rows(block) == 2 + len(REFERENCE_TARGETS) - 1
    assert ">PASS<" in block and ">MISS<" in block  # 1.050 and 0.737 against within 10%
    assert "within 10%" in block and "within 15%" in block
    assert "mpi-buffer-shm" in block and "not measured: no result in this file" in block


def test_dissemination_sections_blocks_and_captions(dissemination_html: str) -> None:
    html = dissemination_html
    assert 'id="family-dissemination"' in html and 'id="family-dissemination-reference"' in html
    for anchor in ("flood", "ae", "rumor", "tree", "faults", "dc", "reference"):
        assert f'id="run0-dissemination-{anchor}"' in html, anchor
    assert len(PNG.findall(html)) == 5
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert len(captions) == 5
    for caption in captions:
        assert "seeded runs" in caption and "95% confidence interval" in caption
        assert "Machine vm" in caption and "profile quick" in caption
    assert "2|E| − (n − 1)" in captions[0] and "Pittel" in captions[1]
    assert "Demers et al." in captions[2] and "link stress" in captions[3]


def test_dissemination_tables_have_the_expected_rows(dissemination_html: str) -> None:
    faults = section(dissemination_html, "run0-dissemination-faults")
    assert body_rows(faults) == 8  # 4 protocols x failure rates 0 and 0.5
    assert "With 50% of nodes failed: coverage flood 98.1%" in faults
    death = section(dissemination_html, "run0-dissemination-dc")
    assert body_rows(death) == 4  # r in (0, 3) x tau in (5, 40)
    speedup = section(dissemination_html, "run0-dissemination-reference")
    assert body_rows(speedup) == 1 and "111×" in speedup


def test_a_marshalling_only_file_has_no_transport_or_dissemination_section(
    tmp_path: Path,
) -> None:
    html = render(tmp_path, MARSHALLING)
    assert 'id="family-marshalling"' in html
    for family in ("latency", "throughput", "reference", "dissemination"):
        assert f'id="family-{family}"' not in html
        assert f"#family-{family}" not in html


def test_a_case_that_is_missing_draws_no_empty_figure(tmp_path: Path) -> None:
    doc = json.loads(DISSEMINATION.read_text())
    doc["benchmarks"] = [b for b in doc["benchmarks"] if b["extra_info"]["subject"] != "tree"]
    path = tmp_path / "no_tree.json"
    path.write_text(json.dumps(doc))
    html = render(tmp_path, path)
    assert 'id="run0-dissemination-tree"' not in html
    assert len(PNG.findall(html)) == 4


def test_the_residue_curve_passes_through_the_residue_equation() -> None:
    curve = fd.residue_curve([1, 2, 3, 4, 5])
    assert curve["k"].is_monotonic_increasing and len(curve) >= 120
    at = curve.set_index("k")["residue"]
    for k in (1, 2, 3, 4, 5):
        s = at[float(k)]
        assert s == pytest.approx(residue_equation(k), rel=1e-12)
        assert s == pytest.approx(math.exp(-(k + 1) * (1 - s)), rel=1e-9)
    assert at[1.0] == pytest.approx(0.2032, abs=1e-4)  # Demers: s = e^-2(1-s) at k = 1


def test_the_measured_residue_is_near_demers_table_1(dissemination_rows: pd.DataFrame) -> None:
    rumor = dissemination_rows[dissemination_rows["variant"] == "feedback-counter"]
    for _, row in rumor.iterrows():
        published = fd.DEMERS_RESIDUE["feedback-counter"][int(row["k"])]
        assert row["metric.residue"] == pytest.approx(published, rel=0.35)


def test_pittel_rounds_are_log2_plus_ln() -> None:
    assert fd.pittel_rounds(np.array([1024.0]))[0] == pytest.approx(10 + math.log(1024))


def test_fault_points_and_sentence_come_from_the_numbers(
    dissemination_rows: pd.DataFrame,
) -> None:
    faults = dissemination_rows[dissemination_rows["tags"].map(lambda t: "faults" in t)]
    points = fd.fault_points(faults)
    assert list(pd.unique(points["protocol"])) == ["flood", "plumtree", "gossip", "anti-entropy"]
    plumtree = points[(points["protocol"] == "plumtree") & (points["fail"] == 0)].iloc[0]
    raw = faults[(faults["subject"] == "plumtree") & (faults["fail_nodes"] == 0)].iloc[0]
    assert plumtree["payload"] == raw["metric.plumtree.payload"]
    control = sum(raw[f"metric.plumtree.{k}"] for k in ("ihave", "graft", "prune"))
    assert plumtree["control"] == pytest.approx(control)
    sentence = fault_sentence(points)
    assert "With no failed nodes" in sentence and "Lowest coverage: gossip" in sentence


def test_cdf_points_and_panels() -> None:
    xs, ys = cdf_points([3.0, 1.0, 2.0])
    assert xs.tolist() == [1.0, 2.0, 3.0] and ys.tolist() == pytest.approx([1 / 3, 2 / 3, 1])
    assert cdf_points(None)[0].size == 0
    rows = pd.DataFrame(
        {"path": ["lan", "localhost", "in-process", "localhost"],
         "placement": ["lan", "cross-core", "same-core", "same-core"]}
    )  # fmt: skip
    assert panel_keys(rows) == [
        ("localhost", "same-core"), ("localhost", "cross-core"), ("LAN", "lan")
    ]  # fmt: skip
    palette = transport_palette(["tcp", "shm-floor", "uds", "tcp"])
    assert list(palette) == ["tcp", "uds"] and palette["tcp"] != palette["uds"]


def _copy_with_machine(src: Path, dst: Path, machine: str, scale: float = 1.0) -> Path:
    """*src* as another machine's run: renamed host, every time and sample times *scale*."""
    doc = json.loads(src.read_text())
    doc["machine_info"]["commbench"]["hostname"] = machine
    for bench in doc["benchmarks"]:
        stats = bench["stats"]
        for key in ("min", "max", "mean", "stddev", "median", "iqr"):
            if isinstance(stats.get(key), float | int):
                stats[key] *= scale
        stats["data"] = [x * scale for x in stats.get("data") or []]
        metrics = (bench.get("extra_info") or {}).get("metrics") or {}
        for key in list(metrics):
            if key.endswith("_ns") and isinstance(metrics[key], float | int):
                metrics[key] *= scale
    dst.write_text(json.dumps(doc))
    return dst


def test_several_transport_runs_share_one_figure_per_family(tmp_path: Path) -> None:
    other = _copy_with_machine(TRANSPORTS, tmp_path / "slow.json", "slowbox", scale=2.0)
    html = render(tmp_path, TRANSPORTS, other)
    assert 'id="runs-latency-size"' in html and 'id="runs-throughput-size"' in html
    assert 'id="run0-latency-size"' not in html and 'id="run0-latency-cdf"' not in html
    assert 'id="run0-latency-table"' in html and 'id="run1-latency-table"' in html
    assert "slowbox" in section(html, "runs-latency-size")
    assert len(PNG.findall(html)) == 2


def test_several_dissemination_runs_draw_the_counts_once_and_say_they_agree(
    tmp_path: Path,
) -> None:
    same = _copy_with_machine(DISSEMINATION, tmp_path / "same.json", "otherbox")
    html = render(tmp_path, DISSEMINATION, same)
    one = render(tmp_path, DISSEMINATION)
    assert len(PNG.findall(html)) == len(PNG.findall(one)) > 0
    assert "Every run has the same counts" in section(html, "runs-dissemination-counts")
    assert 'id="run1-dissemination-times"' in html
    doc = json.loads(same.read_text())
    bench = next(b for b in doc["benchmarks"] if (b["extra_info"].get("metrics") or {}))
    key = next(iter(bench["extra_info"]["metrics"]))
    bench["extra_info"]["metrics"][key] = float(bench["extra_info"]["metrics"][key]) + 1.0
    same.write_text(json.dumps(doc))
    html = render(tmp_path, DISSEMINATION, same)
    assert "Counts differ from it in: otherbox" in section(html, "runs-dissemination-counts")


GROUP = DATA / "dissemination_group.json"


def test_group_multicast_table_counts_messages_to_non_members(tmp_path: Path) -> None:
    """Each group size: the flood's and the member tree's copies to non-members, as
    recorded (the member tree's are 0 by construction, the flood's are not)."""
    rows = flat(load_results([GROUP]).table())
    block = section(render(tmp_path, GROUP), "run0-group-multicast")
    assert body_rows(block) == 4 * len(rows)
    for row in rows.itertuples():
        members = row.members
        assert f"{members:g} of 1000" in block
    flood = rows["metric.flood.nonmember_messages"]
    assert (flood > 0).all() and (rows["metric.member-tree.nonmember_messages"] == 0).all()
    for value in flood:
        assert f"{value:,.1f}".rstrip("0").rstrip(".") in block
