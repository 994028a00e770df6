"""payloads/corpus.proto, the generic converter and schema inference: exact round trips."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commbench.codecs import corpus_pb2, proto_convert
from commbench.codecs.proto_convert import is_list_wrapper, to_message, to_plain, touch
from commbench.codecs.proto_infer import MAX_DEPTH, infer_message_class
from commbench.corpus import Payload, builtin_payloads

ROOT = Path(__file__).resolve().parents[1]


def same(a: Any, b: Any, path: str = "$") -> None:
    """Assert *a* and *b* are equal with identical types (1 is not 1.0 nor True)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b), f"{path}: {a!r} != {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def leaves(doc: Any) -> int:
    """Scalars in a document, None included (what touch() counts)."""
    if isinstance(doc, dict):
        return sum(map(leaves, doc.values()))
    if isinstance(doc, list):
        return sum(map(leaves, doc))
    return 1


def round_trip(cls: Any, doc: Any) -> None:
    data = to_message(cls, doc).SerializeToString()
    same(doc, to_plain(cls.FromString(data)))
    assert touch(cls.FromString(data)) == leaves(doc)


@pytest.fixture(scope="module")
def corpus() -> list[Payload]:
    return builtin_payloads("quick", seed=0)


# ---------------------------------------------------------------- corpus.proto


def test_corpus_pb2_is_generated_from_corpus_proto(tmp_path: Path) -> None:
    import grpc_tools  # noqa: F401  (a dev dependency: missing is a failure, not a skip)

    command = [sys.executable, "-m", "grpc_tools.protoc", "-Ipayloads"]
    command += [f"--python_out={tmp_path}", "payloads/corpus.proto"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    fresh = (tmp_path / "corpus_pb2.py").read_bytes()
    committed = (ROOT / "commbench/codecs/corpus_pb2.py").read_bytes()
    assert fresh == committed, "stale corpus_pb2.py: run the command at the top of corpus.proto"
    text = (ROOT / "payloads/corpus.proto").read_text()
    assert "python -m grpc_tools.protoc -Ipayloads --python_out=commbench/codecs" in text


def test_list_wrappers_follow_the_convention() -> None:
    for name, desc in corpus_pb2.DESCRIPTOR.message_types_by_name.items():
        assert is_list_wrapper(desc) == name.endswith("List"), name


def test_every_builtin_payload_names_its_message(corpus: list[Payload]) -> None:
    for payload in corpus:
        assert payload.message in corpus_pb2.DESCRIPTOR.message_types_by_name, payload.name


def test_every_builtin_payload_round_trips_exactly(corpus: list[Payload]) -> None:
    for payload in corpus:
        round_trip(getattr(corpus_pb2, payload.message), payload.value)


def test_touch_counts_every_scalar(corpus: list[Payload]) -> None:
    for payload in corpus:
        cls = getattr(corpus_pb2, payload.message)
        message = cls.FromString(to_message(cls, payload.value).SerializeToString())
        assert touch(message) == leaves(payload.value) > 0
    canada = next(p for p in corpus if p.name == "canada")
    assert leaves(canada.value) > 100_000


def test_to_message_accepts_a_descriptor_and_refuses_misfits() -> None:
    doc = {"name": "n", "content_type": "t", "data": b"\x00\xff"}
    assert to_message(corpus_pb2.Blob.DESCRIPTOR, doc) == corpus_pb2.Blob(**doc)
    misfits = [
        (corpus_pb2.Blob, {"nope": 1}),
        (corpus_pb2.Blob, {"name": 5}),
        (corpus_pb2.Sweep, {"records": {"id": 1}}),
        (corpus_pb2.PointList, {"items": [1.0]}),
        (corpus_pb2.RingList, [[1.0, "x"]]),
        (corpus_pb2.CanadaGeometry, {"coordinates": [None]}),
    ]
    for cls, doc in misfits:
        with pytest.raises((TypeError, ValueError, KeyError, AttributeError)):
            to_message(cls, doc)


def test_nulls_are_unset_fields_and_come_back_as_none() -> None:
    event = {
        "description": None, "id": 7, "logo": None, "name": "x", "sub_topic_ids": [],
        "subject_code": "", "subtitle": None, "topic_ids": [1, 2],
    }  # fmt: skip
    message = to_message(corpus_pb2.CitmEvent, event)
    assert not message.HasField("description") and message.HasField("subject_code")
    round_trip(corpus_pb2.CitmEvent, event)


# ---------------------------------------------------------------- schema inference

MAPPABLE = [
    {},
    {"a": 1, "b": -2.5, "c": "é日本", "d": True, "e": b"\x00", "f": None},
    {"xs": [], "ys": [[]], "zs": [[1.0, 2.0], [], [3.0]]},
    [],
    [[1, 2], [3]],
    [{"a": 1}, {"b": "x"}, {}],  # keys missing from some dicts: left out again
    {"rows": [{"v": None}, {"v": 1}], "later": None, "maybe": [{"k": 2}]},
    {"tags": None, "more": [{"t": [1]}, {"t": None}]},  # nullable lists
    {"opt": [{"l": ["a"]}, {}]},  # a list missing from some dicts
    {"n": {"todo_list": {"items": [1]}}, "m": {"items": [2]}},
    {"a_b": 1, "aB": 2, "_a": 3, "a": None},
    {"big": 2**63 - 1, "small": -(2**63), "zero": -0.0, "inf": float("inf")},
    {"deep": [[[[["x"]]]]]},
]


@pytest.mark.parametrize("doc", MAPPABLE, ids=range(len(MAPPABLE)))
def test_inferred_schema_round_trips(doc: Any) -> None:
    cls, reason = infer_message_class(doc)
    assert cls is not None, reason
    assert reason is None
    round_trip(cls, doc)


def test_inference_on_builtin_payloads(corpus: list[Payload]) -> None:
    for payload in corpus:
        cls, reason = infer_message_class(payload.value)
        if payload.name == "citm":  # its dicts keyed by id are protobuf maps, not fields
            assert cls is None and "is not a protobuf field name" in reason
        else:
            assert cls is not None, f"{payload.name}: {reason}"
            round_trip(cls, payload.value)


def test_top_level_list_is_a_list_wrapper() -> None:
    cls, _ = infer_message_class([1.5, 2.5], name="Doc")
    assert cls.DESCRIPTOR.name == "DocList" and is_list_wrapper(cls.DESCRIPTOR)


def test_identical_structures_share_a_message_type() -> None:
    cls, _ = infer_message_class({"a": {"x": 1, "y": "s"}, "b": {"x": 2, "y": "t"}})
    fields = cls.DESCRIPTOR.fields_by_name
    assert fields["a"].message_type is fields["b"].message_type


UNMAPPABLE = [
    ({"items": ["a", "b", "c", 4]}, "heterogeneous list at $.items[3]: str and int"),
    ({"x": [1, 2.5]}, "heterogeneous list at $.x[1]: int and float"),
    ({"a": [1, 2, None]}, "null inside a list at $.a[2]"),
    ({"a": [None, None]}, "list of only nulls at $.a"),
    ({"n": 2**64}, "integer beyond 64 bits at $.n"),
    ({"n": [-(2**63) - 1]}, "integer beyond 64 bits at $.n[0]"),
    ({"1x-y": 1}, "key '1x-y' at $ is not a protobuf field name"),
    ({"ok": {"": 1}}, "key '' at $.ok is not a protobuf field name"),
    ({"Clear": 1}, "key 'Clear' at $ would shadow a protobuf message method"),
    ([{"v": 1}, {"v": "1"}], "conflicting types at $[1].v: int and str"),
    ([{"v": 1}, {"v": None}, {}], "key 'v' at $[0] is null in some objects, missing in others"),
    ({"s": "\ud800"}, "string with a lone surrogate (not UTF-8) at $.s"),
    ({"t": (1, 2)}, "unsupported type tuple at $.t"),
    (5, "top-level int: protobuf carries a message"),
    (None, "top-level null"),
]


@pytest.mark.parametrize(("doc", "reason"), UNMAPPABLE, ids=[r for _, r in UNMAPPABLE])
def test_unmappable_documents_give_a_reason(doc: Any, reason: str) -> None:
    cls, got = infer_message_class(doc)
    assert cls is None
    assert got.startswith(reason) and "\n" not in got


def test_nesting_limit() -> None:
    ok: Any = 1
    for _ in range(MAX_DEPTH):
        ok = {"a": ok}
    cls, reason = infer_message_class(ok)
    assert cls is not None, reason
    round_trip(cls, ok)
    cls, reason = infer_message_class([ok])
    assert cls is None and reason.startswith(f"nesting deeper than {MAX_DEPTH} levels at $[0].a.")
    assert len(reason) < 200


# ---------------------------------------------------------------- property tests

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
SCALARS = {
    "str": st.text(max_size=8),
    "int": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(allow_nan=False),
    "bool": st.booleans(),
    "bytes": st.binary(max_size=8),
}
SHAPES = st.recursive(
    st.sampled_from(sorted(SCALARS)),
    lambda inner: st.one_of(
        st.tuples(st.just("list"), inner),
        st.tuples(
            st.just("dict"),
            st.dictionaries(
                KEYS, st.tuples(inner, st.sampled_from(["plain", "null", "omit"])), max_size=4
            ),
        ),
    ),
    max_leaves=8,
)


@st.composite
def conforming(draw: st.DrawFn, shape: Any) -> Any:
    """A document that fits *shape*: what inference must always map."""
    if isinstance(shape, str):
        return draw(SCALARS[shape])
    if shape[0] == "list":
        return draw(st.lists(conforming(shape[1]), max_size=3))
    doc = {}
    for key, (inner, mode) in shape[1].items():
        if mode == "omit" and draw(st.booleans()):
            continue
        doc[key] = None if mode == "null" and draw(st.booleans()) else draw(conforming(inner))
    return doc


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_conforming_documents_always_infer_and_round_trip(data: st.DataObject) -> None:
    shape = data.draw(SHAPES.filter(lambda s: not isinstance(s, str)))
    doc = data.draw(conforming(shape))
    cls, reason = infer_message_class(doc)
    assert cls is not None, reason
    round_trip(cls, doc)


@settings(max_examples=300, deadline=None)
@given(JSON_LIKE)
def test_any_json_like_document_round_trips_or_gives_a_reason(doc: Any) -> None:
    cls, reason = infer_message_class(doc)
    if cls is None:
        assert isinstance(reason, str) and reason and "\n" not in reason
    else:
        assert reason is None
        round_trip(cls, doc)


def test_plans_are_cached_by_full_name() -> None:
    to_plain(corpus_pb2.Rpc())
    assert "commbench.corpus.Rpc" in proto_convert._PLANS


def test_namesakes_from_other_pools_get_their_own_plan() -> None:
    first, _ = infer_message_class({"a": 1})
    second, _ = infer_message_class({"a": "x"})
    for doc, cls in (({"a": 1}, first), ({"a": "x"}, second)):
        renamed = descriptor_pb2.FileDescriptorProto()
        cls.DESCRIPTOR.file.CopyToProto(renamed)
        renamed.package = "same.name"
        pool = descriptor_pool.DescriptorPool()
        pool.Add(renamed)
        namesake = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("same.name.UserPayload")
        )
        round_trip(namesake, doc)
