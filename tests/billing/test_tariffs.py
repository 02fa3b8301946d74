"""Tariff validation: clear errors naming the field; the OCPI JSON round-trips exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from opencsms.billing.currencies import minor_unit
from opencsms.billing.tariffs import Dimension, TariffError, parse_tariff, tariff_to_json

ENERGY = {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("10"), "step_size": 1}


def body(**changes: Any) -> dict[str, Any]:
    return {"id": "T1", "currency": "EUR", "elements": [{"price_components": [ENERGY]}], **changes}


def restricted(**restrictions: Any) -> dict[str, Any]:
    """A tariff whose one ENERGY element has these restrictions."""
    return body(elements=[{"price_components": [ENERGY], "restrictions": restrictions}])


def error(data: Any) -> TariffError:
    with pytest.raises(TariffError) as caught:
        parse_tariff(data)
    return caught.value


def test_numbers_stay_exact_and_the_json_round_trips() -> None:
    text = (
        '{"id": "T1", "currency": "EUR", "elements": [{"price_components": [{"type": "ENERGY", '
        '"price": 0.1, "vat": 20.0, "step_size": 1}], "restrictions": {"start_time": "22:00", '
        '"end_time": "06:00", "day_of_week": ["SUNDAY", "MONDAY"], "min_kwh": 0.5}}], '
        '"min_price": {"excl_vat": 0.3}, "tariff_alt_text": [{"language": "en", "text": "night"}]}'
    )
    tariff = parse_tariff(json.loads(text, parse_float=Decimal))
    assert tariff.elements[0].price_components[0].price == Decimal("0.1")
    assert parse_tariff(tariff_to_json(tariff)) == tariff
    assert tariff_to_json(tariff)["elements"][0]["restrictions"]["day_of_week"] == ["MONDAY", "SUNDAY"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (body(currency="EUX"), "currency", "ISO 4217"),
        (body(currency="eur"), "currency", "ISO 4217"),
        (body(elements=[{"price_components": [{**ENERGY, "price": Decimal("-0.01")}]}]),
         "elements[0].price_components[0].price", "negative"),
        (body(elements=[{"price_components": [{**ENERGY, "vat": Decimal("120")}]}]),
         "elements[0].price_components[0].vat", "percentage"),
        (body(elements=[{"price_components": [{**ENERGY, "step_size": 1.5}]}]),
         "elements[0].price_components[0].step_size", "integer"),
        (body(elements=[{"price_components": [{**ENERGY, "type": "KWH"}]}]),
         "elements[0].price_components[0].type", "ENERGY, FLAT"),
        (restricted(**{"start_time": "7:00"}),
         "elements[0].restrictions.start_time", "HH:MM"),
        (restricted(**{"start_time": "10:00", "end_time": "10:00"}),
         "elements[0].restrictions.end_time", "never apply"),
        (restricted(**{"min_kwh": 20, "max_kwh": 10}),
         "elements[0].restrictions.max_kwh", "above min_kwh"),
        (restricted(**{"min_power": 11, "max_power": 11}),
         "elements[0].restrictions.max_power", "above min_power"),
        (restricted(**{"start_date": "2026-02-01", "end_date": "2026-01-01"}),
         "elements[0].restrictions.end_date", "after start_date"),
        (restricted(**{"start_date": "2026-02-30"}),
         "elements[0].restrictions.start_date", "real date"),
        (restricted(**{"day_of_week": ["MONDAY", "MONDAY"]}),
         "elements[0].restrictions.day_of_week", "twice"),
        (restricted(**{"reservation": "RESERVATION"}),
         "elements[0].price_components[0].type", "reservation"),
        (body(elements=[{"price_components": [ENERGY, ENERGY]}]),
         "elements[0].price_components[1].type", "twice"),
        (body(colour="blue"), "colour", "unknown field"),
        (body(elements=[{"price_components": [{**ENERGY, "unit": "kWh"}]}]),
         "elements[0].price_components[0].unit", "unknown field"),
        (body(elements=[]), "elements", "non-empty"),
        (body(min_price={"excl_vat": 5}, max_price={"excl_vat": 4}), "max_price.excl_vat", "min_price"),
        (body(tariff_alt_text=[{"language": "English", "text": "x"}]),
         "tariff_alt_text[0].language", "ISO 639-1"),
    ],
)  # fmt: skip
def test_invalid_tariffs_name_the_field(data: dict[str, Any], field: str, words: str) -> None:
    problem = error(data)
    assert problem.field == field and words in problem.message


def test_an_element_hidden_by_an_earlier_one_is_an_overlap() -> None:
    fallback_first = body(elements=[
        {"price_components": [ENERGY]},
        {"price_components": [{**ENERGY, "price": Decimal("0.10")}],
         "restrictions": {"start_time": "22:00", "end_time": "06:00"}},
    ])  # fmt: skip
    problem = error(fallback_first)
    assert problem.field == "elements[1].price_components[0]" and "elements[0]" in problem.message
    same_hours = body(elements=[
        {"price_components": [ENERGY], "restrictions": {"start_time": "20:00", "end_time": "08:00"}},
        {"price_components": [ENERGY],
         "restrictions": {"start_time": "22:00", "end_time": "06:00", "day_of_week": ["MONDAY"]}},
    ])  # fmt: skip
    assert error(same_hours).field == "elements[1].price_components[0]"


def test_overlaps_that_leave_each_price_reachable_are_fine() -> None:
    tariff = parse_tariff(body(elements=[
        {"price_components": [ENERGY], "restrictions": {"start_time": "22:00", "end_time": "06:00"}},
        {"price_components": [ENERGY],
         "restrictions": {"start_time": "00:00", "end_time": "08:00", "day_of_week": ["SUNDAY"]}},
        {"price_components": [ENERGY, {"type": "TIME", "price": 1, "step_size": 60}],
         "restrictions": {"max_power": 22}},
        {"price_components": [ENERGY]},
    ]))  # fmt: skip
    assert [c.type for c in tariff.elements[2].price_components] == [Dimension.ENERGY, Dimension.TIME]


def test_minor_units_follow_iso_4217() -> None:
    assert minor_unit("EUR") == Decimal("0.01")
    assert minor_unit("JPY") == Decimal("1")
    assert minor_unit("KWD") == Decimal("0.001")
