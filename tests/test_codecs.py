"""Every codec round-trips what it claims to carry, and says why when it cannot."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings

from commbench.codecs import CODECS, Unsupported
from commbench.codecs.walk import b64_default, first_difference, restore_binary, touch_plain
from commbench.corpus import Payload
from commbench.edge_cases import EDGE_CASES, edge_payload, support_matrix
from commbench.marshalling import prepare
from tests.strategies import json_objects

JSON_LIKE = [name for name in CODECS if not name.startswith("protobuf")]


def _payload(value: object, name: str = "doc") -> Payload:
    return Payload(name=name, value=value, message=None, source="test", description="", params={})


def test_registry_holds_every_format() -> None:
    assert set(CODECS) == {
        "json",
        "orjson",
        "msgpack",
        "protobuf",
        "protobuf+dict",
        "msgspec-json",
        "msgspec-msgpack",
        "cbor2",
    }
    for codec in CODECS.values():
        assert codec.version != "not installed", codec.name
        assert codec.cannot_carry


@pytest.mark.parametrize("name", JSON_LIKE)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_objects)
def test_json_like_codecs_round_trip_arbitrary_documents(name: str, doc: dict) -> None:
    prepared = prepare(CODECS[name], _payload(doc))
    assert (
        first_difference(doc, prepared.bound.to_plain(prepared.bound.decode(prepared.encoded)))
        is None
    )
    assert prepared.metrics["encoded_bytes"] == len(prepared.encoded) > 0


@pytest.mark.parametrize("name", ["protobuf", "protobuf+dict"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_objects)
def test_protobuf_round_trips_or_says_why(name: str, doc: dict) -> None:
    try:
        prepared = prepare(CODECS[name], _payload(doc, name=f"h{id(doc)}"))
    except Unsupported as exc:
        assert str(exc), "an unsupported document needs a reason"
        return
    back = prepared.bound.to_plain(prepared.bound.decode(prepared.encoded))
    assert first_difference(doc, back) is None


def test_edge_cases_each_round_trip_or_have_a_reason() -> None:
    rows = support_matrix(CODECS.values())
    assert len(rows) == len(CODECS) * len(EDGE_CASES)
    outcome = {(r["codec"], r["case"]): r["outcome"] for r in rows}
    for row in rows:
        assert row["outcome"], row
    # facts of the libraries, known independently of this code:
    assert outcome[("cbor2", "int-beyond-64-bits")] == "ok"  # CBOR bignums (tags 2 and 3)
    assert outcome[("orjson", "int-beyond-64-bits")] != "ok"  # orjson refuses > 64-bit ints
    assert outcome[("msgpack", "int-beyond-64-bits")] != "ok"  # MessagePack ints are 64-bit
    assert "lossy" in outcome[("orjson", "nan-and-infinity")]  # orjson writes NaN as null
    assert outcome[("json", "nan-and-infinity")] == "ok"  # stdlib accepts its NaN extension
    assert outcome[("msgpack", "nan-and-infinity")] == "ok"  # IEEE doubles on the wire
    assert outcome[("json", "lone-surrogate")] != "ok"  # UTF-8 cannot encode it
    for codec in CODECS:
        assert outcome[(codec, "unicode-cjk")] == "ok", codec
        assert outcome[(codec, "int64-limits")] == "ok", codec
    assert outcome[("protobuf", "heterogeneous-list")].startswith("no protobuf schema")
    assert outcome[("protobuf", "null-in-list")].startswith("no protobuf schema")


def test_edge_payloads_are_named_and_schemaless() -> None:
    payload = edge_payload("empty-object")
    assert payload.name == "edge-empty-object" and payload.message is None
    assert payload.value == {}


def test_first_difference_is_strict() -> None:
    assert first_difference({"a": [1, 2.0]}, {"a": [1, 2.0]}) is None
    assert first_difference([1], [1.0]) == "$[0]: sent int, got float"
    assert first_difference([True], [1]) == "$[0]: sent bool, got int"
    assert first_difference({"x": math.nan}, {"x": math.nan}) is None
    assert first_difference({"x": math.nan}, {"x": None}) == "$.x: sent float, got NoneType"
    assert first_difference({"a": 1}, {"b": 1}).startswith("$: keys differ")
    assert first_difference([1, 2], [1]) == "$: sent 2 items, got 1"
    assert first_difference("é", "e") == "$: sent 'é', got 'e'"


def test_touch_counts_every_scalar() -> None:
    assert touch_plain({"a": [1, 2, {"b": None}], "c": "x"}) == 4
    assert touch_plain([]) == 0


def test_base64_for_json_and_back() -> None:
    blob = bytes(range(256))
    text = b64_default(blob)
    assert isinstance(text, str)
    doc = restore_binary({"outer": [{"data": text, "name": "n"}]}, frozenset({"data"}))
    assert doc["outer"][0]["data"] == blob and doc["outer"][0]["name"] == "n"
    with pytest.raises(TypeError):
        b64_default(object())


@pytest.mark.parametrize("name", list(CODECS))
def test_binary_blob_round_trips_through_every_codec(name: str) -> None:
    from commbench.corpus import builtin_payloads

    blob = next(p for p in builtin_payloads("quick") if p.name == "blob")
    prepared = prepare(CODECS[name], blob)
    if CODECS[name].wire_format == "JSON":
        # base64 is 4/3 of the binary: JSON pays for it in size
        assert prepared.metrics["encoded_bytes"] > len(blob.value["data"]) * 4 / 3
    else:
        assert prepared.metrics["encoded_bytes"] < len(blob.value["data"]) * 1.05
