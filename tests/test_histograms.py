"""Latency samples as HdrHistograms: the encoding, its precision on stored raw samples, the
verdicts of a comparison made from histograms, the result files written and read.

``tests/data/latency_a.json`` and ``latency_b.json`` are two quick latency runs made one
after the other (``commbench run --suite latency --profile quick -- --keep-raw-samples``)
cut by ``tests/data/trim_samples.py`` to the first 200 raw samples of each of their 75
benchmarks with 100 samples or more: real measured round trips, in the format commbench
wrote before histograms.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from commbench import histograms, stats
from commbench.compare import NO_SAMPLES, compare_runs
from commbench.pytest_plugin import drop_raw_samples_of_histograms
from commbench.results import load_results, load_run, samples_of

DATA = Path(__file__).parent / "data"
LATENCY_PAIR = (DATA / "latency_a.json", DATA / "latency_b.json")
MARSHALLING_PAIR = (DATA / "run_a.json", DATA / "run_b.json")
PERCENTILES = (50, 90, 99, 99.9)
HALF_BUCKET = 1 / 2048  # 3 significant digits: a bucket is <= 1/1024 of its values


def measured_samples(path: Path) -> dict[str, np.ndarray]:
    """Benchmark name -> its raw samples in seconds, in measuring order."""
    return {
        b["name"]: np.asarray(b["stats"]["data"], dtype=np.float64)
        for b in json.loads(path.read_text())["benchmarks"]
        if b["stats"].get("data")
    }


def raw_samples(path: Path) -> dict[str, np.ndarray]:
    """Benchmark name -> its raw samples in seconds, sorted (as the tidy table holds them)."""
    return {name: np.sort(x) for name, x in measured_samples(path).items()}


def round_trip(samples_s: np.ndarray) -> np.ndarray:
    return histograms.decode(histograms.encode(samples_s))


# --- the encoding --------------------------------------------------------------------------------


def test_values_below_2048_units_come_back_exactly() -> None:
    ps = np.array([0, 1, 7, 7, 1023, 1024, 2047, 500])  # whole picoseconds, unit-wide buckets
    got = round_trip(ps * 1e-12)
    assert got.tolist() == pytest.approx(np.sort(ps * 1e-12).tolist(), rel=1e-12, abs=0)


def test_every_sample_is_kept_within_half_a_bucket_over_ten_decades() -> None:
    rng = np.random.default_rng(7)
    samples = 10 ** rng.uniform(-9, 1, 20_000)  # 1 ns .. 10 s
    got = round_trip(samples)
    assert got.size == samples.size
    assert np.all(np.diff(got) >= 0)
    want = np.sort(samples)
    # half a bucket, plus half a picosecond of rounding to whole value units
    assert np.all(np.abs(got - want) <= want * HALF_BUCKET + 0.5e-12 * (1 + 1e-6))
    above_a_microsecond = want > 1e-6
    relative = np.abs(got / want - 1)[above_a_microsecond]
    assert relative.max() <= HALF_BUCKET * 1.001
    assert relative.max() > HALF_BUCKET / 4  # the buckets are really 3 digits wide


def test_vectorised_counts_equal_hdrh_recording_sample_by_sample() -> None:
    rng = np.random.default_rng(3)
    ps = np.concatenate([rng.integers(0, 5000, 500), rng.lognormal(17, 2, 1500).astype(int)])
    reference = HdrHistogram(1, histograms.HIGHEST_VALUE_UNITS, 3)
    for value in ps.tolist():
        assert reference.record_value(value)
    encoded = histograms.encode(ps * 1e-12)
    ours = HdrHistogram.decode(encoded)
    assert np.array_equal(np.ctypeslib.as_array(ours.counts), reference.counts)
    assert ours.get_total_count() == ps.size
    assert ours.get_int_to_double_conversion_ratio() == histograms.VALUE_UNIT_S  # its unit
    assert ours.get_max_value() == reference.get_max_value()
    median_equivalents = [reference._hdr_median_equiv_value(v) for v in np.sort(ps).tolist()]
    assert histograms.decode(encoded).tolist() == [v * 1e-12 for v in median_equivalents]


def test_a_histogram_is_a_hundred_times_smaller_than_the_json_of_its_samples() -> None:
    rng = np.random.default_rng(5)
    samples = rng.lognormal(np.log(20e-6), 0.4, 10_000)
    encoded = histograms.encode(samples)
    assert encoded.isascii() and encoded.startswith("HISTF")  # standard V2, base64
    assert len(encoded) * 50 < len(json.dumps(samples.tolist()))


@pytest.mark.parametrize(
    "bad",
    [[], [1e-6, -1e-9], [1e-6, float("nan")], [float("inf")], [101.0]],
    ids=["empty", "negative", "nan", "inf", "above-100s"],
)
def test_samples_out_of_range_are_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        histograms.encode(np.array(bad))


@pytest.mark.parametrize("junk", ["", "not base64!", "SElTVEZBQUFB", "HISTFAAAABwN4nD"])
def test_decoding_junk_is_a_value_error(junk: str) -> None:
    with pytest.raises(ValueError, match="not an HdrHistogram"):
        histograms.decode(junk)


# --- precision on stored raw samples -------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [*LATENCY_PAIR, *MARSHALLING_PAIR, DATA / "transports_small.json"], ids=lambda p: p.stem
)
def test_percentiles_from_the_histogram_agree_with_the_raw_within_a_tenth_of_a_percent(
    path: Path,
) -> None:
    checked = 0
    for name, raw in raw_samples(path).items():
        got = np.percentile(round_trip(raw), PERCENTILES)
        want = np.percentile(raw, PERCENTILES)
        assert np.abs(got / want - 1).max() < 1e-3, name
        checked += 1
    assert checked >= 9


def test_percentiles_of_a_long_tailed_large_set_agree_within_a_tenth_of_a_percent() -> None:
    """100,000 samples: a loopback-like body at ~300 ns in half-nanoseconds (the
    shared-memory floor's RTT / 2) with a heavy tail up to milliseconds."""
    rng = np.random.default_rng(11)
    rtt_ns = np.concatenate(
        [rng.normal(600, 40, 99_000).round(), rng.pareto(1.5, 1_000) * 2_000 + 1_000]
    )
    samples = np.clip(rtt_ns, 400, None).round() / 2 / 1e9
    got = np.percentile(round_trip(samples), [*PERCENTILES, 99.99])
    want = np.percentile(samples, [*PERCENTILES, 99.99])
    assert np.abs(got / want - 1).max() < 1e-3


# --- verdicts of a comparison from histograms ---------------------------------------------------


def comparison_pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Every benchmark of run a against run b (latency and marshalling), and, for more
    comparisons near the threshold, each run's samples against themselves: first half vs
    second half, odd rounds vs even rounds. Sorted, as the tidy table holds samples."""
    pairs = []
    for path_a, path_b in (LATENCY_PAIR, MARSHALLING_PAIR):
        a, b = measured_samples(path_a), measured_samples(path_b)
        pairs += [(f"{name} a-b", np.sort(a[name]), np.sort(b[name])) for name in a if name in b]
        for side, run in (("a", a), ("b", b)):
            for name, x in run.items():
                half = x.size // 2
                pairs.append((f"{name} {side} halves", np.sort(x[:half]), np.sort(x[half:])))
                pairs.append((f"{name} {side} odd-even", np.sort(x[::2]), np.sort(x[1::2])))
    return pairs


def near_threshold(raw: stats.SampleComparison, hist: stats.SampleComparison, alpha: float) -> bool:
    """A flip is explained only by a decision quantity sitting at its threshold on both
    sides: the Mann-Whitney p-value within a factor 2 of alpha, or a bound of the ratio's
    CI within 0.2% of 1 (twice the histogram's worst error of a value)."""
    p_band = all(alpha / 2 <= p <= 2 * alpha for p in (raw.p_value, hist.p_value))
    ci_band = any(
        all(abs(bound - 1) <= 2e-3 for bound in pair)
        for pair in ((raw.ci_low, hist.ci_low), (raw.ci_high, hist.ci_high))
    )
    return p_band or ci_band


def test_verdicts_flip_only_near_the_significance_threshold() -> None:
    alpha = 0.05
    pairs = comparison_pairs()
    flips, near = [], 0
    for label, a, b in pairs:
        raw = stats.compare_samples(a, b, alpha=alpha)
        hist = stats.compare_samples(round_trip(a), round_trip(b), alpha=alpha)
        near += alpha / 2 <= raw.p_value <= 2 * alpha
        # the CI moves by no more than the values do
        assert hist.ci_low == pytest.approx(raw.ci_low, rel=2e-3), label
        assert hist.ci_high == pytest.approx(raw.ci_high, rel=2e-3), label
        if raw.verdict != hist.verdict:
            flips.append(label)
            assert near_threshold(raw, hist, alpha), (label, raw, hist)
    print(f"{len(flips)} of {len(pairs)} verdicts flip ({near} with p near alpha): {flips}")
    assert len(pairs) > 500 and near >= 20  # enough comparisons close to the threshold
    assert len(flips) <= len(pairs) // 100


def _decided(p_value: float, ci_low: float, ci_high: float) -> SimpleNamespace:
    return SimpleNamespace(p_value=p_value, ci_low=ci_low, ci_high=ci_high)


@pytest.mark.parametrize(
    ("raw", "hist", "near"),
    [
        ((0.04, 1.01, 1.05), (0.06, 1.009, 1.05), True),  # p on either side of alpha
        ((0.03, 1.0005, 1.05), (0.03, 0.9995, 1.05), True),  # CI bound on either side of 1
        ((0.001, 1.01, 1.05), (0.2, 0.9, 1.05), False),  # p moved far: not explained
        ((0.01, 1.004, 1.05), (0.01, 0.99, 1.05), False),  # CI bound moved by 1.4%
    ],
)
def test_the_near_threshold_check_can_fail(raw: tuple, hist: tuple, near: bool) -> None:
    assert near_threshold(_decided(*raw), _decided(*hist), 0.05) is near


# --- result files: written compact, read from either form ---------------------------------------


def test_older_files_with_raw_samples_still_load() -> None:
    path = DATA / "transports_small.json"
    raw = raw_samples(path)
    table = load_results([path]).table()
    latency = table[table["family"] == "latency"]
    assert len(latency) == 9
    for name, samples in zip(latency["name"], latency["samples"]):
        assert np.array_equal(samples, raw[name])  # exactly the raw samples, sorted


def _latency_doc_with_histograms(
    tmp_path: Path, source: Path = LATENCY_PAIR[0]
) -> tuple[Path, dict[str, np.ndarray]]:
    """A raw-sample latency file as commbench writes it now: histograms, no raw samples."""
    doc = json.loads(source.read_text())
    raw = {}
    for bench in doc["benchmarks"]:
        raw[bench["name"]] = np.sort(np.asarray(bench["stats"]["data"]))
        bench["extra_info"]["histogram"] = histograms.encode(raw[bench["name"]])
    assert drop_raw_samples_of_histograms(doc) == len(doc["benchmarks"])
    path = tmp_path / f"compact_{source.name}"
    path.write_text(json.dumps(doc, indent=4))
    return path, raw


def test_files_with_histograms_load_through_simdjson_into_sorted_seconds(tmp_path: Path) -> None:
    path, raw = _latency_doc_with_histograms(tmp_path)
    run = load_run(path)
    assert all("data" not in b["stats"] for b in run.benchmarks)
    assert all(isinstance(b["extra_info"]["histogram"], str) for b in run.benchmarks)
    table = load_results([path], parallel=False).table()
    assert table["samples"].map(lambda s: s is not None).all()
    for name, samples, median in zip(table["name"], table["samples"], table["median"]):
        assert samples.dtype == np.float64 and np.all(np.diff(samples) >= 0)
        assert samples.size == raw[name].size
        assert np.abs(samples / raw[name] - 1).max() <= HALF_BUCKET * (1 + 1e-9)
        assert median == np.median(raw[name])  # pytest-benchmark's stats: exact


def test_samples_of_prefers_raw_samples_and_survives_a_bad_histogram() -> None:
    raw = [3e-6, 1e-6, 2e-6]
    encoded = histograms.encode(np.array([5e-6] * 3))
    both = {"stats": {"data": raw}, "extra_info": {"histogram": encoded}}
    assert samples_of(both).tolist() == sorted(raw)  # exact when kept (--keep-raw-samples)
    only = {"stats": {}, "extra_info": {"histogram": encoded}}
    assert samples_of(only).tolist() == pytest.approx([5e-6] * 3, rel=HALF_BUCKET)
    assert samples_of({"stats": {}, "extra_info": {"histogram": "garbage"}}) is None
    assert samples_of({"stats": {}, "extra_info": {}}) is None
    assert samples_of({"stats": {}}) is None


INNER_TEST = """
import numpy as np
from commbench.transports.latency import record_samples

RNG = np.random.default_rng(1)
MANY = RNG.lognormal(np.log(2e-5), 0.3, 500)
FEW = np.array([3e-3, 1e-3, 2e-3])

def test_many(benchmark):
    benchmark.extra_info.update(family="latency", subject="tcp", params={}, metrics={}, schema=1)
    record_samples(benchmark, MANY)

def test_few(benchmark):
    benchmark.extra_info.update(family="throughput", subject="tcp", params={}, metrics={}, schema=1)
    record_samples(benchmark, FEW)
"""


def _run_inner(pytester: pytest.Pytester, *options: str) -> dict:
    pytester.makepyfile(test_inner=INNER_TEST)
    out = pytester.path / "out.json"
    result = pytester.runpytest_inprocess(
        "-p", "commbench.pytest_plugin", "-p", "no:cacheprovider", "--benchmark-quiet",
        f"--benchmark-json={out}", "--benchmark-autosave", "--benchmark-save-data",
        f"--benchmark-storage=file://{pytester.path / 'storage'}", *options,
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    return {b["name"]: b for b in json.loads(out.read_text())["benchmarks"]}


@pytest.mark.slow
def test_result_files_keep_histograms_not_raw_samples_and_pytest_benchmark_reads_them(
    pytester: pytest.Pytester,
) -> None:
    benches = _run_inner(pytester)
    many, few = benches["test_many"], benches["test_few"]
    assert "data" not in many["stats"] and "histogram" in many["extra_info"]
    assert few["stats"]["data"] == [3e-3, 1e-3, 2e-3] and "histogram" not in few["extra_info"]
    want = np.random.default_rng(1).lognormal(np.log(2e-5), 0.3, 500)
    assert many["stats"]["rounds"] == 500
    assert many["stats"]["median"] == np.median(want)  # computed from the exact samples
    assert many["stats"]["min"] == want.min() and many["stats"]["max"] == want.max()
    decoded = histograms.decode(many["extra_info"]["histogram"])
    assert np.abs(decoded / np.sort(want) - 1).max() <= HALF_BUCKET * (1 + 1e-9)

    (saved,) = (pytester.path / "storage").glob("*/*.json")
    assert "data" not in json.loads(saved.read_text())["benchmarks"][0]["stats"]
    compare = Path(sys.executable).with_name("pytest-benchmark")
    shown = subprocess.run(
        [str(compare), "compare", str(saved), "--columns=min,median,max,rounds"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "test_many" in shown.stdout and "test_few" in shown.stdout


@pytest.mark.slow
def test_keep_raw_samples_keeps_them_beside_the_histogram(pytester: pytest.Pytester) -> None:
    many = _run_inner(pytester, "--keep-raw-samples")["test_many"]
    assert len(many["stats"]["data"]) == 500 and "histogram" in many["extra_info"]


def test_a_comparison_of_two_histogram_files_gives_the_verdicts_of_the_raw_files(
    tmp_path: Path,
) -> None:
    compact = [_latency_doc_with_histograms(tmp_path, source)[0] for source in LATENCY_PAIR]
    raw = compare_runs(load_results(list(LATENCY_PAIR)).table(), *map(str, LATENCY_PAIR))
    hist = compare_runs(load_results(compact).table(), *map(str, compact))
    assert len(hist) == len(raw) == 75
    assert NO_SAMPLES not in set(hist["verdict"])
    assert (hist["ratio"] == raw["ratio"]).all()  # medians: pytest-benchmark's, exact
    assert np.abs(hist["ci_low"] / raw["ci_low"] - 1).max() < 2e-3
    assert (hist["verdict"] == raw["verdict"]).mean() >= 0.97


def _dense_decode(encoded: str) -> np.ndarray:
    """The reference path: hdrh decodes into its dense counts array, scanned for buckets."""
    histogram = HdrHistogram.decode(encoded)
    counts = np.ctypeslib.as_array(histogram.counts)
    index = np.flatnonzero(counts)
    values = histograms._median_equivalent(histogram, index).astype(np.float64)
    unit_s = float(histogram.get_int_to_double_conversion_ratio())
    return np.repeat(values * unit_s, counts[index].astype(np.int64))


@pytest.mark.parametrize(
    "samples_s",
    [
        [1e-6],  # one sample
        [1e-12, 5e-12, 2e-9, 3e-6, 0.5, 99.0],  # every decade, long empty gaps between
        np.random.default_rng(7).lognormal(np.log(20e-6), 1.5, 20_000),  # a long tail
        np.full(300_000, 4.2e-6),  # one bucket with a count that takes a 3-byte word
    ],
)
def test_the_sparse_decoder_gives_what_hdrh_dense_counts_give(samples_s: object) -> None:
    encoded = histograms.encode(np.asarray(samples_s))
    assert histograms._sparse_counts(encoded) is not None  # the fast path was taken
    np.testing.assert_array_equal(histograms.decode(encoded), _dense_decode(encoded))


def test_raw_samples_are_written_to_ten_digits_keeping_value_and_rank() -> None:
    from commbench.pytest_plugin import shorten_raw_samples

    rng = np.random.default_rng(11)
    data = sorted((rng.integers(1, 10**7, 500) * 1e-9 / 7).tolist())  # ns steps / iterations
    stats_before = {"median": float(np.median(data)), "data": list(data)}
    doc = {"benchmarks": [{"stats": dict(stats_before)}, {"stats": {"median": 1.0}}]}
    assert shorten_raw_samples(doc) == 500
    written = doc["benchmarks"][0]["stats"]["data"]
    assert len(json.dumps(written)) < 0.75 * len(json.dumps(data))
    np.testing.assert_allclose(written, data, rtol=5e-10, atol=0)
    assert np.array_equal(np.argsort(written, kind="stable"), np.argsort(data, kind="stable"))
    assert len(set(written)) == len(set(data))  # no two distinct samples became one
    assert doc["benchmarks"][0]["stats"]["median"] == stats_before["median"]
    assert "data" not in doc["benchmarks"][1]["stats"]
