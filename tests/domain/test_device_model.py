"""The device model service: multi-part reports, Get/Set results, 1.6 keys, one configuration view."""

from __future__ import annotations

import pytest

from opencsms.domain import Domain
from opencsms.domain.device_model import ReportProgress, VariableAttribute, configuration_entry, parse_key
from tests.domain.conftest import NOW

HEARTBEAT = VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "300", unit="s", data_type="integer")
POWER_MAX = VariableAttribute("EVSE", "Power", "22000", attribute_type="MaxSet", evse_id=1)
CONNECTOR_TYPE = VariableAttribute("Connector", "ConnectorType", "cType2", evse_id=1, connector_id=1)


async def report(domain: Domain, seq_no: int, tbc: bool, *attributes: VariableAttribute) -> ReportProgress:
    return await domain.device_model.store_report(
        "CS1", request_id=7, seq_no=seq_no, tbc=tbc, attributes=attributes, now=NOW
    )


async def test_a_multi_part_report_is_complete_once_every_part_up_to_the_last_arrived(domain: Domain) -> None:
    first = await report(domain, 0, True, HEARTBEAT)
    assert not first.complete and first.missing == ()
    # The last part overtakes the middle one: known incomplete, part 1 missing.
    last = await report(domain, 2, False, CONNECTOR_TYPE)
    assert not last.complete and last.missing == (1,)
    middle = await report(domain, 1, True, POWER_MAX)
    assert middle.complete and middle.items == 3
    resent = await report(domain, 1, True, POWER_MAX)
    assert resent.items == 3 and resent.seq_nos == (0, 1, 2)
    stored = await domain.device_model.report("CS1", 7)
    assert stored is not None and stored.complete and stored.final_seq_no == 2
    assert await domain.device_model.report("CS1", 8) is None
    keys = [a.key for a in await domain.device_model.configuration("CS1")]
    assert keys == ["Connector@1/1.ConnectorType", "EVSE@1.Power:MaxSet", "OCPPCommCtrlr.HeartbeatInterval"]


async def test_a_later_report_updates_values_and_keeps_the_last_answer_status(domain: Domain) -> None:
    await report(domain, 0, False, HEARTBEAT)
    await domain.device_model.record_results(
        "CS1",
        [VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "120", status="Accepted")],
        source="Set",
    )
    [after_set] = await domain.device_model.configuration("CS1")
    assert (after_set.value, after_set.status, after_set.source, after_set.unit) == (
        "120",
        "Accepted",
        "Set",
        "s",
    )
    await report(domain, 0, False, VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "90"))
    [after_report] = await domain.device_model.configuration("CS1")
    assert (after_report.value, after_report.status, after_report.source) == (
        "90",
        "Accepted",
        "NotifyReport",
    )


@pytest.mark.parametrize(
    ("status", "kept_value"),
    [("Accepted", "10"), ("RebootRequired", "10"), ("Rejected", "300")],
)
async def test_an_answer_changes_the_value_only_when_the_station_took_it(
    domain: Domain, status: str, kept_value: str
) -> None:
    await report(domain, 0, False, HEARTBEAT)
    answer = VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "10", status=status)
    await domain.device_model.record_results("CS1", [answer], source="SetVariables")
    [stored] = await domain.device_model.configuration("CS1")
    assert (stored.value, stored.status) == (kept_value, status)


async def test_a_refused_value_is_not_stored_for_an_attribute_seen_first(domain: Domain) -> None:
    answer = VariableAttribute("ChargingStation", "Model", "Other", status="Rejected")
    await domain.device_model.record_results("CS1", [answer], source="SetVariables")
    [stored] = await domain.device_model.configuration("CS1")
    assert (stored.value, stored.status) == (None, "Rejected")


async def test_unknown_attributes_are_not_stored(domain: Domain) -> None:
    await domain.device_model.record_results(
        "CS1",
        [
            VariableAttribute("Nope", "Nothing", status="UnknownComponent"),
            VariableAttribute("", "NoSuchKey", status="UnknownKey"),
        ],
        source="GetVariables",
    )
    assert await domain.device_model.configuration("CS1") == []


async def test_v16_keys_and_v201_variables_share_one_view(domain: Domain) -> None:
    await domain.device_model.record_results(
        "CP16",
        [VariableAttribute("", "HeartbeatInterval", "300", mutability="ReadWrite", status="Accepted")],
        source="GetConfiguration",
    )
    await report(domain, 0, False, HEARTBEAT)
    [v16] = await domain.device_model.configuration("CP16")
    [v201] = await domain.device_model.configuration("CS1")
    assert configuration_entry(v16) | {"updated_at": None} == {
        "key": "HeartbeatInterval",
        "value": "300",
        "kind": "key",
        "component": None,
        "evse_id": None,
        "connector_id": None,
        "variable": "HeartbeatInterval",
        "attribute_type": "Actual",
        "mutability": "ReadWrite",
        "unit": None,
        "data_type": None,
        "min_limit": None,
        "max_limit": None,
        "values_list": None,
        "status": "Accepted",
        "source": "GetConfiguration",
        "updated_at": None,
    }
    assert configuration_entry(v201)["kind"] == "variable"
    assert configuration_entry(v201)["key"] == "OCPPCommCtrlr.HeartbeatInterval"


async def test_the_same_attribute_twice_in_one_message_keeps_the_later(domain: Domain) -> None:
    await report(domain, 0, False, HEARTBEAT, VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "5"))
    [stored] = await domain.device_model.configuration("CS1")
    assert stored.value == "5"


@pytest.mark.parametrize(
    "key",
    [
        "OCPPCommCtrlr.HeartbeatInterval",
        "EVSE@1.Power:MaxSet",
        "Connector[left]@2/1.ConnectorType[x]:Target",
        "SampledDataCtrlr.TxUpdatedMeasurands",
    ],
)
def test_a_key_names_exactly_its_attribute(key: str) -> None:
    assert parse_key(key).key == key


@pytest.mark.parametrize("key", ["HeartbeatInterval", "A.B.C", "EVSE@x.Power", "A.B:Weird", ""])
def test_a_key_that_is_not_component_dot_variable_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="Component"):
        parse_key(key)


async def test_password_values_are_stored_masked_in_the_configuration_view(domain: Domain) -> None:
    secret = "0123456789abcdef0123"
    await domain.device_model.record_results(
        "CS1",
        [
            VariableAttribute("", "AuthorizationKey", secret.encode().hex(), status="Accepted"),
            VariableAttribute("SecurityCtrlr", "BasicAuthPassword", secret, status="Accepted"),
            VariableAttribute("OCPPCommCtrlr", "HeartbeatInterval", "60", status="Accepted"),
        ],
        source="SetVariables",
    )
    values = {a.variable: a.value for a in await domain.device_model.configuration("CS1")}
    assert values == {
        "AuthorizationKey": "********",
        "BasicAuthPassword": "********",
        "HeartbeatInterval": "60",
    }
