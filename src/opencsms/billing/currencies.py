"""ISO 4217 currencies and their minor units (the number of decimals a price is rounded to).

The table is the active list of ISO 4217 (including the fund codes such as CHE or USN); an
unknown code is refused when a tariff is stored, so a typo cannot make a price unbillable.
"""

from __future__ import annotations

from decimal import Decimal

_BY_MINOR_UNITS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
        "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP "
        "GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK "
        "LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK "
        "NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD "
        "SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG "
        "YER ZAR ZMW ZWG ZWL"
    ),
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

MINOR_UNITS: dict[str, int] = {
    code: digits for digits, codes in _BY_MINOR_UNITS.items() for code in codes.split()
}


def is_known_currency(code: str) -> bool:
    """Whether ``code`` is an active ISO 4217 currency code (upper case, as the standard spells it)."""
    return code in MINOR_UNITS


def minor_unit(code: str) -> Decimal:
    """The smallest amount of the currency: ``Decimal("0.01")`` for EUR, ``Decimal("1")`` for JPY.

    Raises ``KeyError`` for an unknown code (tariffs are checked when stored, so this is a bug).
    """
    return Decimal(1).scaleb(-MINOR_UNITS[code])
