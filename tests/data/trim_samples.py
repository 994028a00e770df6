"""Make a small raw-sample result file from a big one (how latency_a/b.json were made).

    python tests/data/trim_samples.py BIG.json OUT.json --rounds 200 --min-rounds 100

Keeps the benchmarks with at least ``--min-rounds`` raw samples, each cut to its first
``--rounds`` samples (in measuring order) with pytest-benchmark's ``stats`` recomputed from
them by pytest-benchmark itself, and drops ``extra_info["histogram"]``: the output is a
result file as commbench wrote them before histograms, with real measured samples.
Written compact (no indentation) to keep the repository small.
"""

from __future__ import annotations

import argparse
import json

from pytest_benchmark.stats import Stats


def trim(doc: dict, rounds: int, min_rounds: int) -> dict:
    kept = []
    for bench in doc["benchmarks"]:
        data = bench["stats"].get("data") or []
        if len(data) < min_rounds:
            continue
        stats = Stats()
        for value in data[:rounds]:
            stats.update(value)
        bench["stats"] = {
            **stats.as_dict(),
            "data": stats.data,
            "iterations": bench["stats"]["iterations"],
        }
        bench["extra_info"].pop("histogram", None)
        kept.append(bench)
    doc["benchmarks"] = kept
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--min-rounds", type=int, default=100)
    args = parser.parse_args()
    with open(args.source, encoding="utf-8") as fh:
        doc = json.load(fh)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(trim(doc, args.rounds, args.min_rounds), fh, separators=(",", ":"))


if __name__ == "__main__":
    main()
