"""The command line, run as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from commbench.results import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]


def commbench(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commbench.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_machine_prints_the_fingerprint() -> None:
    done = commbench("machine")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["cpu_count"] >= 1
    assert info["protobuf_backend"] == "upb"
    assert info["libraries"]["orjson"] != "not installed"


def test_unknown_suite_is_a_usage_error() -> None:
    done = commbench("run", "--suite", "nope")
    assert done.returncode == 2
    assert "unknown suite" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_run_benchmarks_good_payloads_and_refuses_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "orders.json"
    good.write_text(json.dumps({"order_id": 7, "lines": [{"sku": "a", "qty": 2}], "note": None}))
    bad = tmp_path / "broken.json"
    bad.write_text('{"order_id": ')
    results = tmp_path / "results"
    done = commbench(
        "run",
        "--suite",
        "marshalling",
        "--no-report",
        "--results-dir",
        str(results),
        "--payload",
        str(bad),
        "--payload",
        str(good),
        "--",
        "-k",
        "user-orders and (orjson or protobuf) and encode",
        "--benchmark-max-time=0.001",
        "--benchmark-min-rounds=2",
    )
    assert done.returncode == 2, done.stdout + done.stderr
    error_lines = [line for line in done.stderr.splitlines() if "broken.json" in line]
    assert error_lines and all("not valid JSON" in line for line in error_lines)
    assert "Traceback" not in done.stderr
    [saved] = results.glob("*/*.json")
    doc = json.loads(saved.read_text())
    subjects = {b["extra_info"]["subject"] for b in doc["benchmarks"]}
    payloads = {b["extra_info"]["params"]["payload"] for b in doc["benchmarks"]}
    assert payloads == {"user-orders"}
    assert {"orjson", "protobuf", "protobuf+dict"} <= subjects
    assert doc["commbench"]["schema"] == SCHEMA_VERSION
    assert doc["commbench"]["user_errors"]  # the refused file is the run's user error
    assert doc["machine_info"]["commbench"]["protobuf_backend"] == "upb"
    assert "user-orders" in done.stdout  # the terminal summary names the payload
