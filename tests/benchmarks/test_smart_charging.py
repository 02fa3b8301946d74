"""The load manager benchmark runs, and its section of docs/benchmarks.md survives the main report."""

from __future__ import annotations

from pathlib import Path

from benchmarks.sections import keeping_sections, sections_of, with_section

from benchmarks import smart_charging


def test_the_benchmark_writes_its_own_section(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nmain figures\n")
    assert smart_charging.main(["--stations", "50", "--changes", "3", "--output", str(report)]) == 0
    text = report.read_text()
    assert text.startswith("# Benchmarks\n\nmain figures\n")
    assert "| flat (grid connection only) |" in sections_of(text)["smart-charging"]
    rewritten = keeping_sections("# Benchmarks\n\nnew main figures\n", report)
    assert "new main figures" in rewritten and sections_of(rewritten) == sections_of(text)
    assert with_section(rewritten, "smart-charging", "replaced").count("section:smart-charging") == 2
