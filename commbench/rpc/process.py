"""RPC server processes the suite owns: started with a ready handshake, stopped by PID.

The machinery is the transports family's (:class:`commbench.transports.peerproc.PeerProcess`:
ready line, ``PR_SET_PDEATHSIG``, SIGTERM then SIGKILL); this adds what the rpc
family needs on top: the server's CPU time, and the fault actions (SIGKILL and
restart on the same address, SIGSTOP and SIGCONT).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import IO, Any

from commbench.transports.peerproc import PeerError, PeerProcess

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")

__all__ = ["PeerError", "ServerProcess", "cpu_seconds"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process *pid* so far (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


class ServerProcess(PeerProcess):
    """One RPC server process (``python -m commbench.rpc.server``); a context manager."""

    def __init__(
        self,
        framework: str,
        *,
        cpu: int | None = None,
        listen: str = "127.0.0.1:0",
        options: dict[str, Any] | None = None,
        log: IO[str] | None = None,
    ) -> None:
        self.server = framework
        self.framework = framework
        self.cpu = cpu
        self.options = dict(options or {})
        self.log = log
        self._start(listen)

    def _start(self, listen: str) -> None:
        command = [sys.executable, "-m", "commbench.rpc.server", self.framework]
        command += ["--listen", listen, "--options", json.dumps(self.options)]
        if self.cpu is not None:
            command += ["--cpu", str(self.cpu)]
        self.command = command
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        self.info = self._wait_ready()

    @property
    def address(self) -> dict[str, Any]:
        return {k: v for k, v in self.info.items() if k not in ("server", "pid", "cpu")}

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def kill(self) -> None:
        """SIGKILL, as a crash: no handler runs, nothing is flushed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def restart(self) -> None:
        """A new server process on the same address as before (after :meth:`kill`)."""
        host, port = self.info["listen"]
        self.kill()
        self._start(f"{host}:{port}")

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self, grace_s: float = 5.0) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
        super().stop(grace_s)
