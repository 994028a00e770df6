"""The messaging family's pytest options: ``--messaging-profile`` chooses what is
collected, ``--ledger-dir`` where each stream's records go; ``commbench run`` passes both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from commbench.messaging.profile import PROFILES

ROOT = Path(__file__).resolve().parents[1]


def _pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "bench/test_messaging.py",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _collected(*args: str) -> list[str]:
    done = _pytest("--collect-only", "-q", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_messaging_profile_overrides_profile_for_this_family_only() -> None:
    tiny = _collected("--profile=quick", "--messaging-profile=tiny")
    quick = _collected("--profile=quick")
    latency = [x for x in tiny if "test_messaging_latency[" in x]
    expected = len(PROFILES["tiny"].latency_modes) * len(PROFILES["tiny"].latency_sizes_bytes) * 2
    assert len(latency) == expected
    assert len(tiny) < len(quick)
    assert not any("-pullers]" in x for x in tiny)  # tiny has no pullers
    assert any("-pullers]" in x for x in quick)


def test_an_unknown_messaging_profile_is_a_usage_error() -> None:
    done = _pytest("--collect-only", "-q", "--messaging-profile=huge")
    assert done.returncode == 4  # pytest's usage error
    assert "huge" in done.stderr and "Traceback" not in done.stderr


def test_ledger_dir_receives_the_stream_records(tmp_path: Path) -> None:
    ledgers = tmp_path / "my-ledgers"
    result = tmp_path / "r.json"
    done = _pytest(
        "--messaging-profile=tiny",
        f"--ledger-dir={ledgers}",
        f"--benchmark-json={result}",
        "-k",
        "test_messaging_latency and nats/core-64B-e2e",
        "-q",
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [stream] = list(ledgers.glob("*/stream.json"))
    assert json.loads(stream.read_text())["ledger"]["sent"] == PROFILES["tiny"].latency_messages
    assert not (tmp_path / "r.ledgers").exists()  # the option wins over the default
    [row] = json.loads(result.read_text())["benchmarks"]
    assert row["extra_info"]["params"]["ledger_records"].startswith("my-ledgers/")


@pytest.mark.parametrize("option", ["--messaging-profile", "--ledger-dir"])
def test_commbench_run_declares_the_options(option: str) -> None:
    from commbench.cli import build_parser

    args = build_parser(protocols=False).parse_args(["run", option, "tiny"])
    assert getattr(args, option.lstrip("-").replace("-", "_")) == "tiny"
