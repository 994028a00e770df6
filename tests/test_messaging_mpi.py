"""The MPI rank-kill row: a real mpiexec job of mpi4py ranks, one rank SIGKILLed
mid-stream; what the survivors saw and how long the job took to end, bounded."""

from __future__ import annotations

import os
from pathlib import Path

from commbench.cleanup import alive
from commbench.messaging.rankkill import RankKillSpec, outcome, read_rank, run_rank_kill

T_KILL, T_END = 1_000, 2_000


def test_outcome_reads_what_each_survivor_recorded() -> None:
    ready = {"e": "ready", "t": 10, "pid": 1}
    assert outcome([ready, {"e": "p", "t": 500, "n": 16}], T_KILL, T_END, False) == (
        "killed by the launcher, no MPI error seen"
    )
    assert outcome([ready], T_KILL, T_END, True).startswith("hang")
    error = {"e": "error", "t": 1_500, "err": "Other MPI error"}
    assert outcome([ready, error], T_KILL, T_END, False) == "MPI error: Other MPI error"
    signalled = {"e": "signal", "t": 1_200, "sig": 15}
    assert outcome([ready, signalled], T_KILL, T_END, False).startswith("signal SIGTERM")
    # the harness's own stop after the limit is not what the survivor saw
    late = {"e": "signal", "t": 2_500, "sig": 15}
    assert outcome([ready, late], T_KILL, T_END, True).startswith("hang")
    assert outcome([ready, {"e": "done", "t": 900, "n": 5}], T_KILL, T_END, False) == "finished"


def test_a_killed_rank_ends_the_job_and_leaves_no_process(tmp_path: Path) -> None:
    spec = RankKillSpec(ranks=3, rate_per_s=500, kill_after_s=0.3, limit_s=8.0)
    result = run_rank_kill(spec, tmp_path)
    assert result.survivors == 2 and set(result.outcomes) == {0, 1}
    # every survivor's stream ended without finishing, whatever it saw
    assert result.survivors_aborted == 2
    assert all(o != "finished" for o in result.outcomes.values())
    assert result.progress_at_kill[0] > 0  # the kill came mid-stream
    if result.timed_out:
        assert result.abort_s == spec.limit_s
    else:
        assert 0 < result.abort_s < spec.limit_s and result.exit_code != 0
    metrics = result.metrics()
    assert metrics["ranks"] == 3 and metrics["survivors"] == 2
    assert metrics["survivor_saw"].startswith("2× ")
    pids = [e["pid"] for r in range(3) for e in read_rank(tmp_path, r) if e["e"] == "ready"]
    assert len(pids) == 3 and not any(alive(p) for p in pids)
    assert (tmp_path / "rank-kill.json").exists()


def test_a_job_that_never_ends_is_stopped_at_the_limit(tmp_path: Path, monkeypatch) -> None:
    """A victim whose death the launcher does not see (SIGSTOP instead of SIGKILL, so
    the job just stalls): the harness stops the whole job at the limit, a time-out."""
    import commbench.messaging.rankkill as rankkill

    real_kill = os.kill
    monkeypatch.setattr(
        rankkill.os,
        "kill",
        lambda pid, sig: real_kill(pid, rankkill.signal.SIGSTOP if sig == 9 else sig),
    )
    spec = RankKillSpec(ranks=2, rate_per_s=500, kill_after_s=0.2, limit_s=1.5)
    result = run_rank_kill(spec, tmp_path)
    assert result.timed_out and result.abort_s == spec.limit_s
    assert result.outcomes[0].startswith("hang")
    pids = [e["pid"] for r in range(2) for e in read_rank(tmp_path, r) if e["e"] == "ready"]
    assert not any(alive(p) for p in pids)
