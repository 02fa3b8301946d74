"""Handshake: the station id from the request path, and the subprotocol the server picks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencsms.ocppj.errors import V16, V21, V201
from opencsms.ocppj.handshake import (
    MAX_STATION_ID_LENGTH,
    SUBPROTOCOLS,
    VERSION_SUBPROTOCOL,
    BadStationPath,
    select_subprotocol,
    station_id_from_path,
)

# -- station id -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "station_id"),
    [
        ("/ocpp/CP001", "CP001"),
        ("/CP001", "CP001"),
        ("CP001", "CP001"),
        ("/any/prefix/CP001", "CP001"),
        ("/ocpp/CP001/", "CP001"),
        ("/ocpp/CP001//", "CP001"),
        ("/ocpp/CP%20001", "CP 001"),
        ("/ocpp/%43%50001", "CP001"),
        ("/ocpp/Lades%C3%A4ule-1", "Ladesäule-1"),
        ("/ocpp/CP%ZZ", "CP%ZZ"),  # not a percent escape: kept as it is
        ("/ocpp/CP001?token=abc", "CP001"),
        ("/ocpp/CP001/?a=1&b=/x/y", "CP001"),
        ("/ocpp/CP001#fragment", "CP001"),
        ("/ocpp/" + "A" * MAX_STATION_ID_LENGTH, "A" * 48),
        ("/ocpp/" + "%41" * MAX_STATION_ID_LENGTH, "A" * 48),  # the limit counts decoded characters
    ],
)
def test_station_id(path: str, station_id: str) -> None:
    assert station_id_from_path(path) == station_id


@pytest.mark.parametrize("path", ["", "/", "//", "?id=CP001", "/?id=CP001", "#CP001"])
def test_empty_station_id_is_404(path: str) -> None:
    with pytest.raises(BadStationPath) as info:
        station_id_from_path(path)
    assert info.value.status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/ocpp/" + "A" * (MAX_STATION_ID_LENGTH + 1),
        "/ocpp/" + "%41" * (MAX_STATION_ID_LENGTH + 1),
        "/ocpp/CP%2F001",  # an encoded slash
        "/ocpp/CP%00",
        "/ocpp/CP%0A1",
        "/ocpp/CP%1F",
        "/ocpp/CP%7F",
    ],
)
def test_bad_station_id_is_400(path: str) -> None:
    with pytest.raises(BadStationPath) as info:
        station_id_from_path(path)
    assert info.value.status == 400


@pytest.mark.parametrize("path", ["/ocpp/CP%FF", "/ocpp/CP%C3", "/ocpp/%ED%A0%80"])
def test_station_id_not_utf8_is_400(path: str) -> None:
    with pytest.raises(BadStationPath) as info:
        station_id_from_path(path)
    assert info.value.status == 400


def test_bad_station_path_is_a_value_error_with_a_reason() -> None:
    with pytest.raises(ValueError, match="longer than 48"):
        station_id_from_path("/" + "A" * 49)


@given(st.text(max_size=60))
def test_any_path_gives_an_id_or_bad_station_path(path: str) -> None:
    try:
        station_id = station_id_from_path(path)
    except BadStationPath as exc:
        assert exc.status in (400, 404)
    else:
        assert 0 < len(station_id) <= MAX_STATION_ID_LENGTH
        assert "/" not in station_id


# -- subprotocol ----------------------------------------------------------------------------------


def test_subprotocol_tables() -> None:
    assert list(SUBPROTOCOLS) == ["ocpp2.1", "ocpp2.0.1", "ocpp1.6"]  # newest first
    assert VERSION_SUBPROTOCOL == {V21: "ocpp2.1", V201: "ocpp2.0.1", V16: "ocpp1.6"}


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["ocpp1.6"], "ocpp1.6"),
        (["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp2.0.1", "ocpp1.6"], "ocpp2.0.1"),
        (["ocpp1.6", "ocpp2.1", "ocpp2.0.1"], "ocpp2.1"),
        (["ocpp2.0.1", "ocpp2.1"], "ocpp2.1"),
        (["ocpp1.5", "ocpp2.0.1"], "ocpp2.0.1"),
    ],
)
def test_newest_common_version_wins_whatever_the_client_order(offered: list[str], chosen: str) -> None:
    assert select_subprotocol(offered) == chosen
    assert select_subprotocol(reversed(offered)) == chosen


@pytest.mark.parametrize(
    ("offered", "implemented", "chosen"),
    [
        (["ocpp2.1", "ocpp2.0.1", "ocpp1.6"], ["ocpp1.6"], "ocpp1.6"),
        (["ocpp2.1", "ocpp1.6"], ["ocpp1.6", "ocpp2.0.1"], "ocpp1.6"),
        (["ocpp2.1"], ["ocpp2.0.1", "ocpp1.6"], None),
        (["ocpp1.6"], [], None),
    ],
)
def test_only_implemented_versions_are_chosen(
    offered: list[str], implemented: list[str], chosen: str | None
) -> None:
    assert select_subprotocol(offered, implemented) == chosen


@pytest.mark.parametrize("offered", [[], ["ocpp1.5"], ["ocpp2.0"], ["wamp", "mqtt"], ["ocpp2.0.1.1"], [""]])
def test_no_common_version_is_none(offered: list[str]) -> None:
    assert select_subprotocol(offered) is None


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["OCPP1.6"], "ocpp1.6"),
        ([" ocpp2.0.1 "], "ocpp2.0.1"),
        (["Ocpp1.6", "\tOCPP2.1"], "ocpp2.1"),
    ],
)
def test_case_and_space_tolerant(offered: list[str], chosen: str) -> None:
    assert select_subprotocol(offered) == chosen


@given(st.permutations(list(SUBPROTOCOLS)), st.integers(1, len(SUBPROTOCOLS)))
def test_choice_does_not_depend_on_offer_order(protocols: list[str], count: int) -> None:
    offered = protocols[:count]
    newest = next(name for name in SUBPROTOCOLS if name in offered)
    assert select_subprotocol(offered) == newest


@pytest.mark.parametrize(
    ("station_id", "looks_like"),
    [
        ("\uff23\uff30\uff10\uff10\uff11", "CP001"),  # full-width forms
        ("CP001\u202e", "CP001"),  # a bidi override
        ("\u2067CP001\u2069", "CP001"),  # bidi isolates
        ("CP\u200b001", "CP001"),  # a zero-width space
        ("CP\u00a0001", "CP 001"),  # a non-breaking space
        ("CP\ufb01", "CPfi"),  # a ligature
        ("CP00\u00b9", "CP001"),  # a superscript
    ],
)
def test_invisible_and_look_alike_characters_are_refused(station_id: str, looks_like: str) -> None:
    """Station ids an operator could not tell from another are refused (docs/security.md)."""
    from urllib.parse import quote

    with pytest.raises(BadStationPath, match="invisible or look-alike") as info:
        station_id_from_path("/ocpp/" + quote(station_id))
    assert info.value.status == 400
    assert station_id_from_path("/ocpp/" + quote(looks_like)) == looks_like


@pytest.mark.parametrize("station_id", ["Ladesäule-1", "充电桩-7", "Зарядка-3", "cp-ÅÉÎ"])
def test_ids_in_any_script_in_their_plain_form_are_accepted(station_id: str) -> None:
    from urllib.parse import quote

    assert station_id_from_path("/ocpp/" + quote(station_id)) == station_id
