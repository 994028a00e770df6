"""The books of one message stream, counted exactly from per-message sequence numbers.

Inputs are what the processes recorded (Jepsen's method): the sequence numbers the
producer *sent* (recorded before each publish), the acknowledgements it *received*
(recorded as they arrived) and the deliveries the consumer(s) *saw*, in delivery
order. Every count is taken from its own set, so the identities below compare
independent computations and fail on bad data (an acknowledgement of a message never
sent, a delivery of a message never sent, a sequence number sent twice) or a bug:

- received = distinct delivered + duplicated
- sent = acknowledged + unacknowledged
- distinct delivered = delivered-acknowledged + delivered-unacknowledged

*Lost* is what the middleware promised and broke: acknowledged but never delivered.
For modes without acknowledgements the comparable loss is sent but never delivered
(``lost_sent``), reported per 100,000 sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace

PER = 100_000


class LedgerError(Exception):
    """The books do not balance: an identity failed."""


@dataclass(frozen=True)
class Ledger:
    """Exact counts of one stream (all in messages)."""

    sent: int  # sent records (one per publish attempt)
    acknowledged: int  # distinct sequence numbers acknowledged
    unacknowledged: int  # distinct sequence numbers sent and never acknowledged
    received: int  # deliveries, copies included
    distinct: int  # distinct sequence numbers delivered
    duplicated: int  # extra copies: deliveries of a number already delivered
    reordered: int  # first deliveries below the highest number delivered before them
    lost: int  # acknowledged, never delivered
    delivered_acked: int
    delivered_unacked: int  # sent, not acknowledged, delivered all the same
    lost_sent: int  # sent, never delivered (acknowledged or not)
    unexpected: int  # delivered but never sent (must be 0)
    failures: tuple[str, ...] = field(default=())

    @property
    def balanced(self) -> bool:
        return not self.failures

    @property
    def lost_per_100k_acked(self) -> float | None:
        return self.lost * PER / self.acknowledged if self.acknowledged else None

    @property
    def lost_per_100k_sent(self) -> float | None:
        return self.lost_sent * PER / self.sent if self.sent else None

    def metrics(self) -> dict[str, object]:
        """The counts, the loss rates and the verdict, flat for a result row."""
        counts = asdict(self)
        failures = counts.pop("failures")
        return {
            **counts,
            "lost_per_100k_acked": self.lost_per_100k_acked,
            "lost_per_100k_sent": self.lost_per_100k_sent,
            "balanced": self.balanced,
            "identity_failures": list(failures),
        }


def reordered_count(delivered: Iterable[int]) -> int:
    """First deliveries of a number smaller than the highest number delivered before it.

    Redeliveries (duplicates) are not reorderings; they are counted as duplicates.
    """
    seen: set[int] = set()
    high = None
    count = 0
    for seq in delivered:
        if seq in seen:
            continue
        seen.add(seq)
        if high is not None and seq < high:
            count += 1
        else:
            high = seq
    return count


def identity_failures(ledger: Ledger) -> list[str]:
    """Each identity that does not hold, as a sentence with its numbers (empty: balanced)."""
    failures = []
    if ledger.received != ledger.distinct + ledger.duplicated:
        failures.append(
            f"received {ledger.received} != distinct {ledger.distinct}"
            f" + duplicated {ledger.duplicated}"
        )
    if ledger.sent != ledger.acknowledged + ledger.unacknowledged:
        failures.append(
            f"sent {ledger.sent} != acknowledged {ledger.acknowledged}"
            f" + unacknowledged {ledger.unacknowledged}"
        )
    if ledger.distinct != ledger.delivered_acked + ledger.delivered_unacked:
        failures.append(
            f"distinct {ledger.distinct} != delivered-acknowledged {ledger.delivered_acked}"
            f" + delivered-unacknowledged {ledger.delivered_unacked}"
        )
    return failures


def count(sent: Sequence[int], acked: Iterable[int], delivered: Sequence[int]) -> Ledger:
    """The ledger of one stream; ``failures`` lists the identities that do not hold.

    *sent* holds one entry per publish attempt, *acked* the acknowledged numbers (a
    repeated acknowledgement counts once), *delivered* every delivery in the order the
    consumers saw them (a redelivery appears again).
    """
    sent_set = set(sent)
    acked_set = set(acked)
    copies = Counter(delivered)
    delivered_set = set(copies)
    ledger = Ledger(
        sent=len(sent),
        acknowledged=len(acked_set),
        unacknowledged=len(sent_set - acked_set),
        received=len(delivered),
        distinct=len(delivered_set),
        duplicated=sum(n - 1 for n in copies.values()),
        reordered=reordered_count(delivered),
        lost=len(acked_set - delivered_set),
        delivered_acked=len(delivered_set & acked_set),
        delivered_unacked=len((delivered_set & sent_set) - acked_set),
        lost_sent=len(sent_set - delivered_set),
        unexpected=len(delivered_set - sent_set),
    )
    return checked(ledger)


def checked(ledger: Ledger) -> Ledger:
    """*ledger* with its identity failures filled in."""
    return replace(ledger, failures=tuple(identity_failures(ledger)))


def assert_balanced(ledger: Ledger) -> Ledger:
    """*ledger* itself if its books balance, else :class:`LedgerError` naming each failure."""
    failures = identity_failures(ledger)
    if failures:
        raise LedgerError("; ".join(failures))
    return ledger
