"""pytest plugin: commbench options shared by bench/ and tests/, and the hooks that make
result files self-describing (machine fingerprint, schema, unsupported rows).

Loaded by the root conftest.py.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import pytest

from commbench.messaging.profile import PROFILES as MESSAGING_PROFILES
from commbench.profiles import DEFAULT_PROFILE, PROFILES

UNSUPPORTED = pytest.StashKey[list]()
REJECTED = pytest.StashKey[list]()
USER_ERRORS = pytest.StashKey[list]()
WALL_S = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("commbench")
    group.addoption(
        "--profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help="corpus and sweep sizes: quick (a first look) or full",
    )
    group.addoption(
        "--peer",
        default=None,
        metavar="HOST:PORT",
        help="LAN mode: measure against `commbench peer` on another machine",
    )
    group.addoption(
        "--mpi-hosts",
        default=None,
        metavar="A,B",
        help="LAN mode: MPI across machines through mpiexec's host list (A = this machine)",
    )
    group.addoption("--mpi-launcher-exec", default=None, help="hydra's rsh launcher program")
    group.addoption("--mpi-iface", default=None, help="network interface the ranks use")
    group.addoption(
        "--payload",
        action="append",
        default=[],
        metavar="FILE",
        help="a JSON file to benchmark beside the built-in corpus (repeatable)",
    )
    group.addoption(
        "--payloads-resolved",
        action="store_true",
        help="the --payload files are the whole list, already checked (commbench run does "
        "that): files dropped into payloads/ are not added again",
    )
    group.addoption(
        "--user-error",
        action="append",
        default=[],
        metavar="TEXT",
        help="a user error found before the run (kept in the result file's block)",
    )
    group.addoption(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE.py|MODULE",
        help="a Python file or module that registers benchmark families (repeatable)",
    )
    group.addoption(
        "--named-suites",
        default="",
        metavar="A,B",
        help="the suites the user named: a component they need that is missing is a user "
        "error; under --suite all it is an unsupported row only",
    )
    for role, what in (("cert", "certificate (PEM) the RPC servers present"),
                       ("key", "private key (PEM) of --rpc-tls-cert"),
                       ("ca", "CA certificate (PEM) the RPC clients trust")):  # fmt: skip
        group.addoption(
            f"--rpc-tls-{role}",
            default=None,
            metavar="FILE",
            help=f"rpc TLS cases: the {what}, instead of a CA made at run time "
            "(give cert, key and ca together; the certificate must name 127.0.0.1)",
        )
    group.addoption(
        "--keep-raw-samples",
        action="store_true",
        default=False,
        help="with --benchmark-save-data: keep every raw sample of the benchmarks that "
        "also store an HdrHistogram (latency), not just the histogram",
    )
    group.addoption(
        "--ledger-dir",
        default=None,
        metavar="DIR",
        help="messaging: where each stream's per-message records go (default: beside the "
        "--benchmark-json file as <result>.ledgers, or under the result storage as "
        "ledgers/<run id>)",
    )
    group.addoption(
        "--messaging-profile",
        default=None,
        choices=sorted(MESSAGING_PROFILES),
        help="messaging: this family's profile instead of --profile's (tiny: the small "
        "run behind tests/data/messaging-tiny.json)",
    )


def pytest_configure(config: pytest.Config) -> None:
    from commbench.families import load_plugins

    config.stash[UNSUPPORTED] = []
    config.stash[REJECTED] = []
    config.stash[USER_ERRORS] = list(config.getoption("--user-error"))
    config.stash[WALL_S] = {}
    load_plugins(config.getoption("--plugin"))


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    from commbench.machine import fingerprint, protobuf_backend_warning

    info = fingerprint()
    machine_info["commbench"] = info
    warning = protobuf_backend_warning(str(info.get("protobuf_backend")))
    if warning:
        sys.stderr.write(warning + "\n")


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: dict) -> None:
    from commbench.results import SCHEMA_VERSION

    block: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "profile": config.getoption("--profile"),
        "unsupported": config.stash[UNSUPPORTED],
        "rejected_payloads": config.stash[REJECTED],
        "user_errors": config.stash[USER_ERRORS],
        "wall_s": {k: round(v, 1) for k, v in config.stash[WALL_S].items()},
    }
    if any(
        b.get("extra_info", {}).get("family") == "marshalling" for b in output_json["benchmarks"]
    ):
        from commbench.codecs import CODECS
        from commbench.edge_cases import support_matrix

        block["support"] = support_matrix(CODECS.values())
    peer = config.getoption("--peer")
    if peer:
        from commbench.transports.remote import peer_fingerprint

        block["peer"] = peer
        block["peer_machine"] = peer_fingerprint(peer)
    output_json["commbench"] = block
    if not config.getoption("--keep-raw-samples"):
        drop_raw_samples_of_histograms(output_json)
        shorten_raw_samples(output_json)


def drop_raw_samples_of_histograms(output_json: dict) -> int:
    """Leave out ``stats.data`` of every benchmark that holds its distribution as an
    HdrHistogram (``extra_info["histogram"]``); returns how many were left out.

    Those are the benchmarks with :data:`commbench.transports.latency.HISTOGRAM_MIN_ROUNDS`
    samples or more stored by ``record_samples``: latency (2,000 to 10,000 round trips
    per case) and the transport references; the families RPC and messaging will be too.
    Keep raw samples: marshalling (pytest-benchmark's own calibrated rounds, each the mean
    of many iterations, exact values the comparisons rank: 5 to 50 rounds in the quick
    profile, 15 to 1,000 in the full one; ~4 MB of a full result file's 9.2 MB, written
    to 10 significant digits by :func:`shorten_raw_samples`), dissemination (5 seeded
    runs) and throughput (a few timed streams). With them a full result file of the four
    families (native floors included) is 9.2 MB (100 MB when latency kept every round
    trip). pytest-benchmark's own ``stats`` (min .. iqr, ops, rounds) stay as computed
    from the raw samples. Only the JSON written is changed: the benchmarks in memory keep
    their data.
    """
    dropped = 0
    for bench in output_json.get("benchmarks", []):
        if "histogram" in (bench.get("extra_info") or {}):
            dropped += bench.get("stats", {}).pop("data", None) is not None
    return dropped


RAW_SAMPLE_DIGITS = 10
"""Significant digits of the raw samples written (the families that keep them)."""


def shorten_raw_samples(output_json: dict, digits: int = RAW_SAMPLE_DIGITS) -> int:
    """Write every raw sample kept (``stats.data``) with *digits* significant digits
    instead of Python's 17; returns how many samples were written.

    A sample is one timed round divided by its iterations, from ``perf_counter`` (1 ns
    resolution): 10 significant digits keep it within 5e-10 of its value, far below the
    timer's step, so every sample keeps its value and rank to the timer's resolution,
    and ~1 MB of a full result file's marshalling rounds goes (each number ~13 characters
    instead of ~21). pytest-benchmark's ``stats`` were computed from the unrounded samples
    and are left as they are; ``--keep-raw-samples`` writes the samples unrounded.
    """
    written = 0
    for bench in output_json.get("benchmarks", []):
        data = (bench.get("stats") or {}).get("data")
        if isinstance(data, list) and data:
            bench["stats"]["data"] = [
                float(f"{x:.{digits}g}") if isinstance(x, float) else x for x in data
            ]
            written += len(data)
    return written


def record_unsupported(
    config: pytest.Config,
    family: str,
    subject: str,
    params: dict,
    reason: str,
    *,
    missing: bool = False,
) -> None:
    """Keep the reason in the result file's unsupported list, then skip visibly (-rs).

    ``missing``: the reason is a component that is not here (a tool, a server, a library),
    not a combination that cannot work. It is then also a user error when the user named
    this family's suite (``--suite rpc``), and only an unsupported row under ``--suite all``.
    """
    record = {"family": family, "subject": subject, "params": params, "reason": reason}
    if missing:
        record["missing"] = True
    if record not in config.stash[UNSUPPORTED]:
        config.stash[UNSUPPORTED].append(record)
        if missing and _named(config, family):
            config.stash[USER_ERRORS].append(f"{family} {subject}: {reason}")
    pytest.skip(f"{subject}: {reason}")


def _named(config: pytest.Config, family: str) -> bool:
    from commbench.families import suite_of

    named = {s for s in str(config.getoption("--named-suites") or "").split(",") if s}
    suite = suite_of(family)
    return bool(named) and suite is not None and suite.name in named


@pytest.fixture
def unsupported(request: pytest.FixtureRequest):
    """``unsupported(family, subject, params, reason, missing=False)``: record and skip."""
    return functools.partial(record_unsupported, request.config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Add each test's wall time (set-up, call, tear-down) to its suite's total."""
    import time

    started = time.perf_counter()
    yield
    suite = _suite_of_path(str(item.path))
    if suite:
        wall = item.config.stash.get(WALL_S, None)
        if wall is not None:
            wall[suite] = wall.get(suite, 0.0) + time.perf_counter() - started


@functools.cache
def _suite_of_path(path: str) -> str | None:
    from commbench.families import FAMILIES

    return next((f.name for f in FAMILIES.values() if path in f.bench_paths()), None)
