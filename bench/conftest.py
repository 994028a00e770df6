"""Fixtures for the benchmark modules: payloads, prepared codecs, unsupported rows."""

from __future__ import annotations

import os
import sys

import pytest

from commbench.codecs import CODECS, Unsupported
from commbench.corpus import Payload, builtin_payloads
from commbench.errors import UserError
from commbench.marshalling import Prepared, prepare
from commbench.pytest_plugin import REJECTED, UNSUPPORTED
from commbench.user_payloads import load_user_payload, resolve_payload_args


def marshalling_payloads(config: pytest.Config) -> list[Payload]:
    """Built-in corpus, size sweep and the user's files; bad files are reported, not fatal."""
    profile = config.getoption("--profile")
    payloads = builtin_payloads(profile)  # the shapes, then the size sweep
    # `commbench run` has already checked payloads/ and passes the good files on
    include_dropped = not os.environ.get("COMMBENCH_SKIP_DROPPED_PAYLOADS")
    for path in resolve_payload_args(
        config.getoption("--payload"), include_dropped=include_dropped
    ):
        try:
            payloads.append(load_user_payload(path))
        except UserError as exc:
            sys.stderr.write(f"commbench: error: {exc}\n")
            config.stash[REJECTED].append({"file": str(path), "reason": str(exc)})
    return payloads


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "payload" in metafunc.fixturenames:
        payloads = marshalling_payloads(metafunc.config)
        metafunc.parametrize("payload", payloads, ids=[p.name for p in payloads])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.stash[REJECTED] and exitstatus == 0:
        session.exitstatus = 2  # a payload file was refused: say so in the status


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
    if isinstance(outcome, str):
        record = {
            "family": "marshalling",
            "subject": codec_name,
            "params": {"payload": payload.name},
            "reason": outcome,
        }
        if record not in request.config.stash[UNSUPPORTED]:
            request.config.stash[UNSUPPORTED].append(record)
        pytest.skip(f"{codec_name} cannot carry {payload.name}: {outcome}")
    return outcome
