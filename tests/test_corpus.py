"""The built-in payload corpus: deterministic, the intended sizes and shapes."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from commbench.corpus import (
    GENERATORS,
    Payload,
    binary_keys,
    builtin_payloads,
    compact_json_size,
    sweep_sizes,
)
from commbench.corpus.sweep import sweep_payload

FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def walk(value: Any) -> Any:
    """Every node of a document, containers and leaves (depth first)."""
    stack = [value]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def leaf_types(value: Any) -> Counter:
    return Counter(type(n).__name__ for n in walk(value) if not isinstance(n, dict | list))


def depth(value: Any) -> int:
    """Nesting depth counting the leaf level: {"a": [1]} has depth 3."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 1


@pytest.fixture(scope="module")
def corpus() -> dict[str, Payload]:
    return {p.name: p for p in builtin_payloads("quick", seed=0)}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_deterministic_per_seed(name: str) -> None:
    generate = GENERATORS[name]
    first, again, other = generate(0), generate(0), generate(1)
    assert first == again
    assert first.value != other.value
    assert first.name == name and first.source == "builtin" and first.message
    assert first.params["seed"] == 0 and other.params["seed"] == 1


def test_sweep_is_deterministic_per_seed() -> None:
    assert sweep_payload(10_000, 3) == sweep_payload(10_000, 3)
    assert sweep_payload(10_000, 3).value != sweep_payload(10_000, 4).value


def test_builtin_payloads_lists_shapes_then_sweep(corpus: dict[str, Payload]) -> None:
    assert list(corpus) == [*GENERATORS, "sweep-100B", "sweep-10KB", "sweep-1MB"]
    full = builtin_payloads("full", seed=0)
    assert [p.name for p in full if p.source == "sweep"] == [
        "sweep-100B", "sweep-1KB", "sweep-10KB", "sweep-100KB", "sweep-1MB",
    ]  # fmt: skip
    assert sweep_sizes("quick") == [100, 10_000, 1_000_000]
    with pytest.raises(ValueError, match="unknown profile"):
        builtin_payloads("huge")


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("twitter", 350_000, 800_000),
        ("canada", 1_500_000, 2_500_000),
        ("citm", 100_000, 500_000),
        ("github", 50_000, 100_000),
        ("rpc", 100, 200),
        ("blob", 80_000, 95_000),  # 64 KiB as base64 text
    ],
)
def test_sizes_as_compact_json(corpus: dict[str, Payload], name: str, low: int, high: int) -> None:
    assert low <= compact_json_size(corpus[name].value) <= high


@pytest.mark.parametrize("target", sweep_sizes("full"))
def test_sweep_sizes_within_20_percent(target: int) -> None:
    payload = sweep_payload(target, 0)
    assert payload.name.startswith("sweep-") and payload.source == "sweep"
    assert payload.message == "Sweep"
    assert abs(compact_json_size(payload.value) - target) <= 0.2 * target
    assert len(payload.value["records"]) == payload.params["records"] >= 1


def test_sweep_records_have_the_rpc_schema(corpus: dict[str, Payload]) -> None:
    keys = set(corpus["rpc"].value)
    for name in ("sweep-100B", "sweep-10KB"):
        assert all(set(r) == keys for r in corpus[name].value["records"])


def test_twitter_shape(corpus: dict[str, Payload]) -> None:
    doc = corpus["twitter"].value
    assert len(doc["statuses"]) == 100
    assert depth(doc) == 11
    retweets = [s for s in doc["statuses"] if s["retweeted_status"] is not None]
    assert 20 <= len(retweets) <= 80
    assert all(s["retweeted_status"]["retweeted_status"] is None for s in retweets)
    texts = [s["text"] for s in doc["statuses"]]
    assert sum(bool(CJK.search(t)) for t in texts) > 50
    types = leaf_types(doc)
    assert types["NoneType"] > 100 and types["bool"] > 1000 and types["int"] > 1000
    assert any(
        s["user"]["entities"]["description"]["urls"] and s["user"]["entities"]["url"] is None
        for s in doc["statuses"]
    )


def test_canada_has_about_1e5_long_doubles(corpus: dict[str, Payload]) -> None:
    doc = corpus["canada"].value
    assert doc["type"] == "FeatureCollection"
    rings = doc["features"][0]["geometry"]["coordinates"]
    points = [pt for ring in rings for pt in ring]
    assert all(len(pt) == 2 and type(pt[0]) is type(pt[1]) is float for pt in points)
    assert len(points) * 2 == 100_000
    assert all(ring[0] == ring[-1] and len(ring) >= 4 for ring in rings)
    digits = [len(repr(abs(x)).replace(".", "").lstrip("0")) for pt in points for x in pt]
    assert sum(15 <= d <= 17 for d in digits) > 0.9 * len(digits)


def test_citm_is_key_heavy_with_small_ints(corpus: dict[str, Payload]) -> None:
    doc = corpus["citm"].value
    assert all(k.isdigit() and v["id"] == int(k) for k, v in doc["events"].items())
    types = leaf_types(doc)
    assert types["int"] > 3 * types["str"]
    assert all(isinstance(x, int) for ids in doc["topic_sub_topics"].values() for x in ids)


def test_github_is_a_string_heavy_list(corpus: dict[str, Payload]) -> None:
    doc = corpus["github"].value
    assert isinstance(doc, list) and all(isinstance(e, dict) for e in doc)
    strings = [n for n in walk(doc) if isinstance(n, str)]
    assert sum(map(len, strings)) > 0.5 * compact_json_size(doc)
    assert {e["type"] for e in doc} >= {"PushEvent", "CreateEvent"}


def test_rpc_record(corpus: dict[str, Payload]) -> None:
    doc = corpus["rpc"].value
    assert {k: type(v) for k, v in doc.items()} == {
        "id": int, "method": str, "user": str, "ts": float, "ok": bool, "tags": list,
        "args": dict,
    }  # fmt: skip
    assert set(doc["args"]) == {"limit", "offset"}


def test_bytes_only_in_the_blob(corpus: dict[str, Payload]) -> None:
    for payload in corpus.values():
        has_bytes = leaf_types(payload.value)["bytes"] > 0
        assert has_bytes == (payload.name == "blob")
        assert binary_keys(payload) == (frozenset({"data"}) if has_bytes else frozenset())
    assert len(corpus["blob"].value["data"]) == 64 * 1024


def test_keys_are_protobuf_field_names_and_ints_fit_int64(corpus: dict[str, Payload]) -> None:
    for payload in corpus.values():
        doc = payload.value
        maps = set()  # citm's dicts keyed by id are protobuf map fields
        if payload.name == "citm":
            maps = {id(v) for k, v in doc.items() if k != "performances"}
        for node in walk(doc):
            if isinstance(node, dict) and id(node) not in maps:
                assert all(FIELD_NAME.fullmatch(k) for k in node), payload.name
            elif type(node) is int:
                assert -(2**63) <= node < 2**63
            elif isinstance(node, list) and node:  # homogeneous, no nulls
                kinds = {type(x) for x in node}
                assert len(kinds) == 1 and type(None) not in kinds, payload.name


def test_payload_is_frozen() -> None:
    payload = GENERATORS["rpc"](0)
    with pytest.raises(AttributeError):
        payload.name = "other"  # type: ignore[misc]
