"""The fast paths of comparing samples (commbench.sorted_samples, stats.compare_sample_pairs,
compare.prepare_baseline) against the reference computations they replace: the pooled
Mann-Whitney U, the bootstrap by fresh resampling, np.percentile, and scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as scipy_stats
from hypothesis import given, settings
from hypothesis import strategies as st

from commbench import compare, stats
from commbench.results import load_results
from commbench.sorted_samples import mann_whitney_sorted, sorted_sample

DATA = Path(__file__).parent / "data"
ALPHA = 0.05


def reference_comparison(a, b, *, alpha: float = ALPHA, seed: int = 0) -> stats.SampleComparison:
    """compare_samples as first written: pooled U test, medians of fresh resamples of each
    side (child streams of SeedSequence(seed)), np.percentile of their ratios."""
    xa, xb = stats._as_1d(a, "a"), stats._as_1d(b, "b")
    u, p = stats._mann_whitney_pooled(xa, xb)
    median_a = float(np.median(xa))
    if median_a == 0.0:
        raise ValueError("stat(a) is 0: the ratio is undefined")
    ratio = float(np.median(xb)) / median_a
    rng_a, rng_b = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    sa = stats._resampled_stat(xa, rng_a, 2000, np.median, stats._MAX_CHUNK_ELEMENTS)
    sb = stats._resampled_stat(xb, rng_b, 2000, np.median, stats._MAX_CHUNK_ELEMENTS)
    tail = 100.0 * (1.0 - (1.0 - alpha)) / 2.0  # bootstrap_ratio_ci(confidence=1 - alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = (float(v) for v in np.percentile(sb / sa, [tail, 100.0 - tail]))
    half = xa.size * xb.size / 2.0
    verdict = "no significant difference"
    if p < alpha:
        if high < 1.0 and u > half:
            verdict = "faster"
        elif low > 1.0 and u < half:
            verdict = "slower"
    return stats.SampleComparison(ratio, low, high, u, p, verdict)


def latency_like(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    """Sorted sample times with many ties, like decoded histograms: lognormal, rounded."""
    return np.sort(np.round(rng.lognormal(3.0, 0.2, n) * scale, 0) * 1e-6)


def synthetic_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    pairs = []
    for n_a, n_b in [(1, 1), (1, 7), (2, 2), (2, 9), (3, 3), (4, 5), (50, 50), (101, 100)]:
        pairs.append((latency_like(rng, n_a), latency_like(rng, n_b, 1.03)))
    for n in (10, 999, 2500):
        base = latency_like(rng, n)
        pairs.append((base, base.copy()))  # identical copies, as 10 copies of one file
        pairs.append((base, latency_like(rng, n, 1.02)))  # 2% slower
        pairs.append((base, np.sort(base * 0.97)))  # 3% faster, same ties
        pairs.append((base, base * 1.1))  # 10% slower
        jittered = np.sort(base * (1 + 0.02 * rng.random(n)))  # no ties: looked up the other way
        pairs.append((base, jittered))
        pairs.append((jittered, base))
        pairs.append((base, rng.permutation(latency_like(rng, n + 1))))  # unsorted b
        pairs.append((rng.permutation(base), latency_like(rng, n)))  # unsorted a
    zero = latency_like(rng, 40)
    zero[:3] = 0.0  # samples of 0 on the b side: still b >= 0
    pairs.append((latency_like(rng, 40), zero))
    pairs.append((np.linspace(-1.0, 2.0, 30), np.linspace(-0.5, 2.5, 31)))  # negative times
    pairs.append((np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 5.0])))  # all ties in b
    pairs.append((np.full(5, 2.0), np.full(6, 2.0)))  # every value identical
    return pairs


def assert_same(got: stats.SampleComparison, want: stats.SampleComparison) -> None:
    """Bit for bit (a NaN bound equals a NaN bound)."""
    assert got.verdict == want.verdict
    assert (got.u, got.p_value, got.ratio) == (want.u, want.p_value, want.ratio)
    assert np.array_equal([got.ci_low, got.ci_high], [want.ci_low, want.ci_high], equal_nan=True)


# --- Mann-Whitney U from runs of equal values --------------------------------------------------


@pytest.mark.parametrize("a, b", synthetic_pairs())
def test_sorted_u_test_is_the_pooled_one_bit_for_bit(a, b):
    assert mann_whitney_sorted(sorted_sample(a), sorted_sample(b)) == (
        stats._mann_whitney_pooled(a, b)
    )
    assert stats.mann_whitney_u(a, b) == stats._mann_whitney_pooled(a, b)


@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=40),
    b=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=40),
    sort=st.booleans(),
)
def test_sorted_u_test_property_matches_pooled_and_scipy(a, b, sort):
    xa, xb = (np.asarray(sorted(v) if sort else v, dtype=np.float64) for v in (a, b))
    u, p = mann_whitney_sorted(sorted_sample(xa), sorted_sample(xb))
    assert (u, p) == stats._mann_whitney_pooled(xa, xb)
    if len(set(a) | set(b)) > 1:  # scipy gives NaN when every value is the same
        ref = scipy_stats.mannwhitneyu(xa, xb, alternative="two-sided", method="asymptotic")
        assert u == pytest.approx(ref.statistic)
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_u_test_above_the_exact_size_takes_the_pooled_path():
    rng = np.random.default_rng(3)
    n = stats.MAX_EXACT_SAMPLES // 2 + 1
    a, b = latency_like(rng, n), latency_like(rng, n, 1.01)
    with pytest.raises(ValueError, match="exact path"):
        mann_whitney_sorted(sorted_sample(a), sorted_sample(b))
    assert stats.mann_whitney_u(a, b) == stats._mann_whitney_pooled(a, b)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        ([], "x is empty"),
        ([np.nan], "x contains NaN"),
        ([1.0, 2.0, np.inf], "x contains NaN"),
        ([-np.inf, 1.0, 2.0], "x contains NaN"),
        ([1.0, np.nan, 3.0], "x contains NaN"),
        ([3.0, 1.0, np.inf, 2.0], "x contains NaN"),
        ([np.inf, np.inf], "x contains NaN"),
        ([np.nan, np.nan], "x contains NaN"),
        ([1.0, 1.0, np.nan], "x contains NaN"),
        ([np.nan, 1.0, 1.0], "x contains NaN"),
        ([-np.inf, -np.inf, 0.0], "x contains NaN"),
    ],
)
def test_sorted_sample_rejects_what_as_1d_rejects(bad, message):
    with pytest.raises(ValueError, match=message):
        sorted_sample(bad, "x")
    with pytest.raises(ValueError, match=message):
        stats._as_1d(bad, "x")


def test_sorted_sample_keeps_sorted_input_and_sorts_a_copy_otherwise():
    x = np.array([1.0, 1.0, 2.0, 5.0, 5.0, 5.0])
    s = sorted_sample(x)
    assert s.is_sorted and s.values is x
    assert s.distinct.tolist() == [1.0, 2.0, 5.0] and s.counts.tolist() == [2, 1, 3]
    assert s.starts.tolist() == [0, 2, 3, 6]
    assert s.tie_sum == (8 - 2) + 0 + (27 - 3)
    assert s.median == float(np.median(x))
    shuffled = np.array([5.0, 1.0, 5.0, 2.0, 1.0, 5.0])
    u = sorted_sample(shuffled)
    assert not u.is_sorted and u.original is shuffled and shuffled[0] == 5.0
    assert u.values.tolist() == sorted(shuffled.tolist()) and u.tie_sum == s.tie_sum
    assert sorted_sample(u) is u
    distinct = sorted_sample(np.array([1.0, 2.0, 4.0]))  # no ties: no copies
    assert distinct.distinct is distinct.values and distinct.counts.tolist() == [1, 1, 1]
    assert distinct.starts.tolist() == [0, 1, 2, 3] and distinct.tie_sum == 0
    starts, padded, counts = s.lookup()
    assert starts is s.starts
    assert padded.tolist() == [1.0, 2.0, 5.0, np.inf] and counts.tolist() == [2, 1, 3, 0]


# --- the whole comparison ----------------------------------------------------------------------


@pytest.mark.parametrize("a, b", synthetic_pairs())
def test_compare_samples_is_the_reference_bit_for_bit(a, b):
    assert_same(stats.compare_samples(a, b), reference_comparison(a, b))
    assert_same(stats.compare_samples(a, b, seed=5), reference_comparison(a, b, seed=5))


def test_batched_pairs_are_the_reference_in_order_with_errors_in_place():
    pairs = synthetic_pairs()
    pairs.insert(3, ([0.0, 0.0, 1.0], [1.0, 2.0, 3.0]))  # zero baseline median
    pairs.insert(7, ([1.0, np.nan], [1.0, 2.0]))
    pairs.insert(9, ([1.0, 2.0], []))
    got = stats.compare_sample_pairs(pairs, alpha=0.01)
    assert len(got) == len(pairs)
    for (a, b), result in zip(pairs, got, strict=True):
        try:
            want = reference_comparison(a, b, alpha=0.01)
        except ValueError as exc:
            assert isinstance(result, ValueError) and str(result) == str(exc)
        else:
            assert isinstance(result, stats.SampleComparison)
            assert_same(result, want)
    assert {r.verdict for r in got if isinstance(r, stats.SampleComparison)} == {
        "faster",
        "slower",
        "no significant difference",
    }


def test_many_pairs_fill_several_batches_unchanged(monkeypatch):
    rng = np.random.default_rng(5)
    pairs = [(latency_like(rng, n), latency_like(rng, n, 1.01)) for n in range(3, 40)]
    whole = stats.compare_sample_pairs(pairs)
    monkeypatch.setattr(stats, "_BATCH_ROWS", 4)
    for got, want in zip(stats.compare_sample_pairs(pairs), whole, strict=True):
        assert_same(got, want)


@pytest.mark.parametrize("n_a, n_b", [(3, 3), (8, 15), (250, 251), (4000, 3999)])
def test_tail_candidates_hold_the_order_statistics_of_every_resample(n_a, n_b):
    # adversarial values: a few distinct values with huge gaps, and dense ones
    rng = np.random.default_rng(n_a)
    for xa, xb in [
        (np.sort(rng.choice([1e-9, 1.0, 1e9], n_a)), np.sort(rng.choice([0.0, 2.0, 3e8], n_b))),
        (np.sort(rng.random(n_a)) + 1e-3, np.sort(rng.random(n_b))),
    ]:
        ia = stats._sorted_median_index(n_a, 0, 0, 2000)
        ib = stats._sorted_median_index(n_b, 0, 1, 2000)
        full = np.sort(xb[ib] / xa[ia])
        index_a, index_b, low, high, split = stats._tail_candidates(n_a, n_b, 0, 2000, 50, 50)
        values = xb[index_b] / xa[index_a]
        assert np.array_equal(np.sort(values[:split])[:51], full[:51])
        assert np.array_equal(np.sort(values[split:])[-51:], full[-51:])
        assert split == low.size < 400 and high.size < 400  # far fewer than 2000


# --- compare_runs with a prepared baseline --------------------------------------------------


def _two_runs() -> tuple[pd.DataFrame, str, str]:
    a, b = str(DATA / "latency_a.json"), str(DATA / "latency_b.json")
    return load_results([a, b]).table(), a, b


def test_prepared_baseline_gives_the_same_comparison():
    t, a, b = _two_runs()
    prepared = compare.prepare_baseline(t, a)
    plain = compare.compare_runs(t, a, b)
    pd.testing.assert_frame_equal(compare.compare_runs(t, a, b, prepared=prepared), plain)
    pd.testing.assert_frame_equal(
        compare.compare_runs(t, a, b, prepared=prepared, workers=3), plain
    )
    pd.testing.assert_frame_equal(
        compare.only_on_one_side(t, a, b, prepared=prepared), compare.only_on_one_side(t, a, b)
    )
    assert set(plain["verdict"]) == {"faster", "slower", "no significant difference"}
    with pytest.raises(ValueError, match="prepared for"):
        compare.compare_runs(t, b, a, prepared=prepared)


def test_compare_runs_matches_the_reference_per_benchmark():
    t, a, b = _two_runs()
    got = compare.compare_runs(t, a, b).set_index(["family", "name"])
    base, other = (t[t["file"] == f].set_index(["family", "name"])["samples"] for f in (a, b))
    assert len(got) > 50
    for key, row in got.iterrows():
        want = reference_comparison(base[key], other[key])
        assert (row["verdict"], row["p_value"]) == (want.verdict, want.p_value)
        assert (row["ci_low"], row["ci_high"]) == (want.ci_low, want.ci_high)


def test_prepared_baseline_with_bad_or_missing_samples():
    rows = [
        {"file": f, "machine": "box", "name": n, "family": "marshalling", "subject": n,
         "params": {"payload": n}, "metrics": {}, "median": 1.0, "samples": s}
        for f, n, s in [
            ("a.json", "nan", [1.0, float("nan"), 2.0]),
            ("b.json", "nan", [1.0, 2.0, 3.0]),
            ("a.json", "none", None),
            ("b.json", "none", [1.0, 2.0]),
            ("a.json", "only_a", [1.0, 2.0, 3.0]),
            ("a.json", "ok", [1.0, 2.0, 3.0, 4.0]),
            ("b.json", "ok", [2.0, 3.0, 4.0, 5.0]),
        ]
    ]  # fmt: skip
    for noise, message in [(None, "samples contains NaN"), ([], "a contains NaN")]:
        # without a noise column the stability check meets the NaN first
        t = pd.DataFrame(rows) if noise is None else pd.DataFrame(rows).assign(noise=[noise] * 7)
        prepared = compare.prepare_baseline(t, "a.json")
        got = compare.compare_runs(t, "a.json", "b.json", prepared=prepared)
        pd.testing.assert_frame_equal(got, compare.compare_runs(t, "a.json", "b.json"))
        verdicts = dict(zip(got["name"], got["verdict"]))
        assert verdicts["nan"] == f"not comparable: {message} or infinite values"
        assert verdicts["none"] == compare.NO_SAMPLES
        assert "only_a" not in verdicts and verdicts["ok"] == "no significant difference"


def test_family_geomean_interval_is_the_bootstrap_of_the_ratios():
    rng = np.random.default_rng(2)
    ratios = rng.lognormal(0.0, 0.1, 300)
    comparison = pd.DataFrame(
        {"family": "floor", "ratio": ratios, "verdict": "no significant difference"}
    )
    got = compare.family_summary(comparison).iloc[0]
    _, low, high = stats.bootstrap_ratio_ci(
        [1.0], ratios, stat=compare._geometric_mean_axis, n_resamples=2000
    )
    assert (got["ci_low"], got["ci_high"]) == (low, high)
    # the cached indices draw what a fresh generator draws
    fresh = np.random.default_rng(np.random.SeedSequence(0).spawn(2)[1])
    want = stats._resampled_stat(ratios, fresh, 2000, np.mean, stats._MAX_CHUNK_ELEMENTS)
    assert np.array_equal(stats._resampled(ratios, 0, 1, 2000, np.mean), want)
