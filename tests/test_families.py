"""The family registry: a family from outside goes through `commbench run` to the HTML,
Markdown and CSV without any other module changing; exit statuses; nothing outlives a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commbench import cleanup, families
from commbench.cli import exit_status
from commbench.errors import UserError

PLUGINS = Path(__file__).parent / "plugin_family"
TOY = PLUGINS / "toy_family.py"
COMMBENCH = [sys.executable, "-m", "commbench.cli"]


def run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMBENCH, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_every_builtin_row_family_resolves_to_its_builders() -> None:
    rows = {row.name: row for row in families.row_families()}
    assert list(families.FAMILIES) == [
        "marshalling", "latency", "throughput", "dissemination", "rpc", "messaging", "cap"
    ]  # fmt: skip
    assert families.suite_of("reference").name == "latency"
    assert families.suite_of("harness").name == "marshalling"
    assert families.suite_of("dissemination-reference").name == "dissemination"
    for row in rows.values():
        for builder in families.resolve_list(row.builders) + families.resolve_list(row.across):
            assert callable(builder), row.name
    assert families.baselines() == {"marshalling": "json", "latency": "shm-floor"}
    for family in families.FAMILIES.values():
        for path in family.bench_paths():
            assert Path(path).is_file(), path


def test_a_row_family_cannot_be_registered_twice() -> None:
    clash = families.Family("other", "Other", (), (families.RowFamily("latency", "x"),))
    with pytest.raises(ValueError, match="row family 'latency' is already registered"):
        families.register(clash)
    assert "other" not in families.FAMILIES


def test_a_plugin_that_cannot_be_loaded_is_one_line_and_status_2(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        families.load_plugin(str(tmp_path / "absent.py"))
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('broken plugin')\n")
    done = run("report", "--plugin", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"commbench: error: --plugin {bad}: RuntimeError: broken plugin"
    ]


@pytest.mark.slow
def test_a_plugin_family_goes_through_run_to_html_md_and_csv(tmp_path: Path) -> None:
    html = tmp_path / "toy.html"
    done = run("run", "--plugin", str(TOY), "--suite", "toy",
               "--results-dir", str(tmp_path / "res"), "-o", str(html), cwd=tmp_path)  # fmt: skip
    # the named suite misses a component: a user error (2), the rest still measured
    assert done.returncode == 2, done.stdout + done.stderr
    assert "commbench: error: toy ghost: ghost-tool is not installed" in done.stderr
    assert "Traceback" not in done.stderr
    (result,) = (tmp_path / "res").glob("*/*.json")
    page = html.read_text()
    assert 'id="family-toy"' in page and "Toy sums" in page and "builtin-sum" in page
    md = run("report", "--plugin", str(TOY), str(result), "--format", "md", cwd=tmp_path)
    assert md.returncode == 0, md.stderr
    assert "- toy builtin-sum n=1000 total=499500" in md.stdout
    csv = run("report", str(result), "--format", "csv", cwd=tmp_path)
    lines = [line for line in csv.stdout.splitlines() if ",toy,builtin-sum," in line]
    assert len(lines) == 2
    # without the plugin the rows still show, as the generic table
    plain = run("report", str(result), "-o", str(tmp_path / "plain.html"), cwd=tmp_path)
    assert (
        plain.returncode == 0
        and "no dedicated report section yet" in (tmp_path / "plain.html").read_text()
    )


@pytest.mark.slow
def test_a_missing_component_under_all_is_an_unsupported_row_only(tmp_path: Path) -> None:
    done = run("run", "--plugin", str(TOY), "--no-report", "--results-dir", str(tmp_path),
               "--", "-k", "toy", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_failed_benchmark_or_no_benchmark_is_status_1(tmp_path: Path) -> None:
    broken = run("run", "--plugin", str(PLUGINS / "broken_family.py"), "--suite", "broken",
                 "--no-report", "--results-dir", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert broken.returncode == 1, broken.stdout + broken.stderr
    none = run("run", "--plugin", str(TOY), "--suite", "toy", "--no-report", "--results-dir",
               str(tmp_path), "--", "-k", "nothing-matches", cwd=tmp_path)  # fmt: skip
    assert none.returncode == 1, none.stdout + none.stderr


def test_exit_status_precedence() -> None:
    assert exit_status(interrupted=True, pytest_status=1, user_errors=3) == 130
    assert exit_status(interrupted=False, pytest_status=1, user_errors=3) == 1
    assert exit_status(interrupted=False, pytest_status=5, user_errors=0) == 1
    assert exit_status(interrupted=False, pytest_status=2, user_errors=0) == 1
    assert exit_status(interrupted=False, pytest_status=0, user_errors=1) == 2
    assert exit_status(interrupted=False, pytest_status=0, user_errors=0) == 0


@pytest.mark.slow
def test_ctrl_c_ends_the_run_with_130_and_leaves_no_process(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [*COMMBENCH, "run", "--plugin", str(PLUGINS / "sleepy_family.py"), "--suite",
         "sleepy", "--no-report", "--results-dir", str(tmp_path), "--", "-s"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    sleeper = None
    deadline = time.monotonic() + 60
    while sleeper is None and time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.startswith("SLEEPY-CHILD"):
            sleeper = int(line.split()[1])
    assert sleeper is not None, "the sleepy benchmark never started"
    os.killpg(child.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    try:
        status = child.wait(timeout=45)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert status == 130
    time.sleep(0.5)
    assert not cleanup.alive(sleeper)


def test_sweep_ends_what_a_dead_owner_left(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cleanup, "LEDGER_DIR", tmp_path / "owned")
    dead = subprocess.Popen(["true"])
    dead.wait()
    leftover = subprocess.Popen(["sleep", "30"])
    try:
        cleanup.record_pid(leftover.pid, owner=dead.pid)
        folder = Path(cleanup.tempfile.gettempdir()) / f"commbench-{dead.pid}-test-x"
        folder.mkdir()
        mine = cleanup.owned_tempdir("test")  # this process is alive: kept
        done = cleanup.sweep()
        assert f"process {leftover.pid}" in done and f"directory {folder}" in done
        assert leftover.wait(timeout=5) == -signal.SIGKILL
        assert not folder.exists() and mine.exists()
        assert not (tmp_path / "owned" / str(dead.pid)).exists()
    finally:
        leftover.kill()
        mine.rmdir()


def test_every_profile_holds_every_family_knob() -> None:
    from commbench.profiles import PROFILES

    for profile in PROFILES.values():
        for family in families.FAMILIES.values():
            for knob in family.knobs:
                assert getattr(profile, knob) is not None, (profile.name, knob)
        assert profile.rpc is not profile.messaging


def test_the_transport_and_protocol_registries_are_pinned() -> None:
    from commbench.dissemination import PROTOCOLS
    from commbench.transports import TRANSPORTS

    assert list(TRANSPORTS) == [
        "tcp", "uds", "udp", "zmq-reqrep-tcp", "zmq-reqrep-ipc", "zmq-reqrep-inproc",
        "zmq-pushpull-tcp", "zmq-pushpull-ipc", "zmq-pubsub-1", "zmq-pubsub-2", "zmq-pubsub-4",
        "shm-floor", "mpi-buffer-shm", "mpi-pickle-shm", "mpi-buffer-net", "mpi-pickle-net",
    ]  # fmt: skip
    assert sorted(PROTOCOLS) == sorted(EXPECTED_PROTOCOLS)


EXPECTED_PROTOCOLS = (
    "anti-entropy", "death-certificates", "flood", "gossip", "group", "plumtree", "rumor", "tree",
)  # fmt: skip
