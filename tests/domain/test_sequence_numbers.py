"""seqNo bookkeeping of 2.0.1 transactions (E15): gaps, late fills, resends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opencsms.domain.sequence_numbers import check, format_gaps, missing, parse_gaps


def test_gaps_round_trip_as_ranges() -> None:
    assert parse_gaps("2,5-7") == ((2, 2), (5, 7))
    assert format_gaps(((2, 2), (5, 7))) == "2,5-7"
    assert parse_gaps(None) == parse_gaps("") == () and format_gaps(()) is None
    assert missing(((2, 2), (5, 7))) == (2, 5, 6, 7)


def test_a_jump_opens_a_gap_that_late_events_fill() -> None:
    first = check(0, None, ())
    jump = check(4, first.highest, first.gaps)
    assert (jump.duplicate, jump.newest, jump.highest, jump.gaps) == (False, True, 4, ((1, 3),))
    late = check(2, jump.highest, jump.gaps)
    assert (late.duplicate, late.newest, late.highest, late.gaps) == (False, False, 4, ((1, 1), (3, 3)))
    assert check(2, late.highest, late.gaps).duplicate
    assert check(4, late.highest, late.gaps).duplicate


@given(st.permutations(range(12)), st.integers(min_value=1, max_value=3))
def test_any_arrival_order_with_resends_applies_each_seq_no_exactly_once(
    order: list[int], resends: int
) -> None:
    highest: int | None = None
    gaps: tuple[tuple[int, int], ...] = ()
    applied = []
    for seq_no in [n for n in order for _ in range(resends)]:
        result = check(seq_no, highest, gaps)
        if not result.duplicate:
            applied.append(seq_no)
        highest, gaps = result.highest, result.gaps
    assert sorted(applied) == list(range(12)) and gaps == () and highest == 11
