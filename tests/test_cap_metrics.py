"""cap metrics on hand-made histories: availability per side and phase, stale reads, lost
writes (write-once probe and register rollback), recovery time."""

from __future__ import annotations

import pytest

from commbench.cap import metrics
from commbench.cap.history import op


def tagged(*args, side="majority", phase="during", node=1, **extra):
    return op(*args, side=side, phase=phase, node=node, **extra)


def test_availability_counts_answers_per_side_and_phase() -> None:
    ops = [
        tagged(0, "k", "write", "a", 0, 1, side="minority", node=0),
        tagged(0, "k", "read", None, 1, None, "unknown", side="minority", node=0, error="t"),
        tagged(0, "k", "write", "b", 2, 3, "fail", side="minority", node=0, error="refused"),
        tagged(0, "k", "cas", ("x", "c"), 3, 4, "fail", side="minority", node=0),  # "no"
        tagged(1, "k", "read", "a", 0, 1),
        tagged(1, "k", "read", "a", 5, 6, final=True),  # final reads are not counted
    ]
    found = metrics.availability(ops)
    assert found["ops.minority.during"] == 4
    assert found["availability.minority.during"] == pytest.approx(2 / 4)
    assert found["ops.majority.during"] == 1 and found["availability.majority.during"] == 1.0


def test_stale_reads_are_reads_of_values_superseded_in_real_time() -> None:
    ops = [
        tagged(0, "k", "write", "a", 0, 1),
        tagged(0, "k", "write", "b", 2, 3),
        tagged(1, "k", "read", "a", 4, 5, side="minority"),  # stale: b acked after a, before
        tagged(1, "k", "read", "a", 2.5, 5),  # concurrent with b: not provably stale
        tagged(1, "k", "read", "b", 4, 5),
        tagged(1, "k", "read", None, 4, 5),  # empty after acked writes: stale
    ]
    found = metrics.stale_reads(ops)
    assert found["reads_ok"] == 4 and found["stale_reads"] == 2
    assert found["stale_reads.minority.during"] == 1
    assert found["stale_read_rate"] == pytest.approx(0.5)


def test_lost_writes_on_write_once_keys_and_register_rollback() -> None:
    ops = [
        tagged(0, "u0-1", "write", "0-1", 0, 1),
        tagged(0, "u0-2", "write", "0-2", 0, 1),
        tagged(0, "u0-3", "write", "0-3", 0, 1, "unknown"),  # unknown: not probed
        tagged(9, "u0-1", "read", "0-1", 10, 11, final=True),
        tagged(9, "u0-2", "read", None, 10, 11, final=True),  # lost
        tagged(9, "u0-3", "read", None, 10, 11, final=True),
        tagged(0, "k", "write", "a", 0, 1),
        tagged(0, "k", "write", "b", 2, 3),  # acked after a, yet the final read says a
        tagged(9, "k", "read", "a", 10, 11, final=True),
    ]
    found = metrics.lost_writes(ops)
    assert found["writes_probed"] == 2 and found["writes_lost"] == 1
    assert found["register_writes_lost"] == 1


def test_recovery_is_the_last_member_first_acknowledged_write_after_heal() -> None:
    ops = [
        tagged(0, "k", "write", "a", 9, 10, node=0),  # before the heal at 10
        tagged(0, "k", "write", "b", 10.5, 11, "unknown", node=0),
        tagged(0, "k", "write", "c", 12, 13.5, node=0),
        tagged(1, "k", "write", "d", 10.1, 10.2, node=1),
    ]
    assert metrics.recovery_s(ops, heal_s=10.0) == pytest.approx(3.5)
    assert metrics.recovery_s(ops[:2] + ops[3:], heal_s=10.0) is None  # member 0 never did


def test_timeline_bins_answers_and_errors_per_side() -> None:
    ops = [
        tagged(0, "k", "write", "a", 0.1, 0.2, side="minority", node=0),
        tagged(0, "k", "read", None, 0.6, None, "unknown", side="minority", node=0, error="t"),
        tagged(0, "k", "write", "b", 1.1, 1.2, "fail", side="minority", node=0, error="no"),
        tagged(1, "k", "cas", ("x", "c"), 0.1, 0.3),  # answered "no": not an error
        tagged(1, "k", "read", "a", 0.1, 1.4),
        tagged(1, "k", "read", "a", 5, 6, final=True),  # left out
    ]
    found = metrics.timeline(ops, bin_s=0.5)
    assert found["t_s"] == [0.0, 0.5]  # the partial bin [1.0, 1.5) is left out
    assert found["ok.minority"] == [2.0, 0.0]
    assert found["err.minority"] == [0.0, 2.0]
    assert found["ok.majority"] == [2.0, 0.0]
    assert metrics.timeline(ops, bin_s=0.25)["err.minority"] == [0.0, 0.0, 4.0, 0.0, 4.0]
    assert "err.majority" not in found
    with pytest.raises(ValueError):
        metrics.timeline(ops, bin_s=0)


def test_read_availability_counts_reads_alone() -> None:
    ops = [
        tagged(0, "k", "read", "a", 0, 1, side="minority", node=0),
        tagged(0, "k", "write", "b", 1, None, "unknown", side="minority", node=0, error="t"),
        tagged(0, "k", "read", None, 2, 3, "fail", side="minority", node=0, error="refused"),
        tagged(0, "k", "read", "a", 3, 4, side="minority", node=0),
    ]
    found = metrics.availability(ops)
    assert found["reads.minority.during"] == 3
    assert found["read_availability.minority.during"] == pytest.approx(2 / 3)
    assert found["availability.minority.during"] == pytest.approx(2 / 4)
