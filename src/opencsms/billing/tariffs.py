"""Tariffs, in the shape of the OCPI 2.2.1 Tariff object, as the native model.

A tariff has a currency and a list of elements; each element has price components (ENERGY per
kWh, TIME per hour charging, PARKING_TIME per hour connected but not charging, FLAT per session)
and optional restrictions saying when it applies. Money and quantities are ``Decimal``: a tariff
is read from JSON with numbers kept as written (``json.loads(..., parse_float=Decimal)``), never
through a float.

``parse_tariff`` turns the JSON into a ``Tariff`` or raises ``TariffError`` naming the field
(``elements[1].restrictions.start_time``); ``tariff_to_json`` is its inverse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from opencsms.billing.currencies import is_known_currency


class TariffError(ValueError):
    """A tariff is invalid; ``field`` is the path of the offending value
    (``elements[0].price_components[1].price``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Dimension(StrEnum):
    """OCPI TariffDimensionType: what a price component prices."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @property
    def weekday(self) -> int:
        """Monday 0 ... Sunday 6, as ``date.weekday()``."""
        return list(DayOfWeek).index(self)


class ReservationRestriction(StrEnum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffType(StrEnum):
    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


@dataclass(frozen=True, slots=True)
class PriceComponent:
    """``price`` per unit excluding VAT (per kWh, per hour, per session); ``vat`` a percentage
    (None: no VAT applies, which is not the same as 0%); ``step_size`` in Wh or seconds (0:
    billed as measured)."""

    type: Dimension
    price: Decimal
    step_size: int
    vat: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Restrictions:
    """When an element applies; all set fields must match (a logical AND).

    Times and dates are local to the location. ``end_time`` before ``start_time`` wraps past
    midnight; ranges are ``[min, max)``; ``day_of_week`` empty means every day.
    """

    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: frozenset[DayOfWeek] = frozenset()
    reservation: ReservationRestriction | None = None


NO_RESTRICTIONS = Restrictions()


@dataclass(frozen=True, slots=True)
class TariffElement:
    price_components: tuple[PriceComponent, ...]
    restrictions: Restrictions = NO_RESTRICTIONS


@dataclass(frozen=True, slots=True)
class Price:
    excl_vat: Decimal
    incl_vat: Decimal | None = None


@dataclass(frozen=True, slots=True)
class DisplayText:
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class Tariff:
    id: str
    currency: str
    elements: tuple[TariffElement, ...]
    type: TariffType | None = None
    tariff_alt_text: tuple[DisplayText, ...] = ()
    tariff_alt_url: str | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    country_code: str | None = None
    party_id: str | None = None

    def alt_text(self, language: str | None = None) -> str | None:
        """The display text in ``language`` (else the first one), or None."""
        for text in self.tariff_alt_text:
            if language is not None and text.language == language:
                return text.text
        return self.tariff_alt_text[0].text if self.tariff_alt_text else None


_TIME = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_LANGUAGE = re.compile(r"[a-z]{2}")
_TARIFF_FIELDS = {
    "id", "currency", "elements", "type", "tariff_alt_text", "tariff_alt_url", "min_price", "max_price",
    "start_date_time", "end_date_time", "country_code", "party_id", "last_updated", "energy_mix",
}  # fmt: skip
_RESTRICTION_FIELDS = {name for name in Restrictions.__dataclass_fields__}
_MAX_ELEMENTS = 100
_MAX_STEP = 10**9


def _object(value: Any, field: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TariffError(field or "body", "must be an object")
    for key in value:
        if key not in allowed:
            raise TariffError(f"{field}.{key}" if field else str(key), "unknown field")
    return value


def _decimal(value: Any, field: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise TariffError(field, "must be a number")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise TariffError(field, "must be a finite number")
    if minimum is not None and number < minimum:
        raise TariffError(field, f"must not be negative (got {number})")
    if number.adjusted() > 12:
        raise TariffError(field, "is too large")
    return number


def _integer(value: Any, field: str, minimum: int, maximum: int = _MAX_STEP) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TariffError(field, "must be an integer")
    if not minimum <= value <= maximum:
        raise TariffError(field, f"must be between {minimum} and {maximum} (got {value})")
    return value


def _string(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value:
        raise TariffError(field, "must be a non-empty string")
    if len(value) > max_length:
        raise TariffError(field, f"must be at most {max_length} characters")
    return value


_E = TypeVar("_E", bound=StrEnum)


def _optional_string(body: Mapping[str, Any], name: str, max_length: int) -> str | None:
    return None if body.get(name) is None else _string(body[name], name, max_length)


def _enum(kind: type[_E], value: Any, field: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise TariffError(field, f"must be one of {allowed} (got {value!r})") from None


def _datetime(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise TariffError(field, "must be an RFC 3339 date-time string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TariffError(field, f"must be an RFC 3339 date-time (got {value!r})") from None
    # OCPI DateTimes without an offset are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _price(value: Any, field: str) -> Price:
    data = _object(value, field, {"excl_vat", "incl_vat"})
    if "excl_vat" not in data:
        raise TariffError(f"{field}.excl_vat", "is required")
    excl = _decimal(data["excl_vat"], f"{field}.excl_vat")
    incl = None if data.get("incl_vat") is None else _decimal(data["incl_vat"], f"{field}.incl_vat")
    if incl is not None and incl < excl:
        raise TariffError(f"{field}.incl_vat", "must not be below excl_vat")
    return Price(excl, incl)


def _component(value: Any, field: str) -> PriceComponent:
    data = _object(value, field, {"type", "price", "vat", "step_size"})
    for required in ("type", "price", "step_size"):
        if required not in data:
            raise TariffError(f"{field}.{required}", "is required")
    vat = None
    if data.get("vat") is not None:
        vat = _decimal(data["vat"], f"{field}.vat")
        if vat > 100:
            raise TariffError(f"{field}.vat", f"must be a percentage between 0 and 100 (got {vat})")
    return PriceComponent(
        type=_enum(Dimension, data["type"], f"{field}.type"),
        price=_decimal(data["price"], f"{field}.price"),
        step_size=_integer(data["step_size"], f"{field}.step_size", 0),
        vat=vat,
    )


def _clock(value: Any, field: str) -> time:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise TariffError(field, f"must be a time of day HH:MM, 00:00 to 23:59 (got {value!r})")
    return time(int(value[:2]), int(value[3:]))


def _calendar_date(value: Any, field: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise TariffError(field, f"must be a date YYYY-MM-DD (got {value!r})")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TariffError(field, f"is not a real date (got {value!r})") from None


def _restrictions(value: Any, field: str) -> Restrictions:
    data = _object(value, field, _RESTRICTION_FIELDS)
    got = {key: item for key, item in data.items() if item is not None}
    days = got.get("day_of_week", [])
    if not isinstance(days, list):
        raise TariffError(f"{field}.day_of_week", "must be a list of day names")
    day_set = frozenset(_enum(DayOfWeek, day, f"{field}.day_of_week[{n}]") for n, day in enumerate(days))
    if len(day_set) != len(days):
        raise TariffError(f"{field}.day_of_week", "names a day twice")

    def number(name: str) -> Decimal | None:
        return _decimal(got[name], f"{field}.{name}") if name in got else None

    def seconds(name: str) -> int | None:
        return _integer(got[name], f"{field}.{name}", 0) if name in got else None

    restrictions = Restrictions(
        start_time=_clock(got["start_time"], f"{field}.start_time") if "start_time" in got else None,
        end_time=_clock(got["end_time"], f"{field}.end_time") if "end_time" in got else None,
        start_date=_calendar_date(got["start_date"], f"{field}.start_date") if "start_date" in got else None,
        end_date=_calendar_date(got["end_date"], f"{field}.end_date") if "end_date" in got else None,
        min_kwh=number("min_kwh"),
        max_kwh=number("max_kwh"),
        min_current=number("min_current"),
        max_current=number("max_current"),
        min_power=number("min_power"),
        max_power=number("max_power"),
        min_duration=seconds("min_duration"),
        max_duration=seconds("max_duration"),
        day_of_week=day_set,
        reservation=(
            _enum(ReservationRestriction, got["reservation"], f"{field}.reservation")
            if "reservation" in got
            else None
        ),
    )
    _check_consistent(restrictions, field)
    return restrictions


def _check_consistent(r: Restrictions, field: str) -> None:
    """Refuse restrictions that can never match."""
    if r.start_time is not None and r.start_time == r.end_time:
        raise TariffError(f"{field}.end_time", "equals start_time: the element would never apply")
    if r.start_date is not None and r.end_date is not None and r.end_date <= r.start_date:
        raise TariffError(f"{field}.end_date", "must be after start_date (end_date is exclusive)")
    pairs: Sequence[tuple[str, Any, Any]] = (
        ("kwh", r.min_kwh, r.max_kwh),
        ("current", r.min_current, r.max_current),
        ("power", r.min_power, r.max_power),
        ("duration", r.min_duration, r.max_duration),
    )
    for name, low, high in pairs:
        if low is not None and high is not None and high <= low:
            raise TariffError(f"{field}.max_{name}", f"must be above min_{name} (the range is [min, max))")


def _element(value: Any, field: str) -> TariffElement:
    data = _object(value, field, {"price_components", "restrictions"})
    components_data = data.get("price_components")
    if not isinstance(components_data, list) or not components_data:
        raise TariffError(f"{field}.price_components", "must be a non-empty list")
    components = tuple(
        _component(item, f"{field}.price_components[{n}]") for n, item in enumerate(components_data)
    )
    seen: set[Dimension] = set()
    for n, component in enumerate(components):
        if component.type in seen:
            raise TariffError(
                f"{field}.price_components[{n}].type",
                f"{component.type} is priced twice in one element (only the first would ever apply)",
            )
        seen.add(component.type)
    restrictions = NO_RESTRICTIONS
    if data.get("restrictions") is not None:
        restrictions = _restrictions(data["restrictions"], f"{field}.restrictions")
    if restrictions.reservation is not None:
        for n, component in enumerate(components):
            if component.type not in (Dimension.FLAT, Dimension.TIME):
                raise TariffError(
                    f"{field}.price_components[{n}].type",
                    "a reservation element can only price FLAT and TIME",
                )
    return TariffElement(components, restrictions)


def parse_tariff(data: Any, *, tariff_id: str | None = None) -> Tariff:
    """A ``Tariff`` from OCPI 2.2.1 JSON (numbers best given as ``Decimal``).

    ``tariff_id``, when given, is the id (a body's ``id``, if any, must agree). Raises
    ``TariffError`` naming the first invalid field, including unknown fields, an unknown ISO 4217
    currency, a negative price, restrictions that can never match, and price components that an
    earlier element always takes precedence over.
    """
    from opencsms.billing.tariff_checks import check_reachable

    body = _object(data, "", _TARIFF_FIELDS)
    if tariff_id is None:
        if "id" not in body:
            raise TariffError("id", "is required")
        tariff_id = _string(body["id"], "id", 36)
    elif body.get("id") not in (None, tariff_id):
        raise TariffError("id", f"must match the tariff id in the path ({tariff_id!r})")
    if "currency" not in body:
        raise TariffError("currency", "is required")
    currency = body["currency"]
    if not isinstance(currency, str) or not is_known_currency(currency):
        raise TariffError("currency", f"must be an ISO 4217 currency code such as EUR (got {currency!r})")
    elements_data = body.get("elements")
    if not isinstance(elements_data, list) or not elements_data:
        raise TariffError("elements", "must be a non-empty list")
    if len(elements_data) > _MAX_ELEMENTS:
        raise TariffError("elements", f"must have at most {_MAX_ELEMENTS} elements")
    elements = tuple(_element(item, f"elements[{n}]") for n, item in enumerate(elements_data))
    texts_data = body.get("tariff_alt_text") or []
    if not isinstance(texts_data, list):
        raise TariffError("tariff_alt_text", "must be a list of {language, text}")
    texts = []
    for n, item in enumerate(texts_data):
        text = _object(item, f"tariff_alt_text[{n}]", {"language", "text"})
        language = text.get("language")
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            raise TariffError(f"tariff_alt_text[{n}].language", "must be an ISO 639-1 code such as en")
        texts.append(DisplayText(language, _string(text.get("text"), f"tariff_alt_text[{n}].text", 512)))
    min_price = None if body.get("min_price") is None else _price(body["min_price"], "min_price")
    max_price = None if body.get("max_price") is None else _price(body["max_price"], "max_price")
    if min_price is not None and max_price is not None and max_price.excl_vat < min_price.excl_vat:
        raise TariffError("max_price.excl_vat", "must not be below min_price.excl_vat")
    start = (
        None if body.get("start_date_time") is None else _datetime(body["start_date_time"], "start_date_time")
    )
    end = None if body.get("end_date_time") is None else _datetime(body["end_date_time"], "end_date_time")
    if start is not None and end is not None and end <= start:
        raise TariffError("end_date_time", "must be after start_date_time")
    tariff = Tariff(
        id=tariff_id,
        currency=currency,
        elements=elements,
        type=None if body.get("type") is None else _enum(TariffType, body["type"], "type"),
        tariff_alt_text=tuple(texts),
        tariff_alt_url=_optional_string(body, "tariff_alt_url", 255),
        min_price=min_price,
        max_price=max_price,
        start_date_time=start,
        end_date_time=end,
        country_code=_optional_string(body, "country_code", 2),
        party_id=_optional_string(body, "party_id", 3),
    )  # fmt: skip
    check_reachable(tariff)
    return tariff


def _restrictions_json(r: Restrictions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r.start_time is not None:
        out["start_time"] = r.start_time.strftime("%H:%M")
    if r.end_time is not None:
        out["end_time"] = r.end_time.strftime("%H:%M")
    if r.start_date is not None:
        out["start_date"] = r.start_date.isoformat()
    if r.end_date is not None:
        out["end_date"] = r.end_date.isoformat()
    for name in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power",
                 "min_duration", "max_duration"):  # fmt: skip
        value = getattr(r, name)
        if value is not None:
            out[name] = value
    if r.day_of_week:
        out["day_of_week"] = [day.value for day in DayOfWeek if day in r.day_of_week]
    if r.reservation is not None:
        out["reservation"] = r.reservation.value
    return out


def _price_json(price: Price) -> dict[str, Any]:
    out: dict[str, Any] = {"excl_vat": price.excl_vat}
    if price.incl_vat is not None:
        out["incl_vat"] = price.incl_vat
    return out


def tariff_to_json(tariff: Tariff) -> dict[str, Any]:
    """The tariff as OCPI JSON, numbers as ``Decimal`` (serialise them as JSON numbers verbatim)."""
    elements = []
    for element in tariff.elements:
        components = []
        for c in element.price_components:
            component: dict[str, Any] = {"type": c.type.value, "price": c.price, "step_size": c.step_size}
            if c.vat is not None:
                component["vat"] = c.vat
            components.append(component)
        item: dict[str, Any] = {"price_components": components}
        if element.restrictions != NO_RESTRICTIONS:
            item["restrictions"] = _restrictions_json(element.restrictions)
        elements.append(item)
    out: dict[str, Any] = {"id": tariff.id, "currency": tariff.currency, "elements": elements}
    if tariff.type is not None:
        out["type"] = tariff.type.value
    if tariff.tariff_alt_text:
        out["tariff_alt_text"] = [{"language": t.language, "text": t.text} for t in tariff.tariff_alt_text]
    if tariff.tariff_alt_url is not None:
        out["tariff_alt_url"] = tariff.tariff_alt_url
    if tariff.min_price is not None:
        out["min_price"] = _price_json(tariff.min_price)
    if tariff.max_price is not None:
        out["max_price"] = _price_json(tariff.max_price)
    if tariff.start_date_time is not None:
        out["start_date_time"] = tariff.start_date_time.isoformat().replace("+00:00", "Z")
    if tariff.end_date_time is not None:
        out["end_date_time"] = tariff.end_date_time.isoformat().replace("+00:00", "Z")
    if tariff.country_code is not None:
        out["country_code"] = tariff.country_code
    if tariff.party_id is not None:
        out["party_id"] = tariff.party_id
    return out
