"""Count which OCA certification test cases the end-to-end tests cover; write docs/conformance.md.

A test covers a case when its name spells the case id: ``test_tc_013_014_csms_...`` covers
TC_013_CSMS and TC_014_CSMS, ``test_tc_017_1_csms_...`` covers TC_017_1_CSMS,
``test_tc_b_06_07_csms_...`` covers TC_B_06_CSMS and TC_B_07_CSMS. A name that spells an id not in
the case list is reported, so a typo cannot pass for coverage.

Each test's docstring says what it checks: its first paragraph, on one line, is the page's "checks"
column (every ``test_tc_*`` must have one; ``tests/tools`` fails otherwise). A test of several cases
may say what it checks of each: the text after ``TC_..._CSMS:`` up to the next such label or the
end of the paragraph is shown for that case.

A case no test covers may be explained in ``tools/conformance_gaps.tsv`` (``case_prefix``, ``reason``:
the longest prefix of the case id that is listed gives the reason shown on the page).

Usage: ``python -m tools.conformance [--cases DIR] [--tests DIR] [--gaps FILE] [--out FILE]``
(``make conformance``). The case lists default to ``../shared/conformance``.
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

CASE_FILES = {"OCPP 1.6J": "ocpp16-csms-test-cases.tsv", "OCPP 2.0.1": "ocpp201-csms-test-cases.tsv"}
_TEST_NAME = re.compile(r"^test_tc_(?P<ids>[a-z0-9_]+?)_csms(?:_|$)")


@dataclass(frozen=True)
class Case:
    case_id: str
    title: str
    version: str


@dataclass(frozen=True)
class CaseTest:
    """A ``test_tc_*`` function: the files defining it and what its docstring says it checks."""

    files: tuple[str, ...]
    checks: str  # the docstring's first paragraph on one line; empty when there is no docstring
    per_case: dict[str, str] = field(default_factory=dict)  # case id -> what is checked of it

    def checks_of(self, case_id: str) -> str:
        """What the test checks of ``case_id``: its own labelled text, else the first paragraph."""
        return self.per_case.get(case_id) or self.checks


def case_ids_in_test_name(name: str) -> list[str]:
    """The case ids a test name spells, in order (empty when it spells none)."""
    match = _TEST_NAME.match(name)
    if match is None:
        return []
    ids: list[str] = []
    block: str | None = None
    for part in match.group("ids").split("_"):
        if part.isalpha() and len(part) == 1:  # 2.0.1 functional block letter
            block = part.upper()
        elif part.isdigit() and len(part) == 3:  # 1.6 case number
            block = None
            ids.append(f"TC_{part}")
        elif part.isdigit() and len(part) == 2 and block is not None:  # 2.0.1 case number
            ids.append(f"TC_{block}_{part}")
        elif part.isdigit() and len(part) == 1 and ids and block is None:  # 1.6 variant: 017_1
            ids[-1] = f"{ids[-1]}_{part}"
        else:
            return []
    return [f"{case_id}_CSMS" for case_id in ids]


def load_cases(directory: Path) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for version, filename in CASE_FILES.items():
        with (directory / filename).open(encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file, delimiter="\t"):
                cases[row["case_id"]] = Case(row["case_id"], row["title"], version)
    return cases


def load_gaps(path: Path) -> dict[str, str]:
    """case id prefix -> why the cases it names are not covered (empty when there is no file)."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as file:
        return {row["case_prefix"]: row["reason"] for row in csv.DictReader(file, delimiter="\t")}


def gap_reason(case_id: str, gaps: dict[str, str]) -> str | None:
    """The reason of the longest listed prefix of ``case_id``, if any."""
    prefixes = [prefix for prefix in gaps if case_id.startswith(prefix)]
    return gaps[max(prefixes, key=len)] if prefixes else None


def first_paragraph(docstring: str | None) -> str:
    """The first paragraph of ``docstring`` on one line (empty for none)."""
    if not docstring:
        return ""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())


_CASE_LABEL = re.compile(r"\b(TC_[A-Z0-9_]+?_CSMS):\s*")


def checks_per_case(docstring: str | None) -> dict[str, str]:
    """Case id -> the text after ``<case id>:`` in ``docstring``, up to the next label or the end
    of its paragraph, on one line."""
    found: dict[str, str] = {}
    for paragraph in (docstring or "").split("\n\n"):
        labels = list(_CASE_LABEL.finditer(paragraph))
        for index, label in enumerate(labels):
            following = labels[index + 1] if index + 1 < len(labels) else None
            end = following.start() if following is not None else len(paragraph)
            text = " ".join(paragraph[label.end() : end].split())
            if text and label.group(1) not in found:
                found[label.group(1)] = text
    return found


def find_case_tests(tests_dir: Path) -> dict[str, CaseTest]:
    """Every ``test_tc_*`` function under ``tests_dir`` by name: where it is and what it checks."""
    files: dict[str, list[str]] = defaultdict(list)
    docstrings: dict[str, str | None] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_tc_"):
                files[node.name].append(path.relative_to(tests_dir.parent).as_posix())
                docstrings[node.name] = docstrings.get(node.name) or ast.get_docstring(node)
    return {
        name: CaseTest(tuple(where), first_paragraph(docstrings[name]), checks_per_case(docstrings[name]))
        for name, where in files.items()
    }


def undocumented(tests: dict[str, CaseTest]) -> list[str]:
    """The case tests whose docstring does not say what they check."""
    return sorted(name for name, test in tests.items() if not test.checks)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(
    cases: dict[str, Case], tests: dict[str, CaseTest], gaps: dict[str, str] | None = None
) -> tuple[str, list[str]]:
    """The markdown page, and the test names that spell no known case."""
    covering: dict[str, list[str]] = defaultdict(list)
    unknown: list[str] = []
    for name in sorted(tests):
        ids = case_ids_in_test_name(name)
        if not ids or any(case_id not in cases for case_id in ids):
            unknown.append(name)
        for case_id in ids:
            if case_id in cases:
                covering[case_id].append(name)
    lines = [
        "# Conformance coverage",
        "",
        "Which OCA certification test cases for a CSMS have an end-to-end test named after them",
        "(written by `make conformance` from the test names; a case counts when a test names it exactly).",
        "A test named after a case plays the station's side of that case's steps and checks what the CSMS",
        "answers, sends and stores; the last column says what the test checks of the case (the text its",
        "docstring labels with the case id, else the docstring's first paragraph). Cases no test plays are",
        "listed as not covered, with the reason.",
        "",
    ]
    for version in CASE_FILES:
        listed = [case for case in cases.values() if case.version == version]
        covered = [case for case in listed if case.case_id in covering]
        lines += [
            f"## {version}: {len(covered)} of {len(listed)} cases covered",
            "",
            "| case | title | tests | what the test checks |",
            "| --- | --- | --- | --- |",
        ]
        for case in listed:
            names = covering.get(case.case_id, [])
            tested = ", ".join(f"`{name}`" for name in names)
            checks = "<br>".join(_cell(tests[name].checks_of(case.case_id)) or "-" for name in names)
            if not names:
                reason = gap_reason(case.case_id, gaps or {})
                tested = f"not covered: {reason}" if reason else "-"
                checks = "-"
            lines.append(f"| {case.case_id} | {case.title} | {tested} | {checks} |")
        lines.append("")
    if unknown:
        lines += ["## Test names that spell no listed case", ""]
        lines += [f"- `{name}`" for name in unknown]
        lines.append("")
    return "\n".join(lines), unknown


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=root.parent / "shared" / "conformance")
    parser.add_argument("--tests", type=Path, default=root / "tests")
    parser.add_argument("--gaps", type=Path, default=root / "tools" / "conformance_gaps.tsv")
    parser.add_argument("--out", type=Path, default=root / "docs" / "conformance.md")
    args = parser.parse_args(argv)
    if not args.cases.is_dir():
        print(f"no case lists at {args.cases}; pass --cases DIR", file=sys.stderr)
        return 2
    tests = find_case_tests(args.tests)
    page, unknown = render(load_cases(args.cases), tests, load_gaps(args.gaps))
    args.out.write_text(page, encoding="utf-8")
    summary = [line[3:] for line in page.splitlines() if line.startswith("## OCPP")]
    print(f"wrote {args.out}: " + "; ".join(summary))
    for name in unknown:
        print(f"warning: {name} names no listed case", file=sys.stderr)
    for name in undocumented(tests):
        print(f"warning: {name} has no docstring saying what it checks", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
