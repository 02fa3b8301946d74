"""CLI commands that talk to a running server over its HTTP port."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from opencsms.cli import api_client
from opencsms.cli.api_keys import cli_api_key
from opencsms.cli.output import print_json


def _read_text(path: str) -> str:
    """A file's text (argparse reports a missing file as a usage error)."""
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc}") from None


def _assignment(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


#: CLI name -> (neutral command name, how to build its args from the parsed options)
COMMAND_ARGS: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "reset": ("reset", [("--type", {"dest": "kind", "choices": ["Soft", "Hard"], "default": "Soft"})]),
    "remote-start": (
        "remote_start",
        [
            ("--id-tag", {"dest": "id_token", "required": True}),
            ("--connector", {"dest": "connector_id", "type": int}),
            (
                "--charging-profile",
                {"dest": "charging_profile", "type": json.loads, "help": "a TxProfile (JSON)"},
            ),
        ],
    ),
    "get-log": (
        "get_log",
        [
            ("--remote-location", {"dest": "remote_location", "required": True}),
            ("--log-type", {"dest": "log_type", "default": "DiagnosticsLog"}),
        ],
    ),
    "remote-stop": (
        "remote_stop",
        [("--transaction", {"dest": "transaction_id", "type": int, "required": True})],
    ),
    "unlock-connector": (
        "unlock_connector",
        [("--connector", {"dest": "connector_id", "type": int, "default": 1})],
    ),
    "change-availability": (
        "change_availability",
        [
            ("--connector", {"dest": "connector_id", "type": int, "default": 0}),
            ("--inoperative", {"dest": "inoperative", "action": "store_true"}),
        ],
    ),
    "change-configuration": (
        "set_configuration",
        [("--key", {"dest": "key", "required": True}), ("--value", {"dest": "value", "required": True})],
    ),
    "get-configuration": (
        "get_configuration",
        [("--key", {"dest": "keys", "action": "append", "default": []})],
    ),
    "clear-cache": ("clear_cache", []),
    "trigger-message": (
        "trigger_message",
        [
            ("--message", {"dest": "message", "required": True}),
            ("--connector", {"dest": "connector_id", "type": int}),
        ],
    ),
    "get-transaction-status": (
        "get_transaction_status",
        [("--transaction", {"dest": "transaction_id", "type": int})],
    ),
    "get-base-report": (
        "get_base_report",
        [
            (
                "--report-base",
                {
                    "dest": "report_base",
                    "choices": ["ConfigurationInventory", "FullInventory", "SummaryInventory"],
                    "default": "FullInventory",
                },
            ),
            ("--request-id", {"dest": "request_id", "type": int}),
        ],
    ),
    "get-report": (
        "get_report",
        [
            ("--variable", {"dest": "variables", "action": "append", "default": []}),
            ("--criteria", {"dest": "criteria", "action": "append", "default": []}),
            ("--request-id", {"dest": "request_id", "type": int}),
        ],
    ),
    "get-variables": (
        "get_variables",
        [("--variable", {"dest": "variables", "action": "append", "required": True})],
    ),
    "set-variables": (
        "set_variables",
        [
            (
                "--set",
                {
                    "dest": "values",
                    "action": "append",
                    "required": True,
                    "type": _assignment,
                    "metavar": "NAME=VALUE",
                },
            )
        ],
    ),
    "set-network-profile": (
        "set_network_profile",
        [
            ("--slot", {"dest": "configuration_slot", "type": int, "required": True}),
            (
                "--profile",
                {"dest": "connection_data", "type": json.loads, "required": True, "help": "JSON object"},
            ),
        ],
    ),
    "update-firmware": (
        "update_firmware",
        [
            ("--location", {"dest": "location", "required": True, "help": "URL of the firmware image"}),
            ("--retrieve-at", {"dest": "retrieve_at", "help": "ISO 8601 (default: now)"}),
            ("--install-at", {"dest": "install_at", "help": "ISO 8601"}),
            ("--retries", {"dest": "retries", "type": int}),
            ("--retry-interval", {"dest": "retry_interval", "type": int}),
            (
                "--signing-certificate",
                {"dest": "signing_certificate", "type": _read_text, "help": "PEM file"},
            ),
            ("--signature", {"dest": "signature", "help": "base64 signature of the image"}),
        ],
    ),
    "get-diagnostics": (
        "get_diagnostics",
        [
            ("--location", {"dest": "location", "required": True, "help": "upload URL"}),
            ("--start-time", {"dest": "start_time"}),
            ("--stop-time", {"dest": "stop_time"}),
            ("--retries", {"dest": "retries", "type": int}),
        ],
    ),
    "reserve-now": (
        "reserve_now",
        [
            ("--id-tag", {"dest": "id_token", "required": True}),
            ("--connector", {"dest": "connector_id", "type": int}),
            ("--evse", {"dest": "evse_id", "type": int}),
            ("--expires-in", {"dest": "expires_in", "type": int, "help": "seconds (default 900)"}),
        ],
    ),
    "cancel-reservation": (
        "cancel_reservation",
        [("--reservation", {"dest": "reservation_id", "type": int, "required": True})],
    ),
    "send-local-list": (
        "send_local_list",
        [
            ("--update-type", {"dest": "update_type", "choices": ["Full", "Differential"]}),
            (
                "--id-tag",
                {"dest": "id_tokens", "action": "append", "help": "repeat; default: every known token"},
            ),
            ("--version", {"dest": "version", "type": int}),
        ],
    ),
    "get-local-list-version": ("get_local_list_version", []),
    "renew-certificate": ("renew_certificate", []),
    "install-certificate": (
        "install_certificate",
        [
            (
                "--type",
                {
                    "dest": "certificate_type",
                    "required": True,
                    "help": "CSMSRootCertificate, ManufacturerRootCertificate, ...",
                },
            ),
            ("--file", {"dest": "certificate", "type": _read_text, "required": True, "help": "PEM file"}),
        ],
    ),
    "get-installed-certificate-ids": (
        "get_installed_certificate_ids",
        [("--type", {"dest": "certificate_types", "action": "append", "help": "repeat for several"})],
    ),
    "call": (
        "call",
        [
            ("--action", {"dest": "action", "required": True}),
            ("--payload", {"dest": "payload", "type": json.loads, "default": {}, "help": "JSON object"}),
        ],
    ),
    "data-transfer": (
        "data_transfer",
        [
            ("--vendor-id", {"dest": "vendor_id", "required": True}),
            ("--message-id", {"dest": "message_id"}),
            ("--data", {"dest": "data"}),
        ],
    ),
}


#: Security changes of a connected station (api/security.py): CLI name -> (path under the station,
#: options). A generated password is never printed: the station gets it, nobody else.
SECURITY_ARGS: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "change-password": (
        "security/password",
        [("--password", {"dest": "password", "help": "the new password (default: a random one)"})],
    ),
    "raise-security-profile": (
        "security/profile",
        [
            ("--profile", {"dest": "profile", "type": int, "required": True, "choices": (1, 2, 3)}),
            ("--csms-url", {"dest": "csms_url", "help": "2.x: the OCPP url of the new profile"}),
            ("--slot", {"dest": "configuration_slot", "type": int, "help": "2.x: network profile slot"}),
        ],
    ),
}


def server_url(args: argparse.Namespace) -> str:
    return api_client.server_url(args.server)


def _send(args: argparse.Namespace) -> int:
    if args.command_name in SECURITY_ARGS:
        path, options = SECURITY_ARGS[args.command_name]
    else:
        name, options = COMMAND_ARGS[args.command_name]
        path = f"commands/{name}"
    body: dict[str, Any] = {}
    for _flag, spec in options:
        dest = spec["dest"]
        value = getattr(args, dest)
        if dest == "inoperative":
            body["operative"] = not value
        elif dest == "values":
            body[dest] = dict(value)
        elif value is not None:
            body[dest] = value
    url = f"{server_url(args)}/api/v1/stations/{args.station_id}/{path}"
    try:
        response = api_client.request(
            "POST",
            url,
            body=body,
            params={"timeout": args.timeout},
            api_key=cli_api_key(args.api_key),
            timeout=args.timeout + 5,
        )
    except api_client.Unreachable as exc:
        print(f"error: cannot reach opencsms at {server_url(args)}: {exc}")
        return 2
    data = response.json() if response.content else {}
    print_json(data)
    return 0 if response.is_success else 1


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser("command", help="send a command to a connected station through a running server")
    command.add_argument("--server", default=None, help="opencsms HTTP URL (default http://127.0.0.1:8000)")
    command.add_argument(
        "--api-key",
        default=None,
        help="API key (default: $OPENCSMS_API_KEY, else the file var/api-key written on first start)",
    )
    command.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for the station's answer"
    )
    actions = command.add_subparsers(dest="command_name", required=True)
    for cli_name, (_name, options) in [*COMMAND_ARGS.items(), *SECURITY_ARGS.items()]:
        p = actions.add_parser(cli_name)
        p.add_argument("station_id")
        for flag, spec in options:
            p.add_argument(flag, **spec)
        p.set_defaults(func=_send)
