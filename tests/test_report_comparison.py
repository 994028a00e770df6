"""The comparison section: two real result files of the same benchmarks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from commbench.report.page.comparison import comparison_html
from commbench.results import load_results

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


def test_a_single_run_has_no_comparison() -> None:
    assert comparison_html(load_results([DATA / "run_a.json"])) is None


def test_two_runs_are_compared_benchmark_by_benchmark() -> None:
    html = comparison_html(load_results([DATA / "run_a.json", DATA / "run_b.json"]))
    assert html is not None
    assert "Geometric mean of median ratios per family" in html
    assert "Per benchmark, largest differences first (48 of 48)" in html
    assert html.count("<tr>") > 48  # a row per benchmark, plus the summary and fingerprints
    assert any(v in html for v in ("faster", "slower", "no significant difference"))
    assert "Normalised view (each result over json for marshalling" in html
    assert "Machine fingerprints (differences highlighted)" in html


def test_report_of_two_files_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "both.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "commbench.cli",
            "report",
            str(DATA / "run_a.json"),
            str(DATA / "run_b.json"),
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"report: {out}"
    html = out.read_text()
    assert 'id="comparison"' in html and "Geometric mean of median ratios" in html


def test_report_names_a_bad_file_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"benchmarks": ')
    out = tmp_path / "r.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "commbench.cli",
            "report",
            str(DATA / "run_a.json"),
            str(bad),
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{bad}: not valid JSON" in done.stderr
    assert out.exists() and str(bad.name) in out.read_text()  # the valid file still renders
