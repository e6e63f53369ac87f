"""BENCHMARKS.md's generated parts: each variant's block replaced alone, the side-by-side table rebuilt from all."""

from __future__ import annotations

from pathlib import Path

from bench.markdown import (
    COMPARE_BEGIN,
    COMPARE_END,
    LEGACY_BEGIN,
    LEGACY_END,
    begin,
    end,
    figures_comment,
    write_report,
)
from bench.variants import Instance, Variant
from live_assets.warehouse.settings import Backend

DEFAULT = Variant()
LAKE = Variant(warehouse=Backend.DUCKLAKE)
PRODUCTION = Variant(instance=Instance.POSTGRES)


def block(variant: Variant, wall: float, days: int = 90, text: str = "figures", plain: float | None = 64.0) -> str:
    figures = {
        "slug": variant.slug, "title": variant.title, "when": "2026-12-04", "days": days, "repetitions": 3,
        "workload": [days, 3000, 100.0, 20.0, False, [1]], "wall_seconds": wall, "floor_ratio": wall / 60,
        "naive_ratio": None, "load_rows_per_second": 80_000.0, "requests_ratio": 1.0, "peak_rss_mb": 400.0,
        "responses_429": 0,
    }  # fmt: skip
    if plain is not None:  # a block from before issue 21 has no plain client
        figures |= {"plain_seconds": plain, "plain_ratio": wall / plain, "today_first_request_seconds": 4.3}
    return "\n".join([begin(variant.slug), figures_comment(figures), text, end(variant.slug)])


def rows(text: str) -> dict[str, list[str]]:
    table = text.split(COMPARE_BEGIN, 1)[1].split(COMPARE_END, 1)[0]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table.strip().splitlines()[2:]]
    return {row[0]: row for row in cells}


def test_each_variant_keeps_its_block_and_the_table_sets_them_side_by_side(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(f"# Benchmarks\n\n{LEGACY_BEGIN}\nold figures\n{LEGACY_END}\n\n## Reading the figures\n\nKept.\n")
    write_report(report, LAKE.slug, block(LAKE, 84.0))
    write_report(report, DEFAULT.slug, block(DEFAULT, 70.0))
    write_report(report, PRODUCTION.slug, block(PRODUCTION, 77.0, days=7, plain=None))
    write_report(report, LAKE.slug, block(LAKE, 80.5, text="rerun"))
    text = report.read_text()
    assert text.startswith("# Benchmarks\n\n" + COMPARE_BEGIN) and text.endswith("## Reading the figures\n\nKept.\n")
    assert "old figures" not in text and LEGACY_BEGIN not in text and text.count("rerun") == 1
    for variant in (DEFAULT, LAKE, PRODUCTION):
        assert text.count(begin(variant.slug)) == text.count(end(variant.slug)) == 1
    table = rows(text)
    assert list(table) == [DEFAULT.title, PRODUCTION.title, LAKE.title]  # the shipped configuration first
    # wall, plain client, ours ÷ plain (80.5 / 64.0), ÷ default's wall (80.5 / 70.0: the same workload), today's wait
    assert table[LAKE.title][3:8] == ["80.5", "64.0", "1.26", "1.15", "4.3"]
    assert table[DEFAULT.title][3:7] == ["70.0", "64.0", "1.09", "1.00"]
    # Another workload: no ratio to the default; written before the plain client: its cells read n/a.
    assert table[PRODUCTION.title][2:8] == ["7 × 3", "77.0", "n/a", "n/a", "n/a", "n/a"]
    header = text.split(COMPARE_BEGIN, 1)[1].splitlines()[1]
    assert "| plain client (s) | ours ÷ plain client (aim ≤ 1.25) |" in header
