"""Metrics of a scenario's history (pure functions of the recorded operations).

- availability per side and phase: the share of operations the store answered
  (``ok``, or a compare-and-set that answered "no": outcome ``fail`` without an error);
- stale reads: ok reads that returned a value already superseded in real time, i.e. a
  write acknowledged before the read began was itself invoked after the value read had
  been acknowledged (no linearization can explain them; a lower bound on staleness);
- acknowledged writes lost after the heal: on write-once keys, acknowledged writes a
  final read (after the heal) does not find; on the shared keys, acknowledged writes a
  final read shows superseded by an older value;
- time to recover: from the heal to the last member's first acknowledged write or swap.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from commbench.cap.history import Op
from commbench.cap.workload import PHASES, is_unique_key


def answered(o: Op) -> bool:
    """Did the store give an answer (ok, or a definite "compare failed")?"""
    return o.outcome == "ok" or (o.outcome == "fail" and o.f == "cas" and "error" not in o.extra)


def _writes(o: Op) -> bool:
    return o.outcome == "ok" and o.f in ("write", "cas")


def _written(o: Op) -> str:
    return o.value if o.f == "write" else o.value[1]


def availability(ops: Iterable[Op]) -> dict[str, Any]:
    """``availability.<side>.<phase>`` (share answered) and ``ops.<side>.<phase>`` (count),
    and the same for reads alone (``read_availability.*``, ``reads.*``): a store may keep
    answering reads where it refuses writes (etcd's serializable reads)."""
    total: dict[tuple[str, str, bool], int] = defaultdict(int)
    good: dict[tuple[str, str, bool], int] = defaultdict(int)
    for o in ops:
        if o.extra.get("final"):
            continue
        side, phase = str(o.extra.get("side", "all")), str(o.extra.get("phase", "all"))
        for cell in ((side, phase, False), *(((side, phase, True),) if o.f == "read" else ())):
            total[cell] += 1
            good[cell] += answered(o)
    out: dict[str, Any] = {}
    for (side, phase, reads), n in sorted(total.items()):
        count, share = ("reads", "read_availability") if reads else ("ops", "availability")
        out[f"{count}.{side}.{phase}"] = n
        out[f"{share}.{side}.{phase}"] = good[side, phase, reads] / n
    return out


class _Writes:
    """One key's acknowledged writes, for "was value v superseded before time t?"."""

    def __init__(self, ops: Sequence[Op]) -> None:
        acked = sorted((o for o in ops if _writes(o)), key=lambda o: o.complete_s)
        self.completes = [o.complete_s for o in acked]
        self.max_invoke = []  # running max of invoke over writes by completion time
        running = -math.inf
        for o in acked:
            running = max(running, o.invoke_s)
            self.max_invoke.append(running)
        # when each value's write was acknowledged; unknown writes: never (inf)
        self.acked_at = {_written(o): o.complete_s for o in ops if o.f in ("write", "cas")}

    def superseded(self, value: Any, before_s: float) -> bool:
        """Was a write acknowledged before *before_s* invoked after *value*'s write was
        acknowledged? (For ``None``, the empty register: any write acknowledged before.)"""
        since = -math.inf if value is None else self.acked_at.get(value, math.inf)
        n = bisect.bisect_left(self.completes, before_s)
        return n > 0 and self.max_invoke[n - 1] > since


def _per_key(ops: Iterable[Op]) -> dict[str, list[Op]]:
    keys: dict[str, list[Op]] = defaultdict(list)
    for o in ops:
        keys[o.key].append(o)
    return keys


def stale_reads(ops: Sequence[Op]) -> dict[str, Any]:
    """``stale_reads`` / ``reads_ok`` and the rate, over the workload's reads (final excluded),
    also per side during the partition (``stale_reads.<side>.<phase>``)."""
    out: dict[str, Any] = {}
    stale = reads = 0
    cells: dict[str, int] = defaultdict(int)
    for key_ops in _per_key(ops).values():
        writes = _Writes(key_ops)
        for o in key_ops:
            if o.f != "read" or o.outcome != "ok" or o.extra.get("final"):
                continue
            reads += 1
            if writes.superseded(o.value, o.invoke_s):
                stale += 1
                cells[
                    f"stale_reads.{o.extra.get('side', 'all')}.{o.extra.get('phase', 'all')}"
                ] += 1
    out["reads_ok"] = reads
    out["stale_reads"] = stale
    out["stale_read_rate"] = stale / reads if reads else 0.0
    out.update(sorted(cells.items()))
    return out


def lost_writes(ops: Sequence[Op]) -> dict[str, Any]:
    """Acknowledged writes lost after the heal, two ways.

    - ``writes_lost`` of ``writes_probed``: acknowledged writes to write-once keys whose
      final read (after the heal) returned nothing or another value;
    - ``register_writes_lost``: acknowledged writes w to the shared keys that a final read r
      shows rolled back: r began after w was acknowledged and returned a value acknowledged
      before w was invoked (or the empty register).
    """
    lost: set[int] = set()
    probed = probe_lost = 0
    finals = 0
    for key, key_ops in _per_key(ops).items():
        final = [o for o in key_ops if o.extra.get("final") and o.f == "read" and o.outcome == "ok"]
        finals += len(final)
        if is_unique_key(key):
            for w in key_ops:
                if w.f == "write" and w.outcome == "ok" and final:
                    probed += 1
                    probe_lost += final[-1].value != w.value
            continue
        acked_at = {_written(o): o.complete_s for o in key_ops if o.f in ("write", "cas")}
        for r in final:
            seen_acked = -math.inf if r.value is None else acked_at.get(r.value, math.inf)
            for w in key_ops:
                if _writes(w) and w.complete_s < r.invoke_s and w.invoke_s > seen_acked:
                    lost.add(id(w))
    return {
        "writes_acked": sum(_writes(o) for o in ops),
        "writes_probed": probed,
        "writes_lost": probe_lost,
        "register_writes_lost": len(lost),
        "final_reads_ok": finals,
    }


def recovery_s(ops: Sequence[Op], heal_s: float) -> float | None:
    """Seconds from the heal until every member (client) had an acknowledged write or
    swap invoked after it; None if one never did."""
    firsts: dict[Any, float] = {}
    nodes = {o.extra.get("node") for o in ops if not o.extra.get("final")}
    for o in sorted(ops, key=lambda o: o.complete_s):
        if o.extra.get("final") or o.invoke_s < heal_s or not _writes(o):
            continue
        firsts.setdefault(o.extra.get("node"), o.complete_s)
    if not nodes or set(firsts) != nodes:
        return None
    return max(firsts.values()) - heal_s


def timeline(ops: Sequence[Op], bin_s: float = 0.5) -> dict[str, Any]:
    """Operations per second per side, in bins of *bin_s*: ``ok.<side>`` (answered, by
    completion time) and ``err.<side>`` (refused with an error, by completion time, or
    unknown, by invocation time: an unknown operation never completes). Final reads are
    left out, and so is the last, partial bin. Compact enough to travel in the result row."""
    if bin_s <= 0:
        raise ValueError(f"a timeline needs a positive bin, not {bin_s}")
    work = [o for o in ops if not o.extra.get("final")]
    if not work:
        return {"bin_s": bin_s, "t_s": []}
    end = max(o.invoke_s if math.isinf(o.complete_s) else o.complete_s for o in work)
    bins = max(1, int(end // bin_s))  # whole bins only: a partial last bin would read low
    series: dict[str, list[float]] = {}
    for o in work:
        side = str(o.extra.get("side", "all"))
        name = f"{'ok' if answered(o) else 'err'}.{side}"
        at = o.invoke_s if math.isinf(o.complete_s) else o.complete_s
        slot = series.setdefault(name, [0.0] * bins)
        if int(at // bin_s) < bins:
            slot[int(at // bin_s)] += 1 / bin_s
    return {"bin_s": bin_s, "t_s": [round(i * bin_s, 3) for i in range(bins)], **series}


def summarise(ops: Sequence[Op], heal_s: float) -> dict[str, Any]:
    """Every metric above in one flat dict."""
    out: dict[str, Any] = {"ops": sum(not o.extra.get("final") for o in ops)}
    out.update(availability(ops))
    out.update(stale_reads(ops))
    out.update(lost_writes(ops))
    out["recovery_s"] = recovery_s(ops, heal_s)
    out["unknown_ops"] = sum(o.outcome == "unknown" for o in ops)
    return out


__all__ = [
    "PHASES",
    "availability",
    "lost_writes",
    "recovery_s",
    "stale_reads",
    "summarise",
    "timeline",
]
