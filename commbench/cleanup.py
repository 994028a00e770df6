"""Nothing the suite starts outlives it: processes, temporary directories, namespaces.

Children die with their parent (``PR_SET_PDEATHSIG``, see
:func:`commbench.transports.peerproc.die_with_parent`). For what that cannot reach (a
daemon that detaches, such as Erlang's ``epmd``; a network namespace; a data directory)
the owner records it here, under ``$TMPDIR/commbench-owned/<owner pid>/``, and the next
run sweeps whatever a dead owner left: a run SIGKILLed mid-way is cleaned at the next start.
Names carry the owner's PID: temporary directories ``commbench-<pid>-*``, namespaces
``cb-<pid>-*`` or ``cb-<kind>-<pid>-*`` (the cap family's ``cb-cap-<pid>-*``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

LEDGER_DIR = Path(tempfile.gettempdir()) / "commbench-owned"
_NAMESPACE = re.compile(r"^cb-(?:[a-z]+-)?(\d+)-")
_TEMPDIR = re.compile(r"^commbench-(\d+)-")


def alive(pid: int) -> bool:
    """Whether a process *pid* exists (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _start_time(pid: int) -> str | None:
    """The kernel's start time of *pid*: tells a recorded process from a reused PID."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def record_pid(pid: int, owner: int | None = None) -> None:
    """Remember *pid* (a daemon, a server) as belonging to *owner* (default: this process)."""
    folder = LEDGER_DIR / str(owner or os.getpid())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"pid-{pid}").write_text(_start_time(pid) or "")


def owned_tempdir(kind: str) -> Path:
    """A fresh temporary directory named for this process, swept if it is left behind."""
    return Path(tempfile.mkdtemp(prefix=f"commbench-{os.getpid()}-{kind}-"))


def sweep() -> list[str]:
    """End what dead owners left behind; returns one line per thing removed."""
    done: list[str] = []
    if LEDGER_DIR.is_dir():
        for folder in LEDGER_DIR.iterdir():
            if not folder.name.isdigit() or alive(int(folder.name)):
                continue
            for entry in folder.glob("pid-*"):
                pid = int(entry.name[4:])
                if alive(pid) and _start_time(pid) == (entry.read_text() or None):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                        done.append(f"process {pid}")
            shutil.rmtree(folder, ignore_errors=True)
    for path in Path(tempfile.gettempdir()).glob("commbench-*-*"):
        match = _TEMPDIR.match(path.name)
        if match and path.is_dir() and not alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"directory {path}")
    for name in stale_namespaces():
        remove_namespace(name)
        done.append(f"namespace {name}")
    return done


def stale_namespaces(prefix: str = "cb-") -> list[str]:
    """Namespaces named *prefix*... whose owner (the PID in the name) is dead."""
    found = []
    for name in _namespaces():
        match = _NAMESPACE.match(name)
        if name.startswith(prefix) and match and not alive(int(match.group(1))):
            found.append(name)
    return found


def remove_namespace(name: str, grace_s: float = 3.0) -> None:
    """End what runs inside namespace *name* (SIGTERM, then SIGKILL after *grace_s*: a
    process outlives the deletion of its namespace), then delete it."""
    done = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
    pids = [int(p) for p in done.stdout.split() if p.isdigit()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if alive(p)]
        time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)


def _namespaces() -> list[str]:
    if not shutil.which("ip") or not Path("/run/netns").is_dir():
        return []
    return [p.name for p in Path("/run/netns").iterdir()]
