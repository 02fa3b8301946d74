from __future__ import annotations

from pathlib import Path

import pytest
from tools.conformance import Case, case_ids_in_test_name, find_case_tests, load_gaps, render


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("test_tc_001_csms_cold_boot", ["TC_001_CSMS"]),
        ("test_tc_013_014_csms_reset", ["TC_013_CSMS", "TC_014_CSMS"]),
        ("test_tc_017_1_csms_unlock", ["TC_017_1_CSMS"]),
        ("test_tc_019_1_019_2_021_csms_config", ["TC_019_1_CSMS", "TC_019_2_CSMS", "TC_021_CSMS"]),
        ("test_tc_b_06_07_csms_get_variables", ["TC_B_06_CSMS", "TC_B_07_CSMS"]),
        ("test_tc_a_01_c_02_csms_mixed_blocks", ["TC_A_01_CSMS", "TC_C_02_CSMS"]),
        ("test_tc_e_transaction_event", []),  # no case number
        ("test_tc_b_6_csms_one_digit", []),  # 2.0.1 numbers have two digits
        ("test_something_else", []),
    ],
)
def test_case_ids_in_test_name(name: str, ids: list[str]) -> None:
    assert case_ids_in_test_name(name) == ids


def test_render_counts_covered_cases_and_reports_unknown_names(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "async def test_tc_001_csms_a():\n    pass\n\ndef test_tc_999_csms_typo():\n    pass\n"
    )
    cases = {
        "TC_001_CSMS": Case("TC_001_CSMS", "Cold Boot", "OCPP 1.6J"),
        "TC_003_CSMS": Case("TC_003_CSMS", "Regular", "OCPP 1.6J"),
        "TC_B_01_CSMS": Case("TC_B_01_CSMS", "Cold Boot", "OCPP 2.0.1"),
    }
    names = find_case_tests(tmp_path / "tests")
    assert names == {"test_tc_001_csms_a": ["tests/test_x.py"], "test_tc_999_csms_typo": ["tests/test_x.py"]}
    page, unknown = render(cases, names)
    assert "## OCPP 1.6J: 1 of 2 cases covered" in page
    assert "## OCPP 2.0.1: 0 of 1 cases covered" in page
    assert "| TC_001_CSMS | Cold Boot | `test_tc_001_csms_a` |" in page
    assert unknown == ["test_tc_999_csms_typo"]


def test_uncovered_cases_show_the_reason_of_their_longest_listed_prefix(tmp_path: Path) -> None:
    gaps_file = tmp_path / "gaps.tsv"
    gaps_file.write_text("case_prefix\treason\nTC_L_\tno firmware update\nTC_L_13\tno transactions\n")
    gaps = load_gaps(gaps_file)
    assert gaps == {"TC_L_": "no firmware update", "TC_L_13": "no transactions"}
    assert load_gaps(tmp_path / "missing.tsv") == {}
    cases = {
        case_id: Case(case_id, "Firmware", "OCPP 2.0.1")
        for case_id in ("TC_L_01_CSMS", "TC_L_13_CSMS", "TC_M_01_CSMS")
    }
    page, _ = render(cases, {"test_tc_m_01_csms_install": ["tests/test_m.py"]}, gaps)
    assert "| TC_L_01_CSMS | Firmware | not covered: no firmware update |" in page
    assert "| TC_L_13_CSMS | Firmware | not covered: no transactions |" in page
    assert "| TC_M_01_CSMS | Firmware | `test_tc_m_01_csms_install` |" in page
    assert "## OCPP 2.0.1: 1 of 3 cases covered" in page
