"""The harness adds no measurable overhead: the suite's timing of orjson encoding the
RPC record, beside ``python -m timeit`` on the very same call in a fresh process.

The figures are stored in ``extra_info.metrics`` (ns per call): ``timeit_before_ns``
and ``timeit_after_ns`` (median of 7 timeit repeats, right before and right after the
suite's measurement), their mean ``timeit_median_ns``, and ``timeit_raw_orjson_ns``
(orjson.dumps called directly, without the adapter).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys

import pytest

from commbench.codecs import CODECS
from commbench.corpus import GENERATORS
from commbench.marshalling import prepare
from commbench.results import label

SETUP = """
from commbench.codecs import CODECS
from commbench.corpus import GENERATORS
from commbench.marshalling import prepare
prepared = prepare(CODECS["orjson"], GENERATORS["rpc"](0))
encode, doc = prepared.bound.encode, prepared.bound.value
import orjson
"""


def timeit_median_ns(stmt: str, repeat: int = 7, number: int = 50_000) -> float:
    """Median per-call time of *stmt* by ``python -m timeit -v`` in a new process, in ns."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "timeit",
            "-v",
            "-n",
            str(number),
            "-r",
            str(repeat),
            "-s",
            SETUP,
            stmt,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    loops = int(re.search(r"^(\d+) loops?, best of", out, re.M).group(1))
    raw = re.search(r"raw times: (.*)", out).group(1)
    scale = {"sec": 1e9, "msec": 1e6, "usec": 1e3, "nsec": 1.0}
    totals = [float(v) * scale[u] for v, u in re.findall(r"([\d.]+) (\w+)", raw)]
    return statistics.median(totals) / loops


@pytest.mark.parametrize("codec_name", ["orjson"])
def test_harness_overhead(benchmark, codec_name: str) -> None:
    prepared = prepare(CODECS[codec_name], GENERATORS["rpc"](0))
    before = timeit_median_ns("encode(doc)")
    benchmark.group = "harness overhead"
    label(
        benchmark,
        family="harness",
        subject=codec_name,
        params={"payload": "rpc", "op": "encode", "reference": "python -m timeit"},
        metrics={},
    )
    metrics: dict[str, float] = benchmark.extra_info["metrics"]
    encoded = benchmark(prepared.bound.encode, prepared.bound.value)
    assert encoded == prepared.encoded
    # timeit right before and right after: a slow phase of a shared machine shows up
    # as the two disagreeing, instead of passing for harness overhead
    after = timeit_median_ns("encode(doc)")
    metrics.update(
        timeit_before_ns=before,
        timeit_after_ns=after,
        timeit_median_ns=(before + after) / 2,
        timeit_raw_orjson_ns=timeit_median_ns("orjson.dumps(doc)"),
    )
    suite_ns = benchmark.stats.stats.median * 1e9
    timeit_ns = metrics["timeit_median_ns"]
    sys.stderr.write(
        f"\nharness overhead: suite median {suite_ns:.0f} ns, timeit median "
        f"{timeit_ns:.0f} ns ({suite_ns / timeit_ns - 1:+.1%}; before {before:.0f}, "
        f"after {after:.0f})\n"
    )
