"""The report as files: an accessible HTML page, a CSV of the aggregates, and a PDF.

Each is rendered from the published report document only, so the files can never show more
than the API and the event (every figure covers at least k people).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape

from contracts.events.feedback import BreakdownV1, CampaignReportPublishedV1

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{round(rate * 100)}%"


def _has_mean(table: BreakdownV1) -> bool:
    return any(c.mean is not None for c in table.cells)


def _share_options(table: BreakdownV1) -> list[str]:
    for cell in table.cells:
        if cell.shares is not None:
            return list(cell.shares)
    return []


def breakdown_title(table: BreakdownV1, report: CampaignReportPublishedV1) -> str:
    if table.question_id is None:
        return f"People who took part, by {table.dimension}"
    prompt = next(
        (q.prompt for q in report.questions if q.question_id == table.question_id),
        table.question_id,
    )
    return f"{prompt}, by {table.dimension}"


def render_html(report: CampaignReportPublishedV1) -> str:
    template = _templates.get_template("report.html")
    any_withheld = any(b.withheld for b in report.breakdowns) or any(
        q.withheld for q in report.questions
    )
    return template.render(
        r=report,
        pct=_pct,
        has_mean=_has_mean,
        share_options=_share_options,
        breakdown_title=lambda b: breakdown_title(b, report),
        any_withheld=any_withheld,
    )


CSV_HEADER = ["section", "item", "group", "measure", "value"]


def render_csv(report: CampaignReportPublishedV1) -> str:
    """Long format, one figure per row: section, item, group, measure, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    if report.correction:
        writer.writerow(
            ["correction", report.correction.reason, "", "of_version", report.correction.of_version]
        )
    for name, value in report.figures.model_dump().items():
        writer.writerow(["figures", name, "", "count", value])
    for q in report.questions:
        writer.writerow(["question", q.question_id, "", "answered", q.answered])
        if q.withheld:
            writer.writerow(["question", q.question_id, "", "withheld", "true"])
            continue
        if q.mean is not None:
            writer.writerow(["question", q.question_id, "", "mean", q.mean])
        for answer, n in (q.distribution or {}).items():
            writer.writerow(["question", q.question_id, answer, "people", n])
        for theme in q.themes:
            writer.writerow(["theme", q.question_id, theme.phrase, "responses", theme.responses])
    for section, rows in (("consensus", report.consensus), ("divisive", report.divisive)):
        for s in rows:
            writer.writerow([section, s.text, s.direction, "votes", s.votes])
            writer.writerow([section, s.text, s.direction, "agree_rate", s.agree_rate])
            writer.writerow([section, s.text, s.direction, "disagree_rate", s.disagree_rate])
    for g in report.groups:
        writer.writerow(["group", g.label, "", "people", g.size])
        for d in g.distinctive:
            writer.writerow(
                ["group_statement", d.text, g.label, f"{d.direction}_rate", d.group_rate]
            )
    for b in report.breakdowns:
        item = f"{b.dimension}:{b.question_id or 'respondents'}"
        if b.withheld:
            writer.writerow(["breakdown", item, "", "withheld", "true"])
        for c in b.cells:
            writer.writerow(["breakdown", item, c.value, "people", c.respondents])
            if c.mean is not None:
                writer.writerow(["breakdown", item, c.value, "mean", c.mean])
            for option, share in (c.shares or {}).items():
                writer.writerow(["breakdown", item, c.value, f"share:{option}", share])
    return out.getvalue()


# The PDF core fonts cover Latin-1 only; map common typography, replace the rest.
_PDF_TEXT = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def _latin1(text: str) -> str:
    return text.translate(_PDF_TEXT).encode("latin-1", "replace").decode("latin-1")


class _ReportPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, f"Page {self.page_no()}", align="C")


def render_pdf(report: CampaignReportPublishedV1) -> bytes:
    pdf = _ReportPdf(format="A4")
    pdf.set_title(_latin1(f"{report.title}: report to the Prime Minister"))
    pdf.set_lang("en-GB")
    pdf.set_creator("Convene feedback")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 14) -> None:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, 7, _latin1(text))
        pdf.set_font("Helvetica", size=10)

    def line(text: str) -> None:
        pdf.multi_cell(width, 5.5, _latin1(text))

    heading(report.title, 18)
    line(
        f"{'Final' if report.final else 'Interim'} report, version {report.version}, "
        f"published {report.published_at:%d %B %Y %H:%M} UTC."
    )
    if report.correction:
        line(
            f"Correction of version {report.correction.of_version}: {report.correction.reason}. "
            "Only wording changed: every figure is the final report's."
        )
    line(f"The question: {report.question}")
    line(f"No figure in this report describes fewer than {report.k} people.")
    heading("Headline figures")
    f = report.figures
    line(f"People who took part: {f.respondents}")
    line(f"Answers to the questions: {f.responses}")
    line(f"People who voted on statements: {f.voters}")
    line(f"Statements: {f.statements}; votes: {f.votes}")
    if report.questions:
        heading("Answers to the questions")
        for q in report.questions:
            pdf.set_font("Helvetica", "B", 10)
            line(q.prompt)
            pdf.set_font("Helvetica", size=10)
            if q.withheld:
                line(f"Fewer than {report.k} people answered: not shown.")
                continue
            mean = f"; average {q.mean:.2f}" if q.mean is not None else ""
            line(f"{q.answered} people answered{mean}.")
            for answer, n in (q.distribution or {}).items():
                line(f"  {answer}: {n}")
            for t in q.themes:
                line(f"  Theme '{t.phrase}': {t.responses} answers")
    heading("Where people agree")
    for s in report.consensus or []:
        line(f"- {s.text} ({s.direction}; {_pct(s.agree_rate)} agree of {s.votes} votes)")
    if not report.consensus:
        line("No statement had broad agreement.")
    heading("Where people differ")
    for s in report.divisive or []:
        line(
            f"- {s.text} ({_pct(s.agree_rate)} agree, {_pct(s.disagree_rate)} disagree "
            f"of {s.votes} votes)"
        )
    if not report.divisive:
        line("No statement divided opinion.")
    heading("Opinion groups")
    for g in report.groups:
        pdf.set_font("Helvetica", "B", 10)
        line(f"Group {g.label}: {g.size} people")
        pdf.set_font("Helvetica", size=10)
        for d in g.distinctive:
            line(f"  {d.text}: {_pct(d.group_rate)} {d.direction} (others {_pct(d.others_rate)})")
    if not report.groups:
        line(f"Not enough people voted to form groups of {report.k} or more.")
    heading("Breakdowns")
    for b in report.breakdowns:
        pdf.set_font("Helvetica", "B", 10)
        withheld = " (some groups withheld)" if b.withheld else ""
        line(breakdown_title(b, report) + withheld)
        pdf.set_font("Helvetica", size=10)
        for c in b.cells:
            extra = f"; average {c.mean:.2f}" if c.mean is not None else ""
            shares = "; ".join(f"{o} {_pct(v)}" for o, v in (c.shares or {}).items())
            line(f"  {c.value}: {c.respondents} people{extra}{'; ' + shares if shares else ''}")
    if not report.breakdowns:
        line("No breakdowns yet.")
    return bytes(pdf.output())
