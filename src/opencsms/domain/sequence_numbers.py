"""The seqNos of a 2.0.1 transaction's events (E15): which arrived, which are missing, which repeat.

A transaction keeps the highest seqNo seen and the gaps below it, as ranges written
``"2,5-7"``: short even when a station skips far ahead. An event whose seqNo is at or below the
highest and not in a gap was stored already: it is a resend, answered again without a change.
"""

from __future__ import annotations

from dataclasses import dataclass

Gaps = tuple[tuple[int, int], ...]


def parse_gaps(text: str | None) -> Gaps:
    """``"2,5-7"`` -> ((2, 2), (5, 7)); None or "" -> ()."""
    if not text:
        return ()
    ranges = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        ranges.append((int(low), int(high or low)))
    return tuple(ranges)


def format_gaps(gaps: Gaps) -> str | None:
    """The inverse of :func:`parse_gaps` (None when there is no gap)."""
    if not gaps:
        return None
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in gaps)


def missing(gaps: Gaps) -> tuple[int, ...]:
    """Every seqNo in ``gaps``, ascending."""
    return tuple(n for low, high in gaps for n in range(low, high + 1))


@dataclass(frozen=True, slots=True)
class SeqNoCheck:
    """What one more event's seqNo means for its transaction."""

    #: Already stored: answer as before, change nothing.
    duplicate: bool
    #: The event is the newest so far (its state is the transaction's current state).
    newest: bool
    highest: int
    gaps: Gaps


def first_gaps(seq_no: int, *, started: bool) -> Gaps:
    """The gaps when the first event seen has ``seq_no``: every lower seqNo is missing, unless it is
    the Started event (seqNos may then not start at 0; E15 counts from the station's last one)."""
    return () if started or seq_no == 0 else ((0, seq_no - 1),)


def check(seq_no: int, highest: int | None, gaps: Gaps) -> SeqNoCheck:
    """Place ``seq_no`` among the seqNos seen (``highest`` None: none yet, and ``seq_no`` is not a
    Started event's)."""
    if highest is None:
        return SeqNoCheck(
            duplicate=False, newest=True, highest=seq_no, gaps=first_gaps(seq_no, started=False)
        )
    if seq_no > highest:
        new_gap = ((highest + 1, seq_no - 1),) if seq_no > highest + 1 else ()
        return SeqNoCheck(duplicate=False, newest=True, highest=seq_no, gaps=gaps + new_gap)
    for index, (low, high) in enumerate(gaps):
        if low <= seq_no <= high:
            # A late event fills (part of) a gap.
            split = tuple((a, b) for a, b in ((low, seq_no - 1), (seq_no + 1, high)) if a <= b)
            return SeqNoCheck(
                duplicate=False,
                newest=False,
                highest=highest,
                gaps=gaps[:index] + split + gaps[index + 1 :],
            )
    return SeqNoCheck(duplicate=True, newest=False, highest=highest, gaps=gaps)
