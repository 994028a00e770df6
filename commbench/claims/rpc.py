"""The marshalling and RPC claims: JSON against protobuf, global references for small
values, retries of failed calls (rows of the ``marshalling`` and ``rpc`` families)."""

from __future__ import annotations

import pandas as pd

from commbench.claims.base import (
    FAILS,
    HOLDS,
    Row,
    Verdict,
    missing,
    ns,
    num,
    pct,
    ratio,
    rows_of,
    split,
)
from commbench.units import format_bytes


def _marshal_time(rows: list[Row], codec: str, payload: str) -> float | None:
    total = 0.0
    for op in ("encode", "decode"):
        medians = [
            num(r.median)
            for r in rows
            if r.subject == codec
            and r.params.get("payload") == payload
            and r.params.get("op") == op
        ]
        if not medians or medians[0] is None:
            return None
        total += medians[0]
    return total


def json_inefficient(table: pd.DataFrame) -> Verdict:
    """JSON against protobuf: bytes and encode+decode time (marshalling: stdlib json
    against protobuf; RPC: Connect JSON against Connect protobuf), and zlib-compressed
    JSON beside uncompressed protobuf."""
    checks: list[tuple[str, bool]] = []
    parts: list[str] = []
    notes: list[str] = []
    marshal = rows_of(table, "marshalling")
    payloads = [
        p
        for p in dict.fromkeys(r.params.get("payload") for r in marshal)
        if any(r.subject == "json" and r.params.get("payload") == p for r in marshal)
        and any(r.subject == "protobuf" and r.params.get("payload") == p for r in marshal)
    ]
    for payload in payloads:
        j = next(r for r in marshal if r.subject == "json" and r.params.get("payload") == payload)
        p = next(
            r for r in marshal if r.subject == "protobuf" and r.params.get("payload") == payload
        )
        jb, pb = num(j.metrics.get("encoded_bytes")), num(p.metrics.get("encoded_bytes"))
        jt, pt = (
            _marshal_time(marshal, "json", payload),
            _marshal_time(marshal, "protobuf", payload),
        )
        bits = []
        if jb and pb:
            checks.append((f"{payload} bytes", jb > pb))
            bits.append(f"bytes {ratio(jb / pb)}")
            jz = num(j.metrics.get("compressed_bytes"))
            if jz:
                bits.append(f"zlib JSON ÷ raw protobuf {ratio(jz / pb)}")
                if jz <= pb:
                    notes.append(f"{payload}: compressed JSON is no bigger than protobuf")
        if jt and pt:
            checks.append((f"{payload} encode+decode", jt > pt))
            bits.append(f"encode+decode {ratio(jt / pt)}")
        if bits:
            parts.append(f"marshalling {payload}: " + ", ".join(bits))
    rpc = rows_of(table, "rpc", measure="latency")
    for r in rpc:
        if r.subject != "connect-json":
            continue
        twin = next(
            (
                t
                for t in rpc
                if t.subject == "connect-proto"
                and t.params.get("payload") == r.params.get("payload")
                and t.params.get("placement") == r.params.get("placement")
            ),
            None,
        )
        if twin is None:
            continue
        jt, pt = num(r.metrics.get("p50_ns")), num(twin.metrics.get("p50_ns"))
        jb, pb = (
            num(r.metrics.get("encoded_reply_bytes")),
            num(twin.metrics.get("encoded_reply_bytes")),
        )
        payload = r.params.get("payload")
        bits = []
        if jt and pt:
            checks.append((f"Connect {payload} call", jt > pt))
            bits.append(f"p50 {ratio(jt / pt)}")
        if jb and pb:
            checks.append((f"Connect {payload} bytes", jb > pb))
            bits.append(f"reply bytes {ratio(jb / pb)}")
        if bits:
            parts.append(f"Connect JSON ÷ Connect protobuf, {payload}: " + ", ".join(bits))
    compressed = _connect_compression(rows_of(table, "rpc", measure="compression"), parts)
    if not checks:
        return missing("json and protobuf marshalling rows, nor Connect JSON/protobuf RPC rows")
    outcome, when = split(checks, held="for", failed="for")
    cond = {
        HOLDS: "JSON is bigger and slower than protobuf in every comparison made",
        FAILS: "JSON was never bigger nor slower than protobuf here",
    }.get(outcome, "JSON is worse only in part of the comparisons")
    cond += (
        "; Connect with gzip on the wire in both codecs: " + "; ".join(compressed)
        if compressed
        else "; Connect ran without compression (off in both codecs); zlib figures are from "
        "the marshalling suite's encoded bytes"
    )
    if notes:
        cond += "; " + "; ".join(notes) + " (the cost is that it is sent uncompressed)"
    return Verdict(outcome, "JSON ÷ protobuf: " + "; ".join(parts), cond, when)


def _connect_compression(rows: list[Row], parts: list[str]) -> list[str]:
    """Connect JSON against Connect protobuf with gzip on (rows of measure
    ``compression``): adds the figures to *parts*, returns the conditions' notes (empty
    when the run had no such rows). Context for the claim, not one of its checks: the
    lecture's claim is about JSON sent whole, uncompressed."""
    notes = []
    gz = [r for r in rows if r.params.get("compression") == "gzip"]
    for r in (r for r in gz if r.subject == "connect-json"):
        payload = r.params.get("payload")
        twin = next(
            (t for t in gz if t.subject == "connect-proto" and t.params.get("payload") == payload),
            None,
        )
        if twin is None:
            continue
        jb, pb = (
            num(r.metrics.get("wire_message_bytes")),
            num(twin.metrics.get("wire_message_bytes")),
        )
        jt, pt = num(r.metrics.get("p50_ns")), num(twin.metrics.get("p50_ns"))
        bits = []
        if jb and pb:
            bits.append(f"gzipped bytes {ratio(jb / pb)}")
            raw = num(r.metrics.get("message_bytes"))
            if raw:
                notes.append(f"{payload}: gzip shrinks the JSON message to {jb / raw:.0%}")
        if jt and pt:
            bits.append(f"p50 {ratio(jt / pt)}")
        if bits:
            parts.append(f"Connect JSON ÷ protobuf with gzip, {payload}: " + ", ".join(bits))
    return notes


BYREF_TIE = 0.9
"""By reference "wins" at a size only when its p50 is below 90% of by value's."""


def byref_int(table: pd.DataFrame) -> Verdict:
    rows = []
    for r in rows_of(table, "rpc", measure="by-reference"):
        sizes = r.params.get("sizes_bytes")
        value, ref = r.metrics.get("value_p50_ns"), r.metrics.get("reference_p50_ns")
        if isinstance(sizes, list) and isinstance(value, list) and isinstance(ref, list) and sizes:
            rows.append((r, sizes, value, ref))
    if not rows:
        return missing("by-value against by-reference RPC rows (rpc suite)")
    checks, parts = [], []
    for r, sizes, value, ref in rows:
        i = sizes.index(min(sizes))
        label = f"{r.subject}, access {r.params.get('access')}"
        checks.append((label, ref[i] >= BYREF_TIE * value[i]))
        cross = num(r.metrics.get("crossover_bytes"))
        where = (
            f", by reference pays from {format_bytes(cross)}"
            if cross is not None
            else ", by reference never pays"
        )
        parts.append(
            f"{label}: {format_bytes(sizes[i])} by value {ns(value[i])}, "
            f"by reference {ns(ref[i])}{where}"
        )
    outcome, when = split(checks, held="for", failed="for")
    cond = {
        HOLDS: "at the smallest size a global reference gains nothing (not 10% faster); it "
        "pays only for big objects",
        FAILS: "a global reference was faster even for the smallest value",
    }.get(outcome, "a global reference was faster for the smallest value in some cases")
    return Verdict(outcome, "; ".join(parts), cond, when)


def retries(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "rpc", measure="faults")
        if num(r.metrics.get("success_rate")) is not None
    ]
    if not rows:
        return missing("RPC fault rows (rpc suite)")
    checks, parts, dups, extra = [], [], 0, 0
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        groups.setdefault((r.subject, r.params.get("fault")), []).append(r)
    for (framework, fault), members in groups.items():
        bare = next((r for r in members if r.params.get("retry_policy") in (None, "none")), None)
        tried = [r for r in members if r.params.get("retry_policy") not in (None, "none")]
        if bare is None or not tried:
            continue
        base = num(bare.metrics["success_rate"]) or 0.0
        best = max(tried, key=lambda r: num(r.metrics["success_rate"]) or 0.0)
        rate = num(best.metrics["success_rate"]) or 0.0
        dups += sum(int(num(r.metrics.get("duplicates")) or 0) for r in tried)
        extra += sum(int(num(r.metrics.get("extra_executions")) or 0) for r in tried)
        parts.append(
            f"{framework} {fault}: {pct(base)} without retries, {pct(rate)} with "
            f"{best.params.get('retry_policy')}"
        )
        if base < 1.0:
            checks.append((f"{framework} under {fault}", rate > base))
    figure = (
        "success rate: "
        + "; ".join(parts)
        + f"; under retries {dups} duplicates, {extra} extra executions"
    )
    if not parts:
        return missing("RPC fault rows with and without retries")
    if not checks:
        return Verdict(HOLDS, figure, "no call failed even without retries: nothing to retry here")
    outcome, when = split(checks, held="for", failed="for")
    cond = {
        HOLDS: "retries turned failed calls into successes",
        FAILS: "retries did not raise the success rate",
    }.get(outcome, "retries helped only in part")
    cond += f"; they are at-least-once: {extra} calls ran more than once"
    return Verdict(outcome, figure, cond, when)
