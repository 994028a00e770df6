"""Calls while the server crashes or stalls: at-most-once against at-least-once, counted.

Mid-run the server is SIGKILLed and, after a hold, restarted on the same address
(``kill``), or SIGSTOPped and, after the hold, continued (``pause``). The caller
goes on making logical calls the whole time, under a retry policy:

- ``none``: one attempt per call (at most once);
- ``app-retry``: the application retries a failed attempt with the same request id,
  with exponential backoff, within a bounded number of attempts (at least once);
- ``grpc-retry``: gRPC's own retry policy (service config, on ``UNAVAILABLE``);
  it does not retry ``DEADLINE_EXCEEDED``, which is what a paused server gives.

The server appends each request id to a file this harness owns before it replies
(:class:`commbench.rpc.service.IdLog`), so a call executed twice shows up even
across a SIGKILL. Everything is bounded: the run's length, each attempt's time-out,
the attempts per call; the server is stopped by PID at the end whatever happens.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from commbench.rpc import Bound, Unsupported, WrongAnswer, load
from commbench.rpc.process import ServerProcess
from commbench.rpc.service import read_ids

KINDS = ("kill", "pause")
POLICIES = ("none", "app-retry", "grpc-retry")


@dataclass(frozen=True)
class FaultPlan:
    kind: str  # "kill" or "pause"
    policy: str
    seconds: float = 3.0  # whole run
    fault_at_s: float = 0.8  # from the start of the run
    hold_s: float = 0.5  # killed (or paused) this long before the restart (or continue)
    attempt_timeout_s: float = 0.25
    max_attempts: int = 8  # app-retry
    backoff_s: float = 0.01  # app-retry: first wait, doubled up to backoff_max_s
    backoff_max_s: float = 0.2


@dataclass
class FaultResult:
    plan: FaultPlan
    calls: int = 0  # logical calls made
    succeeded: int = 0
    attempts: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    executed_ids: int = 0  # distinct request ids the server executed
    duplicates: int = 0  # request ids the server executed more than once
    extra_executions: int = 0  # executions beyond the first, summed
    failed_but_executed: int = 0  # calls the caller saw fail that the server did execute
    fault_at_s: float = 0.0
    recovered_at_s: float | None = None  # restart done / SIGCONT sent
    recovery_s: float | None = None  # from then to the first successful call's end
    timeline: list[tuple[float, float, bool]] = field(default_factory=list)  # start, end, ok

    @property
    def success_rate(self) -> float:
        return self.succeeded / self.calls if self.calls else 0.0

    def latencies_ns(self, start_s: float = 0.0, end_s: float = float("inf")) -> np.ndarray:
        """Latency of the successful calls that overlap [start_s, end_s]."""
        return np.array(
            [(e - s) * 1e9 for s, e, ok in self.timeline if ok and s <= end_s and e >= start_s],
            dtype=np.float64,
        )

    def timeline_bins(self, bin_s: float = 0.05) -> dict[str, list[float]]:
        """Calls/s that succeeded and failed per bin of *bin_s*, by the call's end time."""
        n = max(1, int(np.ceil(self.plan.seconds / bin_s)) + 1)
        ok_counts, failed_counts = np.zeros(n), np.zeros(n)
        for _, end, ok in self.timeline:
            i = min(int(end / bin_s), n - 1)
            (ok_counts if ok else failed_counts)[i] += 1
        return {
            "t_s": [round(i * bin_s, 6) for i in range(n)],
            "ok_per_s": (ok_counts / bin_s).tolist(),
            "failed_per_s": (failed_counts / bin_s).tolist(),
        }

    def metrics(self) -> dict[str, Any]:
        during_end = (self.recovered_at_s or self.fault_at_s) + (self.recovery_s or 0.0)
        during = self.latencies_ns(self.fault_at_s, during_end + 1e-9)
        everything = self.latencies_ns()
        return {
            "calls": self.calls,
            "succeeded": self.succeeded,
            "failed": self.calls - self.succeeded,
            "success_rate": self.success_rate,
            "attempts": self.attempts,
            "errors": dict(self.errors),
            "executed_ids": self.executed_ids,
            "duplicates": self.duplicates,
            "extra_executions": self.extra_executions,
            "failed_but_executed": self.failed_but_executed,
            "fault_at_s": self.fault_at_s,
            "recovered_at_s": self.recovered_at_s,
            "recovery_s": self.recovery_s,
            "p50_ns": float(np.median(everything)) if everything.size else None,
            "p99_ns": float(np.percentile(everything, 99)) if everything.size else None,
            "p99_during_fault_ns": float(np.percentile(during, 99)) if during.size else None,
            "calls_during_fault": int(during.size),
            "timeline": self.timeline_bins(),
        }


def grpc_retry_options() -> dict[str, Any]:
    """Channel options for gRPC's retry policy (service config), retrying UNAVAILABLE."""
    import json

    config = {
        "methodConfig": [
            {
                "name": [{"service": "commbench.rpc.Bench"}],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.01s",
                    "maxBackoff": "0.2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
    return {"channel_options": [("grpc.enable_retries", 1),
                                ("grpc.service_config", json.dumps(config))]}  # fmt: skip


class _Caller:
    """Makes attempts with a client it re-creates after an error when the adapter asks."""

    def __init__(self, adapter: Any, server: ServerProcess, options: dict, payload: Any) -> None:
        self.adapter, self.server, self.options, self.payload = adapter, server, options, payload
        self.reconnect = getattr(adapter, "RECONNECT_AFTER_ERROR", False)
        self.client: Any = None
        self.bound: Bound | None = None

    def attempt(self, request_id: int) -> None:
        if self.bound is None:
            self.client = self.adapter.connect(self.server.address, self.options)
            self.bound = self.client.bind(self.payload)
        try:
            reply = self.bound.call(request_id)
        except Exception:
            if self.reconnect:
                self.close()
            raise
        self.bound.check(reply, request_id)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = self.bound = None


def _fault_thread(
    plan: FaultPlan,
    server: ServerProcess,
    t0: float,
    result: FaultResult,
    failures: list[BaseException],
    done: threading.Event,
) -> threading.Thread:
    """The fault schedule. The thread lives until *done*: a server it restarts has it as
    parent thread, and PR_SET_PDEATHSIG fires when that *thread* ends."""

    def run() -> None:
        try:
            time.sleep(max(0.0, t0 + plan.fault_at_s - time.monotonic()))
            result.fault_at_s = time.monotonic() - t0
            if plan.kind == "kill":
                server.kill()
                time.sleep(plan.hold_s)
                server.restart()  # waits for the new server's ready line
            else:
                server.pause()
                time.sleep(plan.hold_s)
                server.resume()
            result.recovered_at_s = time.monotonic() - t0
        except BaseException as exc:
            failures.append(exc)
        done.wait(plan.seconds + 60.0)

    return threading.Thread(target=run, daemon=True)


def run_fault(framework_name: str, payload: Any, plan: FaultPlan, *,
              server_cpu: int | None = None, first_id: int = 1,
              peer: str | None = None) -> FaultResult:  # fmt: skip
    """One fault run against a fresh server of *framework_name*; see the module docstring.

    With *peer* (``commbench peer`` on a LAN) the server is the peer's, killed, restarted,
    paused and continued through its control channel, its id log kept on the peer
    (:class:`commbench.rpc.lan.RemoteFaultServer`)."""
    if plan.kind not in KINDS or plan.policy not in POLICIES:
        raise ValueError(f"unknown fault {plan.kind!r} or policy {plan.policy!r}")
    framework, adapter = load(framework_name)
    if plan.policy == "grpc-retry" and not framework.name.startswith("grpc"):
        raise Unsupported("gRPC's retry policy exists only for gRPC")
    if peer:
        return _run_remote(framework, adapter, payload, plan, peer, first_id)
    with tempfile.TemporaryDirectory(prefix="commbench-rpc-faults-") as tmp:
        ids_file = str(Path(tmp) / "executed-ids")
        server_options = {**framework.options, "ids_file": ids_file}
        client_options = _client_options(framework, plan)
        result = FaultResult(plan)
        outcome: dict[int, bool] = {}
        with ServerProcess(framework.name, cpu=server_cpu, options=server_options) as server:
            caller = _Caller(adapter, server, client_options, payload)
            try:
                _run_calls(plan, server, caller, result, outcome, first_id)
            finally:
                caller.close()
        executed = read_ids(ids_file)
    return _count(result, executed, outcome)


def _client_options(framework: Any, plan: FaultPlan) -> dict[str, Any]:
    options = {**framework.options, "timeout_s": plan.attempt_timeout_s}
    if plan.policy == "grpc-retry":
        options.update(grpc_retry_options())
    return options


def _run_remote(framework: Any, adapter: Any, payload: Any, plan: FaultPlan, peer: str,
                first_id: int) -> FaultResult:  # fmt: skip
    from commbench.rpc.lan import RemoteFaultServer

    result = FaultResult(plan)
    outcome: dict[int, bool] = {}
    with RemoteFaultServer(peer, framework.name) as server:
        caller = _Caller(adapter, server, _client_options(framework, plan), payload)  # type: ignore[arg-type]
        try:
            _run_calls(plan, server, caller, result, outcome, first_id)  # type: ignore[arg-type]
        finally:
            caller.close()
        executed = server.executed(first_id)
    return _count(result, executed, outcome)


def _count(result: FaultResult, executed: dict[int, int], outcome: dict[int, bool]) -> FaultResult:
    """Duplicates and executions of failed calls, from the server's id log."""
    result.executed_ids = len(executed)
    result.duplicates = sum(1 for n in executed.values() if n > 1)
    result.extra_executions = sum(n - 1 for n in executed.values() if n > 1)
    result.failed_but_executed = sum(1 for i, ok in outcome.items() if not ok and i in executed)
    return result


def _run_calls(plan: FaultPlan, server: ServerProcess, caller: _Caller, result: FaultResult,
               outcome: dict[int, bool], first_id: int) -> None:  # fmt: skip
    retries = plan.policy == "app-retry"
    failures: list[BaseException] = []
    done = threading.Event()
    t0 = time.monotonic()
    fault = _fault_thread(plan, server, t0, result, failures, done)
    fault.start()
    request_id = first_id
    end = t0 + plan.seconds
    sleep: Callable[[float], None] = time.sleep
    try:
        while time.monotonic() < end:
            start = time.monotonic()
            ok = False
            backoff = plan.backoff_s
            for attempt in range(plan.max_attempts if retries else 1):
                result.attempts += 1
                try:
                    caller.attempt(request_id)
                except WrongAnswer:
                    raise
                except Exception as exc:
                    result.errors[_error_name(exc)] += 1
                    if attempt + 1 < (plan.max_attempts if retries else 1):
                        sleep(backoff)
                        backoff = min(2 * backoff, plan.backoff_max_s)
                else:
                    ok = True
                    break
            finished = time.monotonic()
            result.calls += 1
            result.succeeded += ok
            outcome[request_id] = ok
            result.timeline.append((start - t0, finished - t0, ok))
            recovered = result.recovered_at_s
            first_after = recovered is not None and finished - t0 >= recovered
            if ok and first_after and result.recovery_s is None:
                result.recovery_s = finished - t0 - recovered
            if not ok:
                sleep(min(plan.backoff_s, max(0.0, end - time.monotonic())))
            request_id += 1
    finally:
        done.set()
        fault.join(plan.hold_s + 30.0)
    if failures:
        raise failures[0]


def _error_name(exc: BaseException) -> str:
    """The error as the caller saw it: gRPC's status code, else the exception's type."""
    code = getattr(exc, "code", None)
    if callable(code):
        try:
            return f"{type(exc).__name__}:{code().name}"
        except Exception:
            pass
    cause = exc.__cause__
    return f"{type(exc).__name__}({type(cause).__name__})" if cause else type(exc).__name__
