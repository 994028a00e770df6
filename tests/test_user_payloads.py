"""Users' payload files: good ones load, bad ones give one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commbench.errors import UserError
from commbench.user_payloads import load_user_payload, resolve_payload_args


def test_a_json_file_becomes_a_user_payload(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"order": 7, "items": ["a", "b"]}))
    payload = load_user_payload(path)
    assert payload.name == "user-orders"
    assert payload.value == {"order": 7, "items": ["a", "b"]}
    assert payload.message is None and payload.source == "user"
    assert payload.params["file_bytes"] == path.stat().st_size


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b"   \n", "only white space"),
        (b"{not json", "not valid JSON at line 1 column 2"),
        (b'{"a": 1', "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"\xff\xfe\xfd garbage", "not UTF-8 text"),
    ],
)
def test_bad_payload_files_are_refused_with_one_line(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        load_user_payload(path)
    message = str(info.value)
    assert str(path) in message and problem in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        load_user_payload(tmp_path / "nope.json")


def test_too_large_for_memory_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:  # sparse: large on paper, nothing on disk
        f.truncate(64 * 2**30)
    with pytest.raises(UserError, match="too large for memory"):
        load_user_payload(path)
    # the same rule with a stated memory size, on a small file
    small = tmp_path / "small.json"
    small.write_text("[1, 2, 3]")
    with pytest.raises(UserError, match="too large for memory"):
        load_user_payload(small, memory_bytes=10)
    assert load_user_payload(small, memory_bytes=10_000).value == [1, 2, 3]


def test_payload_arguments_are_deduplicated(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("{}")
    paths = resolve_payload_args([str(path), str(tmp_path / "." / "a.json")], include_dropped=False)
    assert paths == [path]
