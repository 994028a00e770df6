"""Reading JSON files: the simdjson path for raw samples gives what the json module gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commbench.errors import UserError
from commbench.jsonfile import read_json

SAMPLES = ("benchmarks", "*", "stats", "data")


def _as_lists(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_lists(v) for v in value]
    return value


def test_samples_come_back_as_float64_arrays_and_the_rest_as_json_gives_it(tmp_path: Path):
    doc = {
        "benchmarks": [
            {"name": "a", "stats": {"median": 2.5e-6, "data": [3e-6, 1, 2.5e-6, 1e-300]}},
            {"name": "b", "stats": {"data": [1.5, "x"]}, "extra": {"data": [1.0, 2.0]}},
            {"name": "c", "stats": [1.0]},
            [{"stats": {"data": [1.0]}}],
        ],
        "machine_info": {"nested": [{"k": [True, None, -7, "é"]}]},
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    got = read_json(path, "r", number_array=SAMPLES)
    data = got["benchmarks"][0]["stats"]["data"]
    assert isinstance(data, np.ndarray) and data.dtype == np.float64
    assert data.tolist() == [3e-6, 1.0, 2.5e-6, 1e-300]
    assert got["benchmarks"][1]["stats"]["data"] == [1.5, "x"]  # not numbers only: a list
    assert got["benchmarks"][1]["extra"]["data"] == [1.0, 2.0]  # not on the path: a list
    assert got["benchmarks"][3] == [{"stats": {"data": [1.0]}}]  # not on the path either
    assert _as_lists(got) == json.loads(path.read_text(encoding="utf-8"))
    assert read_json(path, "r") == json.loads(path.read_text(encoding="utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=50))
def test_every_float_parses_to_the_same_double_as_python(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("f") / "r.json"
    path.write_text(json.dumps({"benchmarks": [{"stats": {"data": values}}]}), encoding="utf-8")
    got = read_json(path, "r", number_array=SAMPLES)["benchmarks"][0]["stats"]["data"]
    assert np.asarray(got, dtype=np.float64).tobytes() == np.asarray(values, np.float64).tobytes()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"benchmarks": [{"stats": {"data": [NaN, 1.0]}}]}', "nan"),  # as Python's json writes
        ('\ufeff{"benchmarks": [{"stats": {"data": [1.0]}}]}', [1.0]),  # a byte-order mark
    ],
)
def test_what_simdjson_refuses_falls_back_to_the_json_module(tmp_path, content, expected):
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    data = read_json(path, "r", number_array=SAMPLES)["benchmarks"][0]["stats"]["data"]
    if expected == "nan":
        assert np.isnan(data[0]) and data[1] == 1.0
    else:
        assert list(data) == expected


def test_invalid_json_is_still_one_clear_error(tmp_path: Path):
    path = tmp_path / "r.json"
    path.write_text('{"stats": {"data": [1.0, 2', encoding="utf-8")
    with pytest.raises(UserError, match=r"r: not valid JSON at line 1 column"):
        read_json(path, "r", number_array=SAMPLES)
