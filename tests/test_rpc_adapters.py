"""Every rpc adapter round-trips the whole corpus through a real server process, exactly.

Exactly: ``first_difference`` is stricter than ``==`` (1 is not 1.0, True is not 1).
"""

from __future__ import annotations

import copy

import pytest

from commbench.codecs.walk import first_difference
from commbench.corpus import Payload, builtin_payloads
from commbench.rpc import FRAMEWORKS, Unsupported, WrongAnswer, load
from commbench.rpc.pool import open_pair

WORKING = [name for name, f in FRAMEWORKS.items() if f.module != "missing"]
CARRIED = {"thrift": ("Rpc", "Sweep"), "capnp": ("Rpc", "Sweep", "Blob")}
"""Frameworks whose schema carries only some corpus shapes -> the messages it carries."""


@pytest.fixture(scope="module")
def corpus() -> list[Payload]:
    return builtin_payloads("quick", seed=0)


@pytest.fixture(scope="module", params=WORKING)
def pair(request: pytest.FixtureRequest):
    opened = open_pair(request.param, None)
    try:
        yield opened
    finally:
        opened.client.close()
        opened.server.stop()


def test_every_working_framework_loads() -> None:
    for name in WORKING:
        framework, adapter = load(name)
        assert framework.name == name and callable(adapter.connect) and callable(adapter.serve)


@pytest.mark.slow
def test_adapter_round_trips_the_corpus(pair, corpus: list[Payload]) -> None:
    slow_json = pair.framework.name == "connect-json"
    for i, payload in enumerate(corpus):
        if slow_json and payload.name in ("canada", "sweep-1MB"):
            continue  # protobuf's JSON mapping takes seconds on these; covered by the others
        try:
            bound = pair.client.bind(payload)
        except Unsupported as exc:  # Thrift and Cap'n Proto carry a few shapes only
            assert pair.framework.name in CARRIED, (pair.framework.name, str(exc))
            assert payload.message not in CARRIED[pair.framework.name], payload.name
            continue
        reply = bound.call(100 + i)
        bound.check(reply, 100 + i)
        assert first_difference(payload.value, bound.document(reply)) is None, payload.name


def test_adapter_round_trips_the_rpc_record_and_refuses_a_wrong_reply(pair, corpus) -> None:
    payload = next(p for p in corpus if p.name == "rpc")
    bound = pair.client.bind(payload)
    reply = bound.call(7)
    bound.check(reply, 7)
    assert first_difference(payload.value, bound.document(reply)) is None
    with pytest.raises(WrongAnswer):
        bound.check(reply, 8)  # another call's id
    other = copy.deepcopy(payload.value)
    other["args"]["limit"] += 1
    changed = pair.client.bind(Payload("rpc", other, "Rpc", "builtin", "changed"))
    wrong = changed.call(9)
    with pytest.raises(WrongAnswer):
        bound.check(wrong, 9)  # a fast wrong answer is not a result


def test_missing_framework_is_unsupported_with_the_reason(monkeypatch) -> None:
    from dataclasses import replace

    fake = replace(FRAMEWORKS["tcp"], name="fake", requires=("no_such_module_for_commbench",))
    monkeypatch.setitem(FRAMEWORKS, "fake", fake)
    with pytest.raises(Unsupported, match="no_such_module_for_commbench is not installed"):
        load("fake")
    stub = replace(FRAMEWORKS["tcp"], name="stub", module="missing", options={"reason": "r1"})
    monkeypatch.setitem(FRAMEWORKS, "stub", stub)
    with pytest.raises(Unsupported, match="r1"):
        load("stub")  # no adapter: unsupported, with the reason


def test_capnp_is_a_working_framework_and_carries_its_shapes(corpus) -> None:
    """pycapnp installs and its adapter serves: Cap'n Proto is measured, not a missing row."""
    assert "capnp" in WORKING
    framework, adapter = load("capnp")
    assert adapter.ENCODING == "capnp" and framework.codec == "capnp"
    blob = next(p for p in corpus if p.message == "Blob")
    assert adapter.to_plain(adapter.to_fields(blob.value)) == blob.value
    assert "contentType" in adapter.to_fields(blob.value)  # Cap'n Proto forbids "_"


def test_capnp_read_by_value_and_by_reference() -> None:
    from commbench.rpc.byref import expected, make_object, passing, shared_copy

    opened = open_pair("capnp", None)
    try:
        data = make_object(10_000)
        with shared_copy(data) as segment:
            for mode in ("value", "reference"):
                want = expected(data, "1%")
                bound = opened.client.bind_read(passing(mode, data, segment), 0.01, want)
                reply = bound.call(3)
                bound.check(reply, 3)
                assert bound.document(reply) == want
                with pytest.raises(WrongAnswer):
                    bound.check(reply, 4)
    finally:
        opened.client.close()
        opened.server.stop()
    assert opened.server.process.returncode is not None


def test_capnp_server_stops_quietly_with_a_client_connected(tmp_path) -> None:
    """SIGTERM while a connection is open: exit status 0 and nothing on stderr (pycapnp
    cancels the connection's task as the loop shuts down)."""
    from commbench.corpus import GENERATORS
    from commbench.rpc.capnp_rpc import connect
    from commbench.rpc.process import ServerProcess

    with open(tmp_path / "server.log", "w") as log:
        server = ServerProcess("capnp", log=log)
        try:
            client = connect(server.address, {})
            bound = client.bind(GENERATORS["rpc"](0))
            bound.check(bound.call(1), 1)
        finally:
            server.stop()
        client.close()
    assert server.process.returncode == 0
    assert (tmp_path / "server.log").read_text() == ""
