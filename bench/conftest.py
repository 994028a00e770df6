"""Fixtures for the benchmark modules: payloads, prepared codecs, unsupported rows."""

from __future__ import annotations

import contextlib
import gc
import os
import sys

import pytest

from commbench.codecs import CODECS, Unsupported
from commbench.corpus import Payload, builtin_payloads
from commbench.errors import UserError
from commbench.marshalling import Prepared, prepare
from commbench.pytest_plugin import REJECTED, USER_ERRORS, record_unsupported
from commbench.transports.cases import Case, cases
from commbench.user_payloads import load_user_payload, resolve_payload_args


def marshalling_payloads(config: pytest.Config) -> list[Payload]:
    """Built-in corpus, size sweep and the user's files; bad files are reported, not fatal."""
    profile = config.getoption("--profile")
    payloads = builtin_payloads(profile)  # the shapes, then the size sweep
    # `commbench run` has already checked payloads/ and passes the good files on
    include_dropped = not config.getoption("--payloads-resolved")
    for path in resolve_payload_args(
        config.getoption("--payload"), include_dropped=include_dropped
    ):
        try:
            payloads.append(load_user_payload(path))
        except UserError as exc:
            sys.stderr.write(f"commbench: error: {exc}\n")
            config.stash[REJECTED].append({"file": str(path), "reason": str(exc)})
            config.stash[USER_ERRORS].append(str(exc))
    return payloads


_PAYLOADS = pytest.StashKey[dict]()
_CASES = pytest.StashKey[dict]()
_SIMS = pytest.StashKey[dict]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Parametrised by name, resolved by the fixtures below: pytest-benchmark stores
    # every param in the result file, and a payload's repr is the whole document.
    config = metafunc.config
    if "payload" in metafunc.fixturenames:
        if _PAYLOADS not in config.stash:
            config.stash[_PAYLOADS] = {p.name: p for p in marshalling_payloads(config)}
        names = list(config.stash[_PAYLOADS])
        metafunc.parametrize("payload", names, ids=names, indirect=True)
    if "dissemination_case" in metafunc.fixturenames:
        from commbench.dissemination.cases import sim_cases

        found = sim_cases(config.getoption("--profile"))
        config.stash.setdefault(_SIMS, {}).update({c.id: c for c in found})
        ids = [c.id for c in found]
        metafunc.parametrize("dissemination_case", ids, ids=ids, indirect=True)
    for kind in ("latency", "throughput"):
        if f"{kind}_case" in metafunc.fixturenames:
            found = cases(
                kind,
                config.getoption("--profile"),
                config.getoption("--peer"),
                config.getoption("--mpi-hosts"),
            )
            config.stash.setdefault(_CASES, {}).update({c.id: c for c in found})
            ids = [c.id for c in found]
            metafunc.parametrize(f"{kind}_case", ids, ids=ids, indirect=True)


@pytest.fixture
def payload(request: pytest.FixtureRequest) -> Payload:
    return request.config.stash[_PAYLOADS][request.param]


@pytest.fixture
def dissemination_case(request: pytest.FixtureRequest):
    return request.config.stash[_SIMS][request.param]


@pytest.fixture
def latency_case(request: pytest.FixtureRequest) -> Case:
    return request.config.stash[_CASES][request.param]


@pytest.fixture
def throughput_case(request: pytest.FixtureRequest) -> Case:
    return request.config.stash[_CASES][request.param]


_PREPARED: dict[tuple[str, str], Prepared | str] = {}


def _prepared(codec_name: str, payload: Payload) -> Prepared | str:
    """Prepare once per codec x payload (shared by the ops), the reason if unsupported."""
    key = (codec_name, payload.name)
    if key not in _PREPARED:
        try:
            _PREPARED[key] = prepare(CODECS[codec_name], payload)
        except Unsupported as exc:
            _PREPARED[key] = str(exc)
    return _PREPARED[key]


@pytest.fixture
def prepared(request: pytest.FixtureRequest, payload: Payload, codec_name: str) -> Prepared:
    """The codec bound to the payload and checked once; unsupported -> recorded and skipped."""
    outcome = _prepared(codec_name, payload)
    # Everything alive now (payloads, prepared codecs) moves to the permanent
    # generation: the collector then traverses only what the timed call creates, so a
    # benchmark's GC cost does not depend on how much the suite happens to hold.
    gc.collect()
    gc.freeze()
    if isinstance(outcome, str):
        params = {"payload": payload.name}
        record_unsupported(request.config, "marshalling", codec_name, params, outcome)
    return outcome


# ------------------------------------------------------------------ transports


class LinkPool:
    """The open link (client + peer process) shared by the sizes of one transport x placement.

    Cases arrive grouped by transport and placement, so one link is open at a time:
    asking for another closes the previous one (its peer processes end) and restores
    this process's CPU affinity, whatever the link did with it. Everything is closed
    at the end of the session, whatever happens, so no peer outlives the run.
    """

    def __init__(self, options: dict) -> None:
        self.options = options
        self._affinity = os.sched_getaffinity(0)
        self._key: tuple[str, str] | None = None
        self._stack = contextlib.ExitStack()
        self._link: object = None

    def get(self, case: Case) -> object:
        key = (case.transport.name, case.placement.name)
        if key != self._key:
            self.close()
            self._link = self._stack.enter_context(
                case.transport.open(case.placement, self.options)
            )
            self._key = key
        return self._link

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self._stack = contextlib.ExitStack()
            self._key = self._link = None
            os.sched_setaffinity(0, self._affinity)


@pytest.fixture(scope="session")
def link_pool(request: pytest.FixtureRequest):
    profile = request.config.getoption("--profile")
    pool = LinkPool(
        {
            "peer": request.config.getoption("--peer"),
            "mpi_hosts": request.config.getoption("--mpi-hosts"),
            "mpi_launcher_exec": request.config.getoption("--mpi-launcher-exec"),
            "mpi_iface": request.config.getoption("--mpi-iface"),
            "profile": profile,
            "sizes": sorted({c.size_bytes for c in cases("latency", profile)}),
        }
    )
    yield pool
    pool.close()
