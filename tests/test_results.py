"""The results model: validation of result files and the tidy table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from commbench.errors import UserError
from commbench.results import SCHEMA_VERSION, flat, load_results, load_run, newest_result, tidy


def result_doc(**overrides: object) -> dict:
    bench = {
        "group": "marshalling rpc encode",
        "name": "test_marshalling[rpc-json-encode]",
        "fullname": "bench/test_marshalling.py::test_marshalling[rpc-json-encode]",
        "params": {},
        "extra_info": {
            "family": "marshalling",
            "subject": "json",
            "params": {"payload": "rpc", "op": "encode"},
            "metrics": {"encoded_bytes": 150, "compressed_bytes": 120},
            "schema": SCHEMA_VERSION,
        },
        "stats": {
            "min": 1e-6,
            "max": 3e-6,
            "mean": 1.5e-6,
            "stddev": 1e-7,
            "median": 1.4e-6,
            "iqr": 1e-7,
            "rounds": 3,
            "iterations": 10,
            "data": [1e-6, 1.4e-6, 3e-6],
        },
    }
    doc = {
        "machine_info": {"node": "box", "commbench": {"hostname": "box-a"}},
        "commit_info": {},
        "benchmarks": [bench],
        "datetime": "2026-11-27T00:00:00",
        "version": "5.3.1",
        "commbench": {"schema": SCHEMA_VERSION, "profile": "quick", "unsupported": []},
    }
    doc.update(overrides)
    return doc


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_a_valid_file_becomes_one_tidy_row(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.json", json.dumps(result_doc()))
    run = load_run(path)
    assert run.machine == "box-a"
    table = flat(tidy([run]))
    assert len(table) == 1
    row = table.iloc[0]
    assert row["family"] == "marshalling" and row["subject"] == "json"
    assert row["payload"] == "rpc" and row["op"] == "encode"
    assert row["metric.encoded_bytes"] == 150
    assert row["median"] == 1.4e-6 and row["samples"].tolist() == [1e-6, 1.4e-6, 3e-6]


@pytest.mark.parametrize(
    ("data", "expected"),
    [([3e-6, 1e-6, 1.4e-6], [1e-6, 1.4e-6, 3e-6]), ([], None), (None, None), (["x"], None)],
)
def test_samples_become_a_sorted_array_or_none(tmp_path: Path, data, expected) -> None:
    doc = result_doc()
    doc["benchmarks"][0]["stats"]["data"] = data
    samples = tidy([load_run(write(tmp_path, "ok.json", json.dumps(doc)))]).iloc[0]["samples"]
    assert (samples is None) if expected is None else samples.tolist() == expected


def test_a_file_with_nan_still_loads(tmp_path: Path) -> None:
    doc = result_doc()
    doc["benchmarks"][0]["stats"]["iqr"] = float("nan")  # json writes NaN; orjson refuses it
    table = tidy([load_run(write(tmp_path, "nan.json", json.dumps(doc)))])
    assert np.isnan(table.iloc[0]["iqr"]) and table.iloc[0]["median"] == 1.4e-6


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty file"),
        ("{not json", "not valid JSON"),
        (json.dumps(result_doc())[:100], "not valid JSON (truncated or corrupt?)"),
        ("[1, 2]", "not a pytest-benchmark result"),
        ('{"hello": "world"}', "not a pytest-benchmark result"),
        (json.dumps(result_doc(commbench={"schema": 99})), "results schema 99 is not supported"),
        (json.dumps(result_doc(benchmarks=[{"name": "x"}])), "has no 'stats'"),
    ],
)
def test_bad_result_files_give_one_line(tmp_path: Path, content: str, problem: str) -> None:
    path = write(tmp_path, "bad.json", content)
    with pytest.raises(UserError) as info:
        load_run(path)
    assert problem in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="binary"):
        load_run(write(tmp_path, "b.json", b"\xff\xfe\x00\x01"))
    with pytest.raises(UserError, match="no such file"):
        load_run(tmp_path / "missing.json")


def test_plain_pytest_benchmark_files_are_not_ours(tmp_path: Path) -> None:
    doc = result_doc()
    del doc["commbench"]
    del doc["benchmarks"][0]["extra_info"]["schema"]
    with pytest.raises(UserError, match="not written by commbench"):
        load_run(write(tmp_path, "plain.json", json.dumps(doc)))


def test_several_files_keep_the_valid_ones_and_name_the_rest(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", json.dumps(result_doc()))
    bad = write(tmp_path, "bad.json", "{")
    results = load_results([good, bad])
    assert [r.path for r in results.runs] == [good]
    assert [p for p, _ in results.rejected] == [bad]
    assert len(results.table()) == 1


def test_newest_result_and_empty_storage(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no result files yet"):
        newest_result(tmp_path / ".benchmarks")
    folder = tmp_path / ".benchmarks" / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True)
    old = write(folder, "0001_x.json", "{}")
    new = write(folder, "0002_x.json", "{}")
    import os

    os.utime(old, (1, 1))
    assert newest_result(tmp_path / ".benchmarks") == new


def test_a_version_1_file_is_upgraded_on_load() -> None:
    from commbench.results import MIGRATIONS, migrate

    raw = json.loads((Path(__file__).parent / "data" / "run_a.json").read_text())
    assert raw["commbench"]["schema"] == 1 and "user_errors" not in raw["commbench"]
    run = load_run(Path(__file__).parent / "data" / "run_a.json")
    assert run.commbench["schema"] == SCHEMA_VERSION == 2
    assert run.commbench["user_errors"] == []
    assert {b["extra_info"]["schema"] for b in run.benchmarks} == {2}
    assert len(run.benchmarks) == len(raw["benchmarks"])
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION))
    with pytest.raises(ValueError, match="schema 3 is not supported"):
        migrate({"commbench": {"schema": 3}}, 3)
