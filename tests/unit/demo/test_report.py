"""Tests of the demo report: console and Markdown rendering and the funnel chart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo.generator import generate_demo_event
from bot.demo.report import (
    DemoReport,
    ExampleMatch,
    count_participants,
    render_markdown,
    render_text,
    write_funnel_chart,
    write_report_files,
)
from matchmaking.stats import EventStats

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report() -> DemoReport:
    data = generate_demo_event(2026)
    by_country, by_section = count_participants(data.companies)
    companies = {c.id: c for c in data.companies}
    truth = data.ground_truth()
    examples = [
        ExampleMatch.from_companies(
            companies[company_id],
            companies[min(truth[company_id])],
            score_label="strong match",
            reason="Their offer meets your need.",
        )
        for company_id in ("cn-001", "pl-001", "gr-001")
    ]
    return DemoReport(
        stats=EventStats(
            by_country=by_country,
            by_section=by_section,
            requests=400,
            accepted=200,
            declined=120,
            expired=80,
            scheduled=190,
            held=150,
            no_shows=20,
            memorandums=29,
            intentions=19,
            follow_ups=60,
            no_fit=42,
        ),
        suggestions=2920,
        unscheduled=10,
        examples=examples,
        skipped=["semantic matching: the embedding model is not installed"],
        timings={"generate": 0.04, "match": 1.5},
    )


def test_participants_are_counted_by_country_and_section(report: DemoReport) -> None:
    assert report.participants == 292
    assert report.stats.by_country["CN"] == 157
    assert sum(report.stats.by_section.values()) == 292


def test_text_report_shows_participants_and_funnel(report: DemoReport) -> None:
    text = render_text(report)
    assert "Participants: 292 (China 157, CEE 135 from 17 countries)" in text
    assert "Poland" in text and "Medical and Health" in text
    assert "50.0% of requests" in text and "published 40-60%: within" in text
    assert "78.9% of scheduled" in text and "published 75-80%: within" in text
    assert "29 memorandums signed" in text and "19 cooperation intentions" in text
    assert "1.03 meetings held per participant" in text


def test_text_report_shows_three_examples_in_both_languages(report: DemoReport) -> None:
    text = render_text(report)
    for example in report.examples[:3]:
        assert example.company in text and example.partner in text
        assert example.need in text and example.offer in text
    assert text.count("why: Their offer meets your need.") == 3
    first = report.examples[0]
    assert f"need ({first.your_language}): {first.need}" in text
    assert f"offer ({first.their_language}): {first.offer}" in text
    assert report.examples[0].company.endswith("(China)")


def test_text_report_lists_skipped_steps_and_timings(report: DemoReport) -> None:
    text = render_text(report)
    assert "semantic matching: the embedding model is not installed" in text
    assert "match 1.50 s" in text


def test_rates_outside_the_published_range_are_flagged() -> None:
    text = render_text(
        DemoReport(stats=EventStats(requests=100, accepted=20, scheduled=20, held=19))
    )
    assert "published 40-60%: below" in text
    assert "published 75-80%: above" in text


def test_empty_report_renders_without_division_by_zero() -> None:
    text = render_text(DemoReport())
    assert "n/a" in text
    assert "# matchbot demo report" in render_markdown(DemoReport())


def test_markdown_report_has_tables_and_examples(report: DemoReport) -> None:
    md = render_markdown(report, chart_file="demo-funnel.png")
    assert "| CN | China | 157 |" in md
    assert "| accepted | 200 | 50.0% of requests | published 40-60%: within |" in md
    assert "![Meeting funnel](demo-funnel.png)" in md
    assert report.examples[0].offer in md
    assert "## Skipped" in md


def test_funnel_chart_is_a_png(report: DemoReport, tmp_path: Path) -> None:
    path = write_funnel_chart(report, tmp_path / "charts" / "funnel.png")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000


def test_funnel_chart_of_an_empty_report_is_a_png(tmp_path: Path) -> None:
    path = write_funnel_chart(DemoReport(), tmp_path / "empty.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_report_files_are_written_together(report: DemoReport, tmp_path: Path) -> None:
    md_path, png_path = write_report_files(report, tmp_path / "var")
    assert md_path.exists() and png_path.exists()
    assert png_path.read_bytes().startswith(PNG_SIGNATURE)
    assert png_path.name in md_path.read_text(encoding="utf-8")


def test_importing_the_report_does_not_load_matplotlib() -> None:
    code = "import sys, bot.demo.report; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
