"""bench/report_timing.py: the script behind the report-speed figure runs the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.report_timing import main

DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_it_times_one_file_and_the_copies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "run_a.json"), "--copies", "2", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for label in ("1 file", "2 files"):
        line = next(line for line in out.splitlines() if line.startswith(f"{label}:"))
        wall, cpu = re.search(r"median ([\d.]+) s wall .* median ([\d.]+) s CPU", line).groups()
        assert float(wall) > 0 and float(cpu) > 0
        assert re.search(r"HTML [\d.]+ MB$", line)


def test_a_missing_file_is_one_line_and_status_2(capsys, tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"report_timing: {tmp_path / 'nope.json'}: no such file"]


def test_a_file_the_report_refuses_is_one_line_and_status_2(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert main([str(bad), "--copies", "1", "--repeat", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a pytest-benchmark result" in err[0]
