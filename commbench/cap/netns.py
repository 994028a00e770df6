"""Network namespaces for store clusters: one per member, joined by a bridge, cut at will.

A :class:`Network` of n members makes n + 1 namespaces named ``cb-cap-<pid>-<seq>-...``:
``...-br`` holds a bridge, and member i's namespace ``...-m<i>`` a veth ``eth0`` into it
with the address ``198.18.<subnet>.<i>/24`` (198.18.0.0/15 is the benchmarking range).
Partitions are blackhole routes on both sides (``ip -n NS route add blackhole ADDR/32``)
or a member's link set down; :meth:`Network.heal` undoes them. Everything is deleted
when the context ends, also on an exception; namespaces left by a run that died (their
pid no longer runs) are swept, with any process still inside, at the next start.

Threads enter a member's namespace with :func:`enter` (``setns(2)`` applies to the calling
thread only), so a workload's clients share one process and one monotonic clock.
Needs root: without it, :func:`require_root` raises a one-line :class:`UserError`.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from commbench import cleanup
from commbench.errors import UserError

PREFIX = "cb-cap-"
CLONE_NEWNET = 0x40000000
IP_TIMEOUT_S = 20.0
_SEQ = itertools.count()


def require_root() -> None:
    if os.geteuid() != 0:
        raise UserError("cap: network namespaces need root (run the cap family as root)")


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``ip ARGS``; a failure is a :class:`UserError` with ip's own message."""
    try:
        done = subprocess.run(
            ["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise UserError("cap: the `ip` command (iproute2) is not installed") from None
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise UserError(f"cap: ip {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done


def namespaces() -> list[str]:
    """Names of the network namespaces on this machine."""
    return [line.split()[0] for line in ip("netns", "list").stdout.splitlines() if line.strip()]


def sweep_stale() -> list[str]:
    """Delete ``cb-cap-*`` namespaces whose owning run is dead (with what runs in them)."""
    swept = cleanup.stale_namespaces(PREFIX)
    for name in swept:
        cleanup.remove_namespace(name)
    return swept


class Network:
    """n member namespaces on a bridge; a context manager that removes everything."""

    def __init__(self, members: int, subnet: int = 50) -> None:
        if not 1 <= members <= 200:
            raise UserError(f"cap: a network of {members} members is not supported (1-200)")
        self.n = members
        self.subnet = subnet
        self.name = f"{PREFIX}{os.getpid()}-{next(_SEQ)}"
        self.bridge_ns = f"{self.name}-br"
        self.members = [f"{self.name}-m{i}" for i in range(1, members + 1)]
        self.addresses = [f"198.18.{subnet}.{i}" for i in range(1, members + 1)]
        self.created: list[str] = []
        self.cuts: set[tuple[int, int]] = set()
        self.down: set[int] = set()

    # --- life cycle --------------------------------------------------------------------

    def __enter__(self) -> Network:
        require_root()
        sweep_stale()
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add_namespace(self, name: str) -> None:
        if name in namespaces():
            raise UserError(f"cap: network namespace {name} is already taken")
        ip("netns", "add", name)
        self.created.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def _create(self) -> None:
        self._add_namespace(self.bridge_ns)
        ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        ip("-n", self.bridge_ns, "link", "set", "br0", "up")
        for i, (ns, address) in enumerate(zip(self.members, self.addresses), 1):
            self._add_namespace(ns)
            port = f"m{i}"
            ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
               "netns", self.bridge_ns)  # fmt: skip
            ip("-n", self.bridge_ns, "link", "set", port, "master", "br0")
            ip("-n", self.bridge_ns, "link", "set", port, "up")
            ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")

    def close(self) -> None:
        """Delete every namespace made (ending what still runs inside); idempotent."""
        for name in reversed(self.created):
            cleanup.remove_namespace(name)
        self.created.clear()

    # --- faults ------------------------------------------------------------------------

    def partition(self, *sides: Iterable[int]) -> None:
        """Cut every pair of members on different *sides* (0-based member indices) with
        blackhole routes both ways; members on no side keep all their links."""
        groups = [list(side) for side in sides]
        for a, b in itertools.combinations(range(len(groups)), 2):
            for i in groups[a]:
                for j in groups[b]:
                    self.cut(i, j)

    def isolate(self, member: int) -> None:
        """Cut *member* from every other member."""
        self.partition([member], [i for i in range(self.n) if i != member])

    def cut(self, i: int, j: int) -> None:
        for x, y in ((i, j), (j, i)):
            if (x, y) not in self.cuts:
                ip("-n", self.members[x], "route", "add", "blackhole", f"{self.addresses[y]}/32")
                self.cuts.add((x, y))

    def link_down(self, member: int) -> None:
        ip("-n", self.members[member], "link", "set", "eth0", "down")
        self.down.add(member)

    def heal(self) -> None:
        """Remove every blackhole route and bring every link back up."""
        for x, y in sorted(self.cuts):
            ip("-n", self.members[x], "route", "del", "blackhole", f"{self.addresses[y]}/32",
               check=False)  # fmt: skip
        self.cuts.clear()
        for member in sorted(self.down):
            ip("-n", self.members[member], "link", "set", "eth0", "up", check=False)
            # the connected route goes with the link; it comes back with the address
        self.down.clear()

    # --- processes ---------------------------------------------------------------------

    def popen(self, member: int, command: Sequence[str], **kwargs) -> subprocess.Popen:
        """Start *command* inside member's namespace; it gets SIGTERM if we die."""
        return subprocess.Popen(
            ["ip", "netns", "exec", self.members[member], *command],
            preexec_fn=_die_with_parent,
            **kwargs,
        )


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def enter(ns: str) -> None:
    """Move the calling thread (only it) into network namespace *ns*."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise UserError(f"cap: cannot enter namespace {ns}: {os.strerror(errno)}")
    finally:
        os.close(fd)


T = TypeVar("T")


def in_namespace(ns: str, fn: Callable[[], T], timeout_s: float = 30.0) -> T:
    """Run *fn* in a new thread inside namespace *ns* and return its result (or raise)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            enter(ns)
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, name=f"in-{ns}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise UserError(f"cap: a call inside namespace {ns} took over {timeout_s:.0f} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]
