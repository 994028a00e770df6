"""A fingerprint of the machine and software that produced a result.

Stored in every result file's ``machine_info`` (through pytest-benchmark's
``pytest_benchmark_update_machine_info`` hook) so results describe themselves.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import sys
from collections.abc import Callable
from pathlib import Path

HARNESS_LIBRARIES = ("numpy", "scipy", "pytest-benchmark")


def measured_libraries() -> tuple[str, ...]:
    """Every library commbench measures: the codecs' distributions (from the codec
    registry), each registered family's ``libraries``, and the harness's own."""
    from commbench.codecs import CODECS
    from commbench.families import FAMILIES

    codecs = [c.distribution for c in CODECS.values() if c.distribution != "python"]
    others = [name for family in FAMILIES.values() for name in family.libraries]
    return tuple(dict.fromkeys([*codecs, *others, *HARNESS_LIBRARIES]))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def library_versions() -> dict[str, str]:
    """Installed version of every library commbench measures ("not installed" if absent)."""
    versions = {}
    for name in measured_libraries():
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def protobuf_backend() -> str:
    from commbench.codecs.protobuf_codec import backend

    return backend()


def libzmq_version() -> str:
    """The version of the libzmq the suite measures (pyzmq's bundled one)."""
    import zmq

    return zmq.zmq_version()


def _mpi_library() -> str:
    from mpi4py import MPI

    return MPI.Get_library_version().splitlines()[0].strip()


PROBES: dict[str, Callable[[], object]] = {
    "protobuf_backend": protobuf_backend,
    "libzmq": libzmq_version,
    "mpi_library": _mpi_library,
}
"""Extra facts, one probe each (a probe that fails records "unknown (...)")."""


def fingerprint() -> dict[str, object]:
    """Everything that explains why two machines give different numbers."""
    info: dict[str, object] = {
        "hostname": socket.gethostname(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "memory_total_bytes": _memory_total_bytes(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()),
        "python_compiler": platform.python_compiler(),
        "python_executable": sys.executable,
        "libraries": library_versions(),
    }
    for name, probe in PROBES.items():
        try:
            info[name] = probe()
        except Exception as exc:  # a failing probe is a fact to record, not a crash
            info[name] = f"unknown ({type(exc).__name__})"
    return info


def protobuf_backend_warning(backend: str) -> str | None:
    """A loud warning when protobuf runs on its pure-Python implementation."""
    if backend == "python":
        return (
            "WARNING: protobuf is using its pure-Python backend; protobuf figures are "
            "10-100x slower than with upb and not representative"
        )
    return None
