"""The numeric reading of a sampled value string."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencsms.domain.meter_readings import numeric_value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_written_out_reads_back(number: float) -> None:
    assert numeric_value(repr(number)) == number


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_integers_read_as_floats(number: int) -> None:
    assert numeric_value(str(number)) == float(number)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_fixed_point_text_reads_as_its_value(number: object) -> None:
    text = f"{number:f}"
    assert numeric_value(text) == float(text)


@given(st.text())
def test_any_text_gives_a_finite_number_or_none(text: str) -> None:
    value = numeric_value(text)
    assert value is None or math.isfinite(value)


@pytest.mark.parametrize(
    "text", ["", " ", "nan", "NaN", "inf", "-Infinity", "1_000", "0x10", "1,5", "12 kWh", "1e999", "--1"]
)
def test_text_that_is_not_a_plain_finite_decimal_has_no_number(text: str) -> None:
    assert numeric_value(text) is None


def test_surrounding_blanks_are_ignored() -> None:
    assert numeric_value(" 12.5 ") == 12.5


def test_signed_data_has_no_number_even_when_it_looks_like_one() -> None:
    assert numeric_value("12", "SignedData") is None
    assert numeric_value("12", "Raw") == 12.0
