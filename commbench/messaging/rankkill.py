"""The lecture's claim that MPI is not fault tolerant, as a row: an MPI job of N ranks
streaming messages (:mod:`commbench.messaging.mpi_rank`), one rank SIGKILLed mid-stream.

Recorded: what each survivor saw (an MPI error and its text, a signal from the
launcher, nothing at all because the launcher SIGKILLed it, or a hang until the job
was stopped), mpiexec's exit status, and the time from the kill to the job's end.
The job is bounded: after ``limit_s`` it is stopped by its PID (mpiexec and every
descendant, by PID and start time) and the row counts a time-out.

Two launcher policies (the registry :data:`CLEANUP`): hydra's default, which ends the
whole job when one rank dies, and ``-disable-auto-cleanup``, which leaves the
survivors to find out through MPI themselves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from commbench.cleanup import alive, record_pid
from commbench.messaging import Unsupported
from commbench.transports import Unsupported as TransportUnsupported
from commbench.transports.mpi_links import (
    _start_time,
    check_installed,
    descendants,
    mpiexec_path,
    stop_job,
)

CLEANUP: dict[str, list[str]] = {
    "hydra-default": [],
    "disable-auto-cleanup": ["-disable-auto-cleanup"],
}
"""Launcher policy -> mpiexec's flags."""

READY_TIMEOUT_S = 60.0
POLL_S = 0.005


@dataclass(frozen=True)
class RankKillSpec:
    ranks: int = 4
    cleanup: str = "hydra-default"
    victim: int = -1  # the rank killed; -1: the last (a consumer)
    rate_per_s: float = 1000.0
    size_bytes: int = 64
    kill_after_s: float = 0.5  # after every rank is ready and the stream runs
    limit_s: float = 10.0  # from the kill: then the job is stopped and timed out
    window: int = 64
    ack_every: int = 16

    @property
    def victim_rank(self) -> int:
        return self.victim % self.ranks

    def params(self) -> dict[str, Any]:
        return {
            "measure": "rank-kill",
            "system": "mpi",
            "mode": self.cleanup,
            "ranks": self.ranks,
            "cleanup": self.cleanup,
            "victim_rank": self.victim_rank,
            "victim_role": "producer" if self.victim_rank == 0 else "consumer",
            "rate_per_s": self.rate_per_s,
            "size_bytes": self.size_bytes,
            "limit_s": self.limit_s,
            "fault": "rank-kill",
        }


@dataclass
class RankKillResult:
    spec: RankKillSpec
    exit_code: int | None
    timed_out: bool
    abort_s: float  # kill -> mpiexec ended (limit_s when it had to be stopped)
    first_error_s: float | None  # kill -> the first survivor's MPI error, if any
    outcomes: dict[int, str]  # survivor rank -> what it saw
    progress_at_kill: dict[int, int]
    mpiexec_says: str
    directory: Path

    @property
    def survivors(self) -> int:
        return self.spec.ranks - 1

    @property
    def survivors_aborted(self) -> int:
        """Survivors whose stream ended without finishing (killed, errored, stopped)."""
        return sum(1 for o in self.outcomes.values() if o != "finished")

    @property
    def survivor_saw(self) -> str:
        """Each distinct outcome with how many survivors saw it, most common first."""
        counts = Counter(self.outcomes.values())
        return "; ".join(f"{n}× {what}" for what, n in counts.most_common())

    def metrics(self) -> dict[str, Any]:
        return {
            "ranks": self.spec.ranks,
            "survivors": self.survivors,
            "survivors_aborted": self.survivors_aborted,
            "abort_s": round(self.abort_s, 4),
            "survivor_saw": self.survivor_saw,
            "first_error_s": None if self.first_error_s is None else round(self.first_error_s, 4),
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "outcomes": {str(k): v for k, v in sorted(self.outcomes.items())},
            "progress_at_kill": {str(k): v for k, v in sorted(self.progress_at_kill.items())},
            "mpiexec_says": self.mpiexec_says,
        }


def read_rank(directory: Path, rank: int) -> list[dict[str, Any]]:
    path = directory / f"rank-{rank}.jsonl"
    if not path.exists():
        return []
    events = []
    for line in path.read_bytes().split(b"\n"):
        if line.strip():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def outcome(events: list[dict[str, Any]], t_kill: int, t_end: int, alive_at_end: bool) -> str:
    """What one survivor saw between the kill (*t_kill*) and the job's end or the limit
    (*t_end*), from its own records; what the harness's stop did after is not counted."""
    ends = ("done", "error", "signal", "gave-up")
    last = next((e for e in reversed(events) if e["e"] in ends and e["t"] <= t_end), None)
    if last is None or (last["t"] < t_kill and last["e"] != "done"):
        if alive_at_end:
            return "hang: no error, still waiting when the job was stopped"
        return "killed by the launcher, no MPI error seen"
    if last["e"] == "done":
        return "finished"
    if last["e"] == "error":
        return f"MPI error: {last['err']}"
    if last["e"] == "signal":
        return f"signal {signal.Signals(last['sig']).name} from the launcher, no MPI error seen"
    return "gave up waiting (its own lifetime), no MPI error seen"


def mpiexec_command(spec: RankKillSpec, directory: Path) -> list[str]:
    cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    config = {
        "dir": str(directory),
        "count": 10**9,  # the stream runs until the kill; the lifetime bounds it
        "rate_per_s": spec.rate_per_s,
        "size_bytes": spec.size_bytes,
        "window": spec.window,
        "ack_every": spec.ack_every,
        "lifetime_s": READY_TIMEOUT_S + spec.kill_after_s + spec.limit_s + 30.0,
    }
    return [
        str(mpiexec_path()),
        "-launcher",
        "fork",
        "-bind-to",
        f"user:{cpus}",
        *CLEANUP[spec.cleanup],
        "-n",
        str(spec.ranks),
        sys.executable,
        "-m",
        "commbench.messaging.mpi_rank",
        json.dumps(config),
    ]


def _tail(path: Path) -> str:
    keep = ("BAD TERMINATION", "EXIT CODE", "KILLED BY SIGNAL", "Abort", "error", "Error")
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = [x.strip(" =") for x in text.splitlines() if any(k in x for k in keep)]
    return " | ".join(dict.fromkeys(x for x in lines if x))[:300]


def _wait_ready(process: subprocess.Popen, directory: Path, ranks: int) -> dict[int, int]:
    """Every rank's PID once all are ready; Unsupported if the job did not start."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        pids = {
            r: e["pid"] for r in range(ranks) for e in read_rank(directory, r) if e["e"] == "ready"
        }
        if len(pids) == ranks:
            return pids
        if process.poll() is not None:
            raise Unsupported(
                f"mpi: mpiexec exited with status {process.returncode} before every rank was "
                f"ready: {_tail(directory / 'mpiexec.out') or 'no message'}"
            )
        time.sleep(0.05)
    raise Unsupported(f"mpi: the ranks were not ready within {READY_TIMEOUT_S:.0f} s")


def _wait_streaming(process: subprocess.Popen, directory: Path) -> None:
    """Until the producer has recorded progress (the first messages can take a while:
    connections are made lazily); Unsupported if it never does."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if any(e["e"] == "p" for e in read_rank(directory, 0)):
            return
        time.sleep(0.02)
    raise Unsupported("mpi: the stream did not start")


def _progress(directory: Path, ranks: int) -> dict[int, int]:
    found = {}
    for r in range(ranks):
        counts = [e["n"] for e in read_rank(directory, r) if e["e"] == "p"]
        found[r] = counts[-1] if counts else 0
    return found


def run_rank_kill(spec: RankKillSpec, directory: str | os.PathLike[str]) -> RankKillResult:
    """Run the job, kill the victim rank mid-stream, wait for the job's end (bounded)."""
    if spec.ranks < 2:
        raise Unsupported("mpi: a rank kill needs at least 2 ranks")
    if spec.cleanup not in CLEANUP:
        raise Unsupported(f"mpi: unknown launcher policy {spec.cleanup!r}")
    try:
        check_installed()
    except TransportUnsupported as exc:
        raise Unsupported(f"mpi: {exc}") from None
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("rank-*.jsonl"):
        old.unlink()
    out = directory / "mpiexec.out"
    with open(out, "wb") as log:
        process = subprocess.Popen(
            mpiexec_command(spec, directory),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C is ours to handle: stop_job ends the tree
        )
    record_pid(process.pid)
    try:
        pids = _wait_ready(process, directory, spec.ranks)
        for pid in pids.values():
            record_pid(pid)
        victim_pid = pids[spec.victim_rank]
        victim_started = _start_time(victim_pid)
        if victim_pid not in {p for p, _ in descendants(process.pid)}:
            raise Unsupported(f"mpi: rank {spec.victim_rank} (PID {victim_pid}) is not our job's")
        _wait_streaming(process, directory)
        time.sleep(spec.kill_after_s)
        progress = _progress(directory, spec.ranks)
        if _start_time(victim_pid) != victim_started or process.poll() is not None:
            raise Unsupported("mpi: the job ended before the kill")
        t_kill = time.monotonic_ns()
        os.kill(victim_pid, signal.SIGKILL)
        deadline = time.monotonic() + spec.limit_s
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(POLL_S)
        t_end = time.monotonic_ns()
        timed_out = process.poll() is None
        still = {r for r, pid in pids.items() if r != spec.victim_rank and alive(pid)}
    finally:
        stop_job(process)
    abort_s = spec.limit_s if timed_out else (t_end - t_kill) / 1e9
    outcomes = {
        r: outcome(read_rank(directory, r), t_kill, t_end, r in still)
        for r in range(spec.ranks)
        if r != spec.victim_rank
    }
    errors = [
        e["t"]
        for r in outcomes
        for e in read_rank(directory, r)
        if e["e"] == "error" and e["t"] >= t_kill
    ]
    result = RankKillResult(
        spec=spec,
        exit_code=process.returncode,
        timed_out=timed_out,
        abort_s=abort_s,
        first_error_s=(min(errors) - t_kill) / 1e9 if errors else None,
        outcomes=outcomes,
        progress_at_kill=progress,
        mpiexec_says=_tail(out),
        directory=directory,
    )
    summary = {"spec": asdict(spec), "t_kill": t_kill, "metrics": result.metrics()}
    (directory / "rank-kill.json").write_text(json.dumps(summary, indent=1))
    return result
