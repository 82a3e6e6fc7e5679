"""The demo report: who took part, the meeting funnel, outcomes and a few example matches.

The demo run fills a `DemoReport`; this module renders it for the console, as Markdown, and as a
funnel chart (PNG). The rates are set beside the figures published for matchmaking events:
40-60% of meeting requests accepted, 75-80% of scheduled meetings held, at least two meetings
per participant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.demo.vocab import language_name
from matchmaking.countries import get_country
from matchmaking.models import DEFAULT_SECTIONS, Company
from matchmaking.stats import EventStats

PUBLISHED_ACCEPTED = (0.40, 0.60)
PUBLISHED_HELD = (0.75, 0.80)
PUBLISHED_MEETINGS_PER_PARTICIPANT = 2.0

REPORT_FILE = "demo-report.md"
CHART_FILE = "demo-funnel.png"
EXAMPLES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class ExampleMatch:
    """One suggested pair, shown with both texts in their own languages.

    Attributes:
        company: The company that receives the suggestion, with its country
            ("宁波华信精工机械有限公司 (China)").
        partner: The suggested partner, with its country ("Mazur Auto Sp. z o.o. (Poland)").
        need: The company's need (or its best-met sentence), in the company's language.
        offer: The partner's offer that meets it, in the partner's language.
        their_language: Name of the language of the partner's text.
        score_label: How strong the match is, in words ("Strong match").
        reason: Why the pair was suggested, in English.
        your_language: Name of the language of the company's text, if known.
    """

    company: str
    partner: str
    need: str
    offer: str
    their_language: str
    score_label: str
    reason: str
    your_language: str = ""

    @classmethod
    def from_companies(
        cls, company: Company, partner: Company, *, score_label: str, reason: str
    ) -> ExampleMatch:
        """Build an example from a company, its suggested partner and the matcher's verdict."""
        return cls(
            company=f"{company.name} ({_country_name(company.country)})",
            partner=f"{partner.name} ({_country_name(partner.country)})",
            need=company.need,
            offer=partner.offer,
            their_language=language_name(partner.text_language),
            score_label=score_label,
            reason=reason,
            your_language=language_name(company.text_language),
        )


@dataclass(slots=True)
class DemoReport:
    """What the demo run counted, as an organizer would report it.

    Attributes:
        stats: The organizer's figures of the event (participants by country and section, the
            request and meeting funnel, outcomes), as `matchbot stats` shows them.
        suggestions: Partner suggestions shown.
        unscheduled: Accepted requests for which no common slot was found.
        examples: Example matches to show.
        skipped: Steps the demo could not run, each with its reason.
        timings: Step name -> seconds it took.
    """

    stats: EventStats = field(default_factory=EventStats)
    suggestions: int = 0
    unscheduled: int = 0
    examples: list[ExampleMatch] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def participants(self) -> int:
        """Return the number of registered participants."""
        return sum(self.stats.by_country.values())

    @property
    def meetings_per_participant(self) -> float:
        """Return meetings held per participant (each meeting counts for both sides)."""
        return 2 * self.stats.held / self.participants if self.participants else 0.0


def count_participants(companies: Iterable[Company]) -> tuple[dict[str, int], dict[str, int]]:
    """Return participants by country and by section, the biggest first."""
    companies = list(companies)
    by_country = Counter(c.country for c in companies)
    by_section = Counter(c.section for c in companies)
    return dict(by_country.most_common()), dict(by_section.most_common())


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _versus(part: int, whole: int, published: tuple[float, float]) -> str:
    low, high = published
    span = f"published {100 * low:.0f}-{100 * high:.0f}%"
    if not whole:
        return span
    rate = part / whole
    verdict = "below" if rate < low else "above" if rate > high else "within"
    return f"{span}: {verdict}"


def _country_name(code: str) -> str:
    try:
        return get_country(code).name
    except KeyError:
        return code


def _section_name(code: str) -> str:
    return next((s.name for s in DEFAULT_SECTIONS if s.code == code), code)


def _funnel_rows(report: DemoReport) -> list[tuple[str, int, str, str]]:
    """Return (step, count, rate, comparison) rows of the funnel."""
    r, s = report, report.stats
    return [
        ("suggestions shown", r.suggestions, "", ""),
        ("meeting requests sent", s.requests, "", ""),
        ("accepted", s.accepted, f"{_rate(s.accepted, s.requests)} of requests",
         _versus(s.accepted, s.requests, PUBLISHED_ACCEPTED)),
        ("declined", s.declined, f"{_rate(s.declined, s.requests)} of requests", ""),
        ("expired", s.expired, f"{_rate(s.expired, s.requests)} of requests", ""),
        ("meetings scheduled", s.scheduled, f"{_rate(s.scheduled, s.accepted)} of accepted", ""),
        ("accepted, no common slot", r.unscheduled, f"{_rate(r.unscheduled, s.accepted)} of accepted", ""),
        ("meetings held", s.held, f"{_rate(s.held, s.scheduled)} of scheduled",
         _versus(s.held, s.scheduled, PUBLISHED_HELD)),
        ("no-shows", s.no_shows, f"{_rate(s.no_shows, s.scheduled)} of scheduled", ""),
    ]  # fmt: skip


def _outcomes_line(report: DemoReport) -> str:
    return (
        f"{report.stats.memorandums} memorandums signed, {report.stats.intentions} cooperation intentions, "
        f"{report.stats.follow_ups} follow-ups planned, {report.stats.no_fit} no fit "
        "(the original event: 29 memorandums, 19 intentions)"
    )


def _meetings_line(report: DemoReport) -> str:
    return (
        f"{report.meetings_per_participant:.2f} meetings held per participant "
        f"(published: at least {PUBLISHED_MEETINGS_PER_PARTICIPANT:.0f})"
    )


def render_text(report: DemoReport) -> str:
    """Return a short console report: participants, funnel, outcomes, examples, skipped steps."""
    cee = sum(n for code, n in report.stats.by_country.items() if code != "CN")
    cee_countries = sum(1 for code in report.stats.by_country if code != "CN")
    lines = [
        "matchbot demo report",
        "",
        f"Participants: {report.participants} "
        f"(China {report.stats.by_country.get('CN', 0)}, "
        f"CEE {cee} from {cee_countries} countries)",
    ]
    cells = [
        f"{code} {_country_name(code)[:22]:<22} {n:>4}"
        for code, n in report.stats.by_country.items()
    ]
    for start in range(0, len(cells), 3):
        lines.append("  " + "   ".join(cells[start : start + 3]))
    lines += ["", "By section:"]
    for code, n in report.stats.by_section.items():
        lines.append(f"  {_section_name(code):<42} {n:>4}  {_rate(n, report.participants):>6}")
    lines += ["", "Funnel:"]
    for step, count, rate, comparison in _funnel_rows(report):
        line = f"  {step:<26} {count:>6}  {rate:<22} {comparison}"
        lines.append(line.rstrip())
    lines += ["  " + _meetings_line(report), "", "Outcomes: " + _outcomes_line(report)]
    if report.examples:
        lines += ["", "Example matches:"]
        for number, ex in enumerate(report.examples[:EXAMPLES_SHOWN], start=1):
            lines += [
                f"  {number}. {ex.company} <-> {ex.partner}: {ex.score_label}",
                f"     need{_in_language(ex.your_language)}: {ex.need}",
                f"     offer{_in_language(ex.their_language)}: {ex.offer}",
                f"     why: {ex.reason}",
            ]
    if report.skipped:
        lines += ["", "Skipped:"] + [f"  - {step}" for step in report.skipped]
    if report.timings:
        timings = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in report.timings.items())
        lines += ["", f"Timings: {timings}"]
    return "\n".join(lines) + "\n"


def _in_language(name: str) -> str:
    return f" ({name})" if name else ""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DemoReport, *, chart_file: str | None = None) -> str:
    """Return the report as Markdown.

    Args:
        report: The figures of the demo run.
        chart_file: Relative path of the funnel chart to embed, if one was written.
    """
    out = ["# matchbot demo report", "", f"**Participants:** {report.participants}", ""]
    out += ["## Participants by country", "", "| Country | | Participants |", "|---|---|---:|"]
    out += [
        f"| {code} | {_country_name(code)} | {n} |" for code, n in report.stats.by_country.items()
    ]
    out += [
        "",
        "## Participants by section",
        "",
        "| Section | Participants | Share |",
        "|---|---:|---:|",
    ]
    out += [
        f"| {_section_name(code)} | {n} | {_rate(n, report.participants)} |"
        for code, n in report.stats.by_section.items()
    ]
    out += ["", "## Funnel", "", "| Step | Count | Rate | Published |", "|---|---:|---|---|"]
    out += [
        f"| {step} | {count} | {rate} | {comparison} |"
        for step, count, rate, comparison in _funnel_rows(report)
    ]
    out += ["", _sentence(_meetings_line(report)), ""]
    if chart_file:
        out += [f"![Meeting funnel]({chart_file})", ""]
    out += ["## Outcomes", "", _sentence(_outcomes_line(report)), ""]
    if report.examples:
        out += ["## Example matches", ""]
        for number, ex in enumerate(report.examples, start=1):
            out += [
                f"{number}. **{_md_escape(ex.company)}** and **{_md_escape(ex.partner)}**: "
                f"{ex.score_label}",
                f"   - Need{_in_language(ex.your_language)}: {_md_escape(ex.need)}",
                f"   - Offer{_in_language(ex.their_language)}: {_md_escape(ex.offer)}",
                f"   - Why: {_md_escape(ex.reason)}",
            ]
        out.append("")
    if report.skipped:
        out += ["## Skipped", ""] + [f"- {_md_escape(step)}" for step in report.skipped] + [""]
    if report.timings:
        out += ["## Timings", "", "| Step | Seconds |", "|---|---:|"]
        out += [f"| {step} | {seconds:.2f} |" for step, seconds in report.timings.items()]
        out.append("")
    return "\n".join(out)


def write_funnel_chart(report: DemoReport, path: Path) -> Path:
    """Draw the meeting funnel as horizontal bars with counts and save it as a PNG.

    Uses matplotlib's Agg canvas directly (no pyplot, no global backend change), and English
    labels only, so no CJK font is needed.

    Args:
        report: The figures of the demo run.
        path: Where to write the PNG; parent folders are created.

    Returns:
        The path written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = [
        ("Suggestions", report.suggestions),
        ("Requests", report.stats.requests),
        ("Accepted", report.stats.accepted),
        ("Scheduled", report.stats.scheduled),
        ("Held", report.stats.held),
        ("Memorandums + intentions", report.stats.memorandums + report.stats.intentions),
    ]
    widest = max((count for _, count in steps), default=0) or 1
    figure = Figure(figsize=(8, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(steps)))[::-1]
    counts = [count for _, count in steps]
    lefts = [(widest - count) / 2 for count in counts]
    axes.barh(positions, counts, left=lefts, color="#3b7dd8", height=0.7)
    previous: int | None = None
    for y, left, count in zip(positions, lefts, counts, strict=True):
        share = f"  ({_rate(count, previous)})" if previous is not None else ""
        axes.text(left + count + widest * 0.01, y, f"{count}{share}", va="center", fontsize=10)
        previous = count
    axes.set_yticks(positions, [label for label, _ in steps])
    axes.set_xticks([])
    axes.set_xlim(0, widest * 1.22)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_title("Matchmaking funnel (share of the step before)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def write_report_files(report: DemoReport, data_dir: Path) -> tuple[Path, Path]:
    """Write the Markdown report and the funnel chart into `data_dir`.

    Returns:
        The paths of the Markdown file and of the PNG chart.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    png_path = write_funnel_chart(report, data_dir / CHART_FILE)
    md_path = data_dir / REPORT_FILE
    md_path.write_text(render_markdown(report, chart_file=png_path.name), encoding="utf-8")
    return md_path, png_path
