from __future__ import annotations

from pathlib import Path

import pytest
from tools.conformance import (
    Case,
    CaseTest,
    case_ids_in_test_name,
    checks_per_case,
    find_case_tests,
    first_paragraph,
    load_gaps,
    render,
    undocumented,
)

TESTS = Path(__file__).resolve().parent.parent


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
        'async def test_tc_001_csms_a():\n    """Boot | Accepted,\n    interval.\n\n    More."""\n\n'
        "def test_tc_999_csms_typo():\n    pass\n"
    )
    cases = {
        "TC_001_CSMS": Case("TC_001_CSMS", "Cold Boot", "OCPP 1.6J"),
        "TC_003_CSMS": Case("TC_003_CSMS", "Regular", "OCPP 1.6J"),
        "TC_B_01_CSMS": Case("TC_B_01_CSMS", "Cold Boot", "OCPP 2.0.1"),
    }
    names = find_case_tests(tmp_path / "tests")
    assert names == {
        "test_tc_001_csms_a": CaseTest(("tests/test_x.py",), "Boot | Accepted, interval."),
        "test_tc_999_csms_typo": CaseTest(("tests/test_x.py",), ""),
    }
    assert undocumented(names) == ["test_tc_999_csms_typo"]
    page, unknown = render(cases, names)
    assert "## OCPP 1.6J: 1 of 2 cases covered" in page
    assert "## OCPP 2.0.1: 0 of 1 cases covered" in page
    assert "| TC_001_CSMS | Cold Boot | `test_tc_001_csms_a` | Boot \\| Accepted, interval. |" in page
    assert "| TC_003_CSMS | Regular | - | - |" in page
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
    tests = {"test_tc_m_01_csms_install": CaseTest(("tests/test_m.py",), "Installs a root.")}
    page, _ = render(cases, tests, gaps)
    assert "| TC_L_01_CSMS | Firmware | not covered: no firmware update | - |" in page
    assert "| TC_L_13_CSMS | Firmware | not covered: no transactions | - |" in page
    assert "| TC_M_01_CSMS | Firmware | `test_tc_m_01_csms_install` | Installs a root. |" in page
    assert "## OCPP 2.0.1: 1 of 3 cases covered" in page


def test_first_paragraph_is_one_line() -> None:
    assert first_paragraph(None) == ""
    text = "  TC_001: boot,\n    then status.\n\n    Details."
    assert first_paragraph(text) == "TC_001: boot, then status."


def test_every_case_test_in_this_repository_says_what_it_checks() -> None:
    """A test named after an OCA case carries a docstring whose first paragraph says what it checks:
    the conformance page shows it next to the case."""
    tests = find_case_tests(TESTS)
    assert len(tests) > 50  # the repository's own e2e tests were found
    assert undocumented(tests) == []
    # A test of several cases says what it checks of each one.
    unlabelled = {
        name: missing
        for name, test in tests.items()
        if (missing := [case for case in case_ids_in_test_name(name) if case not in test.per_case])
        and len(case_ids_in_test_name(name)) > 1
    }
    assert unlabelled == {}


def test_a_test_of_several_cases_says_what_it_checks_of_each() -> None:
    docstring = (
        "TC_C_06_CSMS: a blocked token is Blocked. TC_C_07_CSMS: an expired one,\n    Expired.\n\n"
        "    TC_C_39_CSMS: a group's tokens share its id.\n    TC_C_06_CSMS: said twice, the first counts."
    )
    assert checks_per_case(docstring) == {
        "TC_C_06_CSMS": "a blocked token is Blocked.",
        "TC_C_07_CSMS": "an expired one, Expired.",
        "TC_C_39_CSMS": "a group's tokens share its id.",
    }
    assert checks_per_case("TC_A_01 (no label): nothing") == {}
    cases = {
        case_id: Case(case_id, "Authorize", "OCPP 2.0.1")
        for case_id in ("TC_C_06_CSMS", "TC_C_07_CSMS", "TC_C_08_CSMS")
    }
    test = CaseTest(("tests/test_c.py",), "All of them.", checks_per_case(docstring))
    page, _ = render(cases, {"test_tc_c_06_07_08_csms_tokens": test})
    assert (
        "| TC_C_07_CSMS | Authorize | `test_tc_c_06_07_08_csms_tokens` | an expired one, Expired. |" in page
    )
    assert "| TC_C_08_CSMS | Authorize | `test_tc_c_06_07_08_csms_tokens` | All of them. |" in page
