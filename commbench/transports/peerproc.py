"""Peers are real processes the suite owns: started with a ready handshake, stopped for sure.

A peer is ``python -m commbench.transports.peer SERVER ...``. It prints one line
``READY {json}`` when it listens (the address, chosen by the OS when the port is
0). It dies with its parent (``PR_SET_PDEATHSIG``), stays in the parent's process
group so Ctrl-C reaches it, and :meth:`PeerProcess.stop` ends it by its PID:
SIGTERM, then SIGKILL after a grace period. No orphan is left behind.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from typing import IO, Any

READY_TIMEOUT_S = 20.0


class PeerError(Exception):
    """A peer did not start, did not answer, or died."""


class PeerProcess:
    """A running peer; use as a context manager."""

    def __init__(
        self, server: str, *args: str, cpu: int | None = None, log: IO[str] | None = None
    ) -> None:
        self.server = server
        command = [sys.executable, "-m", "commbench.transports.peer", server, *args]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        self.command = command
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,  # the peer's log lines: to our stderr unless a file is given
            text=True,
        )
        self.info: dict[str, Any] = self._wait_ready()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_ready(self) -> dict[str, Any]:
        deadline = time.monotonic() + READY_TIMEOUT_S
        stdout = self.process.stdout
        assert stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([stdout], [], [], 0.1)
            if ready:
                line = stdout.readline()
                if line.startswith("READY "):
                    return json.loads(line[len("READY ") :])
                if not line:
                    break
            elif self.process.poll() is not None:
                break
        try:  # stdout closed or time is up: give an exiting peer a moment to be reaped
            status = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            status = None
        self.stop()
        if status is None:
            raise PeerError(f"peer {self.server} did not become ready in {READY_TIMEOUT_S:.0f} s")
        raise PeerError(f"peer {self.server} exited with status {status} before it was ready")

    def stop(self, grace_s: float = 5.0) -> None:
        """End the peer by its PID: SIGTERM, then SIGKILL after *grace_s*."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> PeerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def die_with_parent() -> None:
    """In a child: ask the kernel for SIGTERM when the parent dies (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        sys.exit(0)
