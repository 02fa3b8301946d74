"""The options of ``opencsms simulate``, apart from the simulator so that building the CLI's parser
imports none of it."""

from __future__ import annotations

import argparse

from opencsms.simulate.defaults import DEFAULT_ID_TAGS, DEFAULT_URL


def _profile_url(text: str) -> tuple[int, str]:
    profile, equals, url = text.partition("=")
    if not equals or profile not in ("1", "2", "3") or not url:
        raise argparse.ArgumentTypeError(f"{text!r}: expected PROFILE=URL, e.g. 2=wss://host:9443/ocpp")
    return int(profile), url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``opencsms simulate``."""
    parser.add_argument(
        "--url",
        default=DEFAULT_URL,
        help=f"CSMS OCPP endpoint, without the station id (default {DEFAULT_URL})",
    )
    parser.add_argument("--stations", type=int, default=5, metavar="N", help="number of stations (default 5)")
    parser.add_argument(
        "--version",
        default="1.6",
        help="OCPP version: 1.6, 2.0.1, 2.1, mixed (1.6 and 2.0.1 stations in turn) or a list of them "
        "in turn, such as 1.6,2.0.1,2.1; default 1.6",
    )
    parser.add_argument(
        "--prefix", default="SIM", help="station ids are PREFIX0000, PREFIX0001, ... (default SIM)"
    )
    parser.add_argument(
        "--connectors",
        type=int,
        default=2,
        help="connectors per 1.6 station, EVSEs (of one connector) per 2.x station (default 2)",
    )
    parser.add_argument(
        "--meter-interval",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds between MeterValues (default 10)",
    )
    parser.add_argument(
        "--session-seconds",
        type=float,
        default=120.0,
        metavar="S",
        help="mean charging session length (default 120)",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=30.0,
        metavar="S",
        help="mean idle gap between sessions (default 30)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=0.0,
        metavar="S",
        help="stop after S seconds (default 0: until Ctrl-C)",
    )
    parser.add_argument(
        "--id-tag", action="append", dest="id_tags", metavar="TAG",
        help=f"id tag the drivers present; repeat for several (default {', '.join(DEFAULT_ID_TAGS)})",
    )  # fmt: skip
    parser.add_argument(
        "--max-power-kw",
        type=float,
        default=22.0,
        metavar="KW",
        help="maximum power per connector (default 22)",
    )
    parser.add_argument("--password", default=None, help="HTTP Basic auth password (security profiles 1-2)")
    parser.add_argument(
        "--security-profile",
        type=int,
        choices=(0, 1, 2, 3),
        default=None,
        help="OCPP security profile (default: 1 with --password, else 0); 2 and 3 need a wss:// --url",
    )
    parser.add_argument(
        "--client-cert",
        default=None,
        metavar="PEM",
        help="station certificate for profile 3; {station_id} in the path is replaced per station",
    )
    parser.add_argument("--client-key", default=None, metavar="PEM", help="its private key (same rule)")
    parser.add_argument(
        "--ca-cert", default=None, metavar="PEM", help="CA the CSMS's TLS certificate chains to"
    )
    parser.add_argument(
        "--profile-url",
        type=_profile_url,
        action="append",
        default=[],
        metavar="PROFILE=URL",
        help="1.6: where to reconnect when the CSMS raises the security profile; repeat per profile",
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="do not check messages against the OCPP schemas"
    )
    parser.add_argument(
        "--connect-rate",
        type=float,
        default=50.0,
        metavar="N",
        help="stations started per second (default 50)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
