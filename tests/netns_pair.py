"""Two hosts on a (virtual) LAN for the LAN tests: two network namespaces joined by a veth
pair, A at 198.18.0.1 and B at 198.18.0.2 (/24), loopback up in each. Needs root; an
assertion, not a skip, says so. Named ``cb-<pid>-<tag>A`` / ``...B``, so ``commbench``'s
sweep of stale namespaces finds them if a run is killed before it removes them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from commbench.cleanup import remove_namespace

A_ADDR, B_ADDR = "198.18.0.1", "198.18.0.2"


class TwoHosts(NamedTuple):
    a: str
    """Namespace of host A (198.18.0.1)."""
    b: str
    """Namespace of host B (198.18.0.2)."""
    veth_a: str
    """A's end of the veth pair (inside namespace *a*)."""


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


@contextmanager
def veth_pair(tag: str, *, rate: str | None = None) -> Iterator[TwoHosts]:
    """Create the two namespaces (*tag*: a letter or two telling the tests' pairs apart),
    with a ``tc tbf`` limit of *rate* (``"1gbit"``) on both ends when given; end what runs
    in them and delete them on exit."""
    assert os.geteuid() == 0, "the LAN test needs root to create network namespaces"
    pid = os.getpid()
    a, b = f"cb-{pid}-{tag}A", f"cb-{pid}-{tag}B"
    veth_a, veth_b = f"cb{tag}a{pid % 10000}", f"cb{tag}b{pid % 10000}"
    try:
        sh("ip", "netns", "add", a)
        sh("ip", "netns", "add", b)
        sh("ip", "link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
        sh("ip", "link", "set", veth_a, "netns", a)
        sh("ip", "link", "set", veth_b, "netns", b)
        for ns, dev, addr in ((a, veth_a, A_ADDR), (b, veth_b, B_ADDR)):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            if rate:
                sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root",
                   "tbf", "rate", rate, "burst", "256kb", "latency", "50ms")  # fmt: skip
        yield TwoHosts(a, b, veth_a)
    finally:
        for ns in (a, b):  # deleting a namespace deletes its end of the veth pair
            remove_namespace(ns)
