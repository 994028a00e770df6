"""The fault harness on the raw TCP server: the killed server is seen, the ledger counts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from commbench.corpus import GENERATORS
from commbench.rpc import Unsupported
from commbench.rpc.faults import FaultPlan, run_fault
from commbench.rpc.service import IdLog, read_ids

# 3 s in all: a restarted server (a Python process) can take a second to serve on a loaded
# 2-core machine, and the run must still be going when it does
SHORT = {"seconds": 3.0, "fault_at_s": 0.3, "hold_s": 0.3}


def rpc_servers() -> set[int]:
    """PIDs of rpc server processes that are children of this test process."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            if ppid == os.getpid() and b"commbench.rpc.server" in cmdline:
                found.add(int(entry.name))
    return found


def test_the_id_log_counts_every_execution(tmp_path: Path) -> None:
    log = IdLog(str(tmp_path / "ids"))
    for request_id in (1, 2, 2, 3, 2):
        log.append(request_id)
    with open(tmp_path / "ids", "a") as f:
        f.write("4")  # a torn last line (the server was killed mid-write) is not counted
    counts = read_ids(tmp_path / "ids")
    assert counts == {1: 1, 2: 3, 3: 1}
    IdLog(None).append(5)  # no file: nothing happens


def test_a_killed_server_is_seen_and_recovery_is_timed() -> None:
    before = rpc_servers()
    result = run_fault("tcp", GENERATORS["rpc"](0), FaultPlan("kill", "none", **SHORT))
    m = result.metrics()
    assert m["failed"] > 0 and m["calls"] == m["succeeded"] + m["failed"]
    seen = set(m["errors"])
    assert seen & {"ConnectionRefusedError", "RpcFailed(PeerClosed)",
                   "RpcFailed(ConnectionResetError)"}, seen  # fmt: skip
    assert m["recovery_s"] is not None and 0 <= m["recovery_s"] < SHORT["seconds"]
    assert m["recovered_at_s"] >= m["fault_at_s"] + SHORT["hold_s"]
    # at most once: every id the server executed is a call that succeeded, or one in flight
    assert m["duplicates"] == 0
    assert m["executed_ids"] >= m["succeeded"] and m["executed_ids"] <= m["succeeded"] + 1
    assert sum(m["timeline"]["failed_per_s"]) > 0
    deadline = time.monotonic() + 5
    while rpc_servers() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not rpc_servers() - before, "a server outlived its fault run"


def test_retrying_a_paused_server_executes_a_call_twice() -> None:
    result = run_fault("tcp", GENERATORS["rpc"](0), FaultPlan("pause", "app-retry", **SHORT))
    m = result.metrics()
    assert m["success_rate"] == 1.0  # the retries got every call through...
    assert m["duplicates"] >= 1 and m["extra_executions"] >= 1  # ...at least once
    assert m["p99_during_fault_ns"] >= SHORT["hold_s"] * 0.5e9


def test_without_retry_a_paused_call_fails_but_may_have_run() -> None:
    result = run_fault("tcp", GENERATORS["rpc"](0), FaultPlan("pause", "none", **SHORT))
    m = result.metrics()
    assert m["failed"] >= 1 and m["duplicates"] == 0
    assert m["failed_but_executed"] >= 1  # the caller cannot tell: at most once


def test_grpc_retry_policy_is_only_for_grpc_and_plans_are_checked() -> None:
    with pytest.raises(Unsupported):
        run_fault("tcp", GENERATORS["rpc"](0), FaultPlan("kill", "grpc-retry", **SHORT))
    with pytest.raises(ValueError):
        run_fault("tcp", GENERATORS["rpc"](0), FaultPlan("flood", "none", **SHORT))
