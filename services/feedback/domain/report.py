"""The report for the Prime Minister, composed from the analysis (pure).

The report document is the public `CampaignReportPublishedV1` contract itself, so the API, the
HTML, CSV and PDF files and the event all show exactly the same (k-anonymous) figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts.events.feedback import (
    BreakdownCellV1,
    BreakdownV1,
    CampaignReportPublishedV1,
    GroupStatementV1,
    OpinionGroupV1,
    QuestionResultV1,
    ReportFiguresV1,
    StatementResultV1,
    ThemeV1,
)
from services.feedback.domain.breakdowns import Respondent, breakdowns, summarise_questions
from services.feedback.domain.model import K_ANONYMITY, Question, QuestionKind
from services.feedback.domain.themes import themes
from services.feedback.domain.vote_analysis import (
    StatementFinding,
    VoteAnalysis,
    VoteMatrix,
    analyse_votes,
)

DIMENSIONS = ("sector", "region", "cohort")
#: How many consensus and divisive statements a report lists.
REPORT_STATEMENTS = 10


@dataclass(frozen=True)
class ReportInput:
    campaign_id: UUID
    title: str
    question: str
    questions: Sequence[Question]
    #: Approved statements: id -> text.
    statements: Mapping[str, str]
    #: (participant, statement id, 1 | -1 | 0)
    votes: Sequence[tuple[str, str, int]]
    #: Everyone who answered (with answers) or only voted (no answers).
    respondents: Sequence[Respondent]
    responses: int


@dataclass(frozen=True)
class ComposedReport:
    document: CampaignReportPublishedV1
    #: Participant -> opinion group label, so respondents can see their own group (never sent).
    placements: dict[str, str]


def compose_report(
    data: ReportInput, *, version: int, final: bool, published_at: datetime, k: int = K_ANONYMITY
) -> ComposedReport:
    matrix = VoteMatrix.build(list(data.statements), data.votes)
    analysis = analyse_votes(matrix, k=k)
    texts = data.statements
    summaries = summarise_questions(data.respondents, data.questions, k=k)
    questions = []
    for question, summary in zip(data.questions, summaries, strict=True):
        found = []
        if question.kind == QuestionKind.FREE_TEXT and not summary.withheld:
            answers = [
                str(r.answers[question.id]) for r in data.respondents if question.id in r.answers
            ]
            found = [ThemeV1(phrase=t.phrase, responses=t.responses) for t in themes(answers, k=k)]
        questions.append(
            QuestionResultV1(
                question_id=question.id,
                prompt=question.prompt,
                kind=question.kind.value,
                answered=summary.answered,
                withheld=summary.withheld,
                mean=summary.mean,
                distribution=summary.distribution,
                themes=found,
            )
        )
    tables = breakdowns(data.respondents, data.questions, DIMENSIONS, k=k)
    document = CampaignReportPublishedV1(
        campaign_id=data.campaign_id,
        version=version,
        final=final,
        title=data.title,
        question=data.question,
        published_at=published_at,
        k=k,
        figures=ReportFiguresV1(
            respondents=len(data.respondents),
            responses=data.responses,
            voters=analysis.participants,
            statements=len(data.statements),
            votes=len(data.votes),
        ),
        questions=questions,
        consensus=_statements(analysis.consensus, analysis, texts),
        divisive=_statements(analysis.divisive, analysis, texts),
        groups=[
            OpinionGroupV1(
                label=group.label,
                size=group.size,
                distinctive=[
                    GroupStatementV1(
                        statement_id=UUID(d.statement_id),
                        text=texts[d.statement_id],
                        direction=d.direction,
                        group_rate=d.group_rate,
                        others_rate=d.others_rate,
                    )
                    for d in group.distinctive
                ],
            )
            for group in analysis.groups
        ],
        breakdowns=[
            BreakdownV1(
                dimension=table.dimension,
                question_id=table.question_id,
                withheld=table.withheld,
                cells=[
                    BreakdownCellV1(
                        value=c.value, respondents=c.respondents, mean=c.mean, shares=c.shares
                    )
                    for c in table.cells
                ],
            )
            for table in tables
        ],
    )
    placements = {p: g.label for g in analysis.groups for p in g.members}
    return ComposedReport(document, placements)


def _statements(
    findings: Sequence[StatementFinding], analysis: VoteAnalysis, texts: Mapping[str, str]
) -> list[StatementResultV1]:
    out = []
    for finding in findings[:REPORT_STATEMENTS]:
        stats = analysis.stats[finding.statement_id]
        out.append(
            StatementResultV1(
                statement_id=UUID(finding.statement_id),
                text=texts[finding.statement_id],
                direction=finding.direction,
                votes=stats.votes,
                agree_rate=round(stats.agree_rate, 4),
                disagree_rate=round(stats.disagree_rate, 4),
            )
        )
    return out
