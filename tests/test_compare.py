"""Tests for commbench.compare on hand-built tables (arithmetic in the comments) and real files."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from commbench.compare import (
    NO_DIFFERENCE,
    NO_SAMPLES,
    compare_normalised,
    compare_runs,
    family_summary,
    fingerprint_diff,
    normalised,
    only_on_one_side,
    run_labels,
)
from commbench.compare_print import print_comparison
from commbench.errors import UserError
from commbench.results import load_results

DATA = Path(__file__).parent / "data"

# 50 sample times with a spread: 1.00, 1.01, ..., 1.49 µs; median (1.24 + 1.25) / 2 = 1.245 µs.
SPREAD = [1e-6 * (1 + k / 100) for k in range(50)]


def row(file: str, name: str, samples: list[float] | None, median: float | None = None, **extra):
    """One tidy-table row; the median is that of the samples unless given. Keyword
    arguments are its params (``metric_x`` ones its metrics), as the writer records them."""
    labels = {
        "file": file,
        "machine": extra.pop("machine", "box"),
        "name": name,
        "family": extra.pop("family", "marshalling"),
        "subject": extra.pop("subject", name),
    }
    metrics = {k[len("metric_") :]: extra.pop(k) for k in list(extra) if k.startswith("metric_")}
    return {
        **labels,
        "params": extra,
        "metrics": metrics,
        "median": median if median is not None else float(np.median(samples)),
        "samples": samples,
    }


def table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


# --- compare_runs ------------------------------------------------------------------------------


def test_identical_samples_ratio_one_no_difference():
    t = table(row("a.json", "x", SPREAD), row("b.json", "x", SPREAD))
    got = compare_runs(t, "a.json", "b.json").iloc[0]
    assert got["ratio"] == 1.0
    # U = n1 * n2 / 2 exactly, so z < 0 and the p-value is clamped to 1.
    assert got["p_value"] == 1.0
    assert got["verdict"] == NO_DIFFERENCE
    assert got["ci_low"] <= 1.0 <= got["ci_high"]


def test_twice_as_slow_is_slower_with_ci_excluding_one():
    doubled = [2 * s for s in SPREAD]
    t = table(row("a.json", "x", SPREAD), row("b.json", "x", doubled))
    got = compare_runs(t, "a.json", "b.json").iloc[0]
    assert got["baseline_median_s"] == pytest.approx(1.245e-6)
    assert got["other_median_s"] == pytest.approx(2.49e-6)
    assert got["ratio"] == pytest.approx(2.0)
    # Resampled medians of SPREAD lie in [1.00, 1.49] µs, so every resampled ratio lies in
    # [2 * 1.00 / 1.49, 2 * 1.49 / 1.00] = [1.34, 2.98]: the CI excludes 1 by construction.
    assert 1.34 <= got["ci_low"] < 2.0 < got["ci_high"] <= 2.98
    # Complete separation: U = 0, z = (1250 - 0.5) / sqrt(2500 / 12 * 101) = 8.61, p ~ 7e-18.
    assert got["p_value"] < 1e-15
    assert got["verdict"] == "slower"

    reverse = compare_runs(t, "b.json", "a.json").iloc[0]
    assert reverse["ratio"] == pytest.approx(0.5)
    assert reverse["verdict"] == "faster"


def test_missing_samples_keep_the_median_ratio_but_no_test():
    t = table(row("a.json", "x", None, median=1e-6), row("b.json", "x", SPREAD, median=3e-6))
    got = compare_runs(t, "a.json", "b.json").iloc[0]
    assert got["ratio"] == pytest.approx(3.0)
    assert got["verdict"] == NO_SAMPLES
    assert math.isnan(got["ci_low"]) and math.isnan(got["ci_high"]) and math.isnan(got["p_value"])


def test_noise_flags_name_the_side():
    # SPREAD itself is noisy (std 0.144 / mean 1.245 = 12% >= 10%); 1.000 .. 1.049 µs is
    # not (1.4%). With its last value 5 µs, the max is 5 / 1.0245 - 1 = 388% above the median.
    quiet = [1e-6 * (1 + k / 1000) for k in range(50)]
    noisy = [*quiet[:-1], 5e-6]
    t = table(row("a.json", "x", quiet), row("b.json", "x", noisy))
    noise = compare_runs(t, "a.json", "b.json").iloc[0]["noise"]
    assert noise.startswith("other: ") and "max is 388% above the median" in noise
    assert "baseline" not in noise


def test_workers_do_not_change_results():
    t = table(
        *(row("a.json", f"x{i}", [s * (1 + i / 10) for s in SPREAD]) for i in range(4)),
        *(row("b.json", f"x{i}", [s * (1 + i / 7) for s in SPREAD[::-1]]) for i in range(4)),
    )
    serial = compare_runs(t, "a.json", "b.json", workers=1)
    pd.testing.assert_frame_equal(serial, compare_runs(t, "a.json", "b.json", workers=4))


def test_unknown_or_same_file_is_a_user_error():
    t = table(row("a.json", "x", SPREAD), row("b.json", "x", SPREAD))
    with pytest.raises(UserError, match=r"c\.json: not among"):
        compare_runs(t, "a.json", "c.json")
    with pytest.raises(UserError, match="itself"):
        compare_runs(t, "a.json", "a.json")


# --- one-sided benchmarks, labels ---------------------------------------------------------------


def test_benchmark_only_in_one_file_is_listed_not_compared():
    t = table(
        row("a.json", "both", SPREAD),
        row("a.json", "only-a", SPREAD),
        row("b.json", "both", SPREAD),
        row("b.json", "only-b", SPREAD),
        # Same name, other family: a different benchmark, so present on one side each.
        row("b.json", "only-a", SPREAD, family="transport"),
    )
    assert compare_runs(t, "a.json", "b.json")["name"].tolist() == ["both"]
    one = only_on_one_side(t, "a.json", "b.json")
    got = set(zip(one["family"], one["name"], one["side"]))
    assert got == {
        ("marshalling", "only-a", "baseline"),
        ("marshalling", "only-b", "other"),
        ("transport", "only-a", "other"),
    }


def test_run_labels_add_the_file_only_when_the_machine_repeats():
    same = table(row("r/0001_x.json", "x", SPREAD), row("r/0002_y.json", "x", SPREAD))
    assert run_labels(same, ["r/0001_x.json", "r/0002_y.json"]) == {
        "r/0001_x.json": "box (0001_x)",
        "r/0002_y.json": "box (0002_y)",
    }
    two = table(row("a.json", "x", SPREAD, machine="m1"), row("b.json", "x", SPREAD, machine="m2"))
    assert run_labels(two, ["a.json", "b.json"]) == {"a.json": "m1", "b.json": "m2"}


# --- family_summary -----------------------------------------------------------------------------


def test_family_summary_geometric_mean_and_counts():
    comparison = pd.DataFrame(
        {
            "family": ["f", "f", "g"],
            "ratio": [2.0, 8.0, 0.5],
            "verdict": ["slower", NO_DIFFERENCE, "faster"],
        }
    )
    got = family_summary(comparison).set_index("family")
    # sqrt(2 * 8) = 4. Resampling two benchmarks gives {2, 2} -> 2, {2, 8} -> 4, {8, 8} -> 8,
    # the extremes with probability 1/4 each, so the 2.5th and 97.5th percentiles are 2 and 8.
    assert got.loc["f", "geomean_ratio"] == pytest.approx(4.0)
    assert got.loc["f", "ci_low"] == pytest.approx(2.0)
    assert got.loc["f", "ci_high"] == pytest.approx(8.0)
    assert got.loc["f", ["benchmarks", "faster", "slower", "no_difference"]].tolist() == [
        2,
        0,
        1,
        1,
    ]
    # One benchmark: every resample is that benchmark.
    assert got.loc["g", ["geomean_ratio", "ci_low", "ci_high"]].tolist() == pytest.approx([0.5] * 3)
    assert got.loc["g", "faster"] == 1


# --- fingerprint_diff ---------------------------------------------------------------------------


def test_fingerprint_diff_flattens_and_marks_only_differences():
    fp_a = {
        "hostname": "vm",
        "cpu_affinity": [0, 1],
        "libraries": {"orjson": "3.10.0", "msgpack": "1.1.0"},
        "python_executable": "/a/.venv/bin/python",
    }
    fp_b = {
        "hostname": "vm",
        "cpu_affinity": [0, 1],
        "libraries": {"orjson": "3.11.0", "msgpack": "1.1.0"},
        "python_executable": "/b/.venv/bin/python",
        "protobuf_backend": "upb",
    }
    assert fingerprint_diff(fp_a, fp_b) == [
        ("hostname", "vm", "vm", False),
        ("cpu_affinity", "0, 1", "0, 1", False),
        ("libraries.orjson", "3.10.0", "3.11.0", True),
        ("libraries.msgpack", "1.1.0", "1.1.0", False),
        ("protobuf_backend", "(absent)", "upb", True),
    ]


# --- normalised ---------------------------------------------------------------------------------


def marshalling_rows(file: str, scale: float) -> list[dict]:
    """json and a codec twice as slow, on two payloads; every time multiplied by ``scale``."""
    rows = []
    for payload, json_s in (("small", 1e-6), ("big", 1e-4)):
        for subject, factor, version in (("json", 1.0, "3.11"), ("orjson", 2.0, "3.10")):
            rows.append(
                row(file, f"m[{payload}-{subject}]", None, median=json_s * factor * scale,
                    subject=subject, payload=payload, op="encode", library_version=version)
            )  # fmt: skip
    return rows


def test_normalised_is_relative_to_the_baseline_in_the_same_file():
    t = table(*marshalling_rows("a.json", 1.0), *marshalling_rows("b.json", 3.0))
    norm = normalised(t, {"marshalling": "json"})
    values = norm.set_index(["file", "subject", "payload"])["normalised"]
    for file in ("a.json", "b.json"):
        for payload in ("small", "big"):
            assert values[(file, "json", payload)] == pytest.approx(1.0)
            # 2 * json_s * scale / (json_s * scale) = 2, whatever the payload or the machine
            assert values[(file, "orjson", payload)] == pytest.approx(2.0)

    # The raw medians say b is 3x slower everywhere; the normalised view says same shape.
    assert compare_runs(t, "a.json", "b.json")["ratio"].tolist() == pytest.approx([3.0] * 4)
    cross = compare_normalised(norm, "a.json", "b.json")
    assert len(cross) == 4
    assert cross["normalised_ratio"].tolist() == pytest.approx([1.0] * 4)


def test_normalised_without_the_baseline_is_nan():
    t = table(row("a.json", "m[orjson]", None, median=1e-6, subject="orjson", payload="p"))
    assert math.isnan(normalised(t, {"marshalling": "json"})["normalised"].iloc[0])


# --- real files ---------------------------------------------------------------------------------


def test_real_files_every_common_benchmark_has_a_finite_ratio():
    a, b = str(DATA / "run_a.json"), str(DATA / "run_b.json")
    t = load_results([a, b]).table()
    keys = {
        f: set(zip(t.loc[t["file"] == f, "family"], t.loc[t["file"] == f, "name"])) for f in (a, b)
    }
    common = keys[a] & keys[b]
    assert len(common) >= 40

    got = compare_runs(t, a, b)
    assert set(zip(got["family"], got["name"])) == common
    assert len(got) == len(common)
    for column in ("baseline_median_s", "other_median_s", "ratio", "ci_low", "ci_high", "p_value"):
        assert np.isfinite(got[column]).all(), column
    assert (got["ci_low"] <= got["ratio"]).all() and (got["ratio"] <= got["ci_high"]).all()
    assert set(got["verdict"]) <= {"faster", "slower", NO_DIFFERENCE}
    assert {"payload", "op"} <= set(got.columns)
    assert run_labels(t, [a, b]) == {a: "vm (run_a)", b: "vm (run_b)"}


def test_print_comparison_shows_summary_first_and_escapes_names():
    doubled = [2 * s for s in SPREAD]
    t = table(
        row("a.json", "test_m[rpc-json-encode]", SPREAD),
        row("b.json", "test_m[rpc-json-encode]", doubled),
        row("a.json", "test_m[gone]", SPREAD),
    )
    comparison = compare_runs(t, "a.json", "b.json")
    fingerprints = fingerprint_diff(
        {"libraries": {"orjson": "3.10"}}, {"libraries": {"orjson": "3.11"}}
    )
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    print_comparison(
        comparison, family_summary(comparison), only_on_one_side(t, "a.json", "b.json"),
        fingerprints, console, labels=("host-a", "host-b"),
    )  # fmt: skip
    text = out.getvalue()
    assert "test_m[rpc-json-encode]" in text and "test_m[gone]" in text
    assert text.index("geometric mean") < text.index("benchmarks, by ratio")
    assert "slower" in text and "2.000" in text
    assert "libraries.orjson" in text and "3.11" in text


def test_shape_summary_per_subject() -> None:
    from commbench.compare import shape_summary

    shape = pd.DataFrame(
        {
            "family": ["marshalling"] * 4,
            "subject": ["orjson", "orjson", "orjson", "cbor2"],
            "normalised_ratio": [1.0, 1.02, 1.5, 0.5],
        }
    )
    out = shape_summary(shape).set_index("subject")
    # orjson: geometric mean of 1, 1.02, 1.5 = (1.53)^(1/3) = 1.1523; median 1.02; 2 of 3 within 5%
    assert out.loc["orjson", "geomean_normalised_ratio"] == pytest.approx(1.53 ** (1 / 3))
    assert out.loc["orjson", "median_normalised_ratio"] == pytest.approx(1.02)
    assert out.loc["orjson", "within_5pct"] == pytest.approx(2 / 3)
    assert out.loc["cbor2", "within_5pct"] == 0.0
