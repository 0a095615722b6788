"""The rules between report versions (pure): versions differ only by groups of at least k.

Every report is a public event, so anyone holding two versions can subtract one from the
other. Three rules close that:

- an interim version needs at least k new respondents since the last published version
  (`require_new_respondents`), so two interims never differ by one person's answers overall;
- a cell (a question's results, a theme, a statement's votes, the opinion groups, a breakdown
  cell) hidden in any earlier version stays hidden, and a cell whose count moved by 1..k-1
  from the same cell of any earlier published version is hidden (`keep_consistent`);
- once the campaign has closed, a new version is only a correction whose published figures
  are those of the final report (`figures_of` compares them; only wording may change).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.events.feedback import CampaignReportPublishedV1, ReportCorrectionV1
from services.feedback.domain.breakdowns import Respondent
from services.feedback.domain.errors import (
    CorrectionBeforeClose,
    CorrectionMovesFigures,
    InvalidCorrection,
    TooFewNewRespondents,
)
from services.feedback.domain.model import K_ANONYMITY
from services.feedback.domain.report import ReportInput, compose_report

#: A cohort is a breakdown value only with at least this many members at close, and a campaign
#: whose whole audience is smaller reports headline figures only (no breakdowns).
MINIMUM_COHORT = 2 * K_ANONYMITY
MINIMUM_AUDIENCE = 2 * K_ANONYMITY
#: What a correction shows in place of a statement withdrawn by moderation.
WITHDRAWN_TEXT = "Statement withdrawn by moderation"


@dataclass(frozen=True)
class PublishedVersion:
    """An earlier version as published, with the cells the rules hid in it (kept server side:
    their names never appear in a document)."""

    document: CampaignReportPublishedV1
    hidden: frozenset[str]


@dataclass(frozen=True)
class NextVersion:
    document: CampaignReportPublishedV1
    #: To store with the version (see PublishedVersion).
    hidden: frozenset[str]
    #: Participant -> opinion group; None: leave the stored placements as they are.
    placements: dict[str, str] | None


def next_version(
    data: ReportInput,
    earlier: Sequence[PublishedVersion],
    *,
    final: bool,
    published_at: datetime,
    k: int = K_ANONYMITY,
) -> NextVersion:
    """The next version of a campaign's report under the version rules.

    Interim (`final` False): refused without k new respondents, and without breakdowns
    (respondents' attributes are ignored: they can change while a campaign is open, and a
    swap that keeps a cell's size would go unseen). Final: breakdowns from the attributes in
    `data`, which the caller reads once, at the close.
    """
    last = earlier[-1].document if earlier else None
    if not final:
        require_new_respondents(len(data.respondents), last, k)
        data = _without_attributes(data)
    version = 1 + (last.version if last else 0)
    composed = compose_report(data, version=version, final=final, published_at=published_at, k=k)
    document, hidden = keep_consistent(composed.document, earlier, k)
    return NextVersion(document, hidden, {} if "groups" in hidden else composed.placements)


def correction(
    data: ReportInput,
    earlier: Sequence[PublishedVersion],
    *,
    reason: str,
    withdrawn: Iterable[UUID],
    published_at: datetime,
    k: int = K_ANONYMITY,
) -> NextVersion:
    """A correction of the final report: recomposed from the answers and votes as stored now,
    with the final report's breakdowns (attributes are never read again after the close),
    refused (CorrectionMovesFigures) unless every published figure is the final report's."""
    if not earlier or not earlier[-1].document.final:
        raise CorrectionBeforeClose()
    final = earlier[-1].document
    gone = set(withdrawn)
    shown = {s.statement_id for s in [*final.consensus, *final.divisive]} | {
        d.statement_id for g in final.groups for d in g.distinctive
    }
    if gone - shown:
        raise InvalidCorrection(
            "The final report shows no statement with id "
            + ", ".join(sorted(map(str, gone - shown)))
        )
    composed = compose_report(
        _without_attributes(data),
        version=final.version + 1,
        final=True,
        published_at=published_at,
        k=k,
    )
    candidate = composed.document.model_copy(update={"breakdowns": final.breakdowns})
    candidate, hidden = keep_consistent(candidate, earlier, k)
    require_same_figures(candidate, final)
    document = corrected(candidate, of_version=final.version, reason=reason, withdrawn=gone)
    return NextVersion(document, hidden, None)


def _without_attributes(data: ReportInput) -> ReportInput:
    return replace(data, respondents=[Respondent(r.id, {}, r.answers) for r in data.respondents])


def require_new_respondents(
    respondents: int, last: CampaignReportPublishedV1 | None, k: int = K_ANONYMITY
) -> None:
    """TooFewNewRespondents unless `respondents` exceeds the last version's by at least k."""
    before = last.figures.respondents if last else 0
    if respondents - before < k:
        raise TooFewNewRespondents(k, max(respondents - before, 0))


def cells_of(document: CampaignReportPublishedV1) -> dict[str, int]:
    """Every published cell of a document and the number of people (or votes) it describes."""
    cells: dict[str, int] = {}
    for q in document.questions:
        if not q.withheld:
            cells[f"question:{q.question_id}"] = q.answered
        for theme in q.themes:
            cells[f"theme:{q.question_id}:{theme.phrase}"] = theme.responses
    for s in [*document.consensus, *document.divisive]:
        cells[f"statement:{s.statement_id}"] = s.votes
    if document.groups:
        cells["groups"] = sum(g.size for g in document.groups)
    for table in document.breakdowns:
        for cell in table.cells:
            cells[_breakdown_key(table.dimension, table.question_id, cell.value)] = cell.respondents
    return cells


def _breakdown_key(dimension: str, question_id: str | None, value: str) -> str:
    return f"breakdown:{dimension}:{question_id or ''}:{value}"


def keep_consistent(
    document: CampaignReportPublishedV1,
    earlier: Sequence[PublishedVersion],
    k: int = K_ANONYMITY,
) -> tuple[CampaignReportPublishedV1, frozenset[str]]:
    """The document with every cell hidden that an earlier version hid, or that moved from an
    earlier published cell by 1..k-1; and the cells now hidden (to store with the version).

    A hidden question takes its themes and breakdown tables with it (their cells would add up
    to it); a hidden statement leaves the lists and the groups' distinctive statements.
    """
    hidden: set[str] = set()
    for version in earlier:
        hidden |= version.hidden
        hidden |= {f"question:{q.question_id}" for q in version.document.questions if q.withheld}
    before = [cells_of(v.document) for v in earlier]
    for key, count in cells_of(document).items():
        if any(key in cells and 0 < abs(cells[key] - count) < k for cells in before):
            hidden.add(key)
    hidden |= {f"question:{q.question_id}" for q in document.questions if q.withheld}
    return _without(document, hidden), frozenset(hidden)


def _without(document: CampaignReportPublishedV1, hidden: set[str]) -> CampaignReportPublishedV1:
    hidden_questions = {
        q.question_id for q in document.questions if f"question:{q.question_id}" in hidden
    }
    questions = []
    for q in document.questions:
        if q.question_id in hidden_questions:
            q = q.model_copy(
                update={"withheld": True, "mean": None, "distribution": None, "themes": []}
            )
        else:
            themes = [t for t in q.themes if f"theme:{q.question_id}:{t.phrase}" not in hidden]
            q = q.model_copy(update={"themes": themes})
        questions.append(q)
    gone = {
        s.statement_id
        for s in [*document.consensus, *document.divisive]
        if f"statement:{s.statement_id}" in hidden
    }
    groups = (
        []
        if "groups" in hidden
        else [
            g.model_copy(
                update={"distinctive": [d for d in g.distinctive if d.statement_id not in gone]}
            )
            for g in document.groups
        ]
    )
    tables = []
    for table in document.breakdowns:
        if table.question_id in hidden_questions:
            tables.append(table.model_copy(update={"withheld": True, "cells": []}))
            continue
        cells = [
            c
            for c in table.cells
            if _breakdown_key(table.dimension, table.question_id, c.value) not in hidden
        ]
        withheld = table.withheld or len(cells) < len(table.cells)
        tables.append(table.model_copy(update={"cells": cells, "withheld": withheld}))
    return document.model_copy(
        update={
            "questions": questions,
            "consensus": [s for s in document.consensus if s.statement_id not in gone],
            "divisive": [s for s in document.divisive if s.statement_id not in gone],
            "groups": groups,
            "breakdowns": tables,
        }
    )


#: Fields that are wording or bookkeeping, not figures: a correction may change these.
_NOT_FIGURES = frozenset(
    {"title", "question", "prompt", "text", "published_at", "version", "correction", "id", "time"}
)


def figures_of(document: CampaignReportPublishedV1) -> Any:
    """Everything a reader could count or subtract in a document, without its wording."""
    return _strip(document.model_dump(mode="json", exclude={"published_at", "version"}))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _NOT_FIGURES}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def require_same_figures(
    candidate: CampaignReportPublishedV1, final: CampaignReportPublishedV1
) -> None:
    """CorrectionMovesFigures unless the candidate publishes exactly the final's figures."""
    if figures_of(candidate) != figures_of(final):
        raise CorrectionMovesFigures()


def corrected(
    candidate: CampaignReportPublishedV1,
    *,
    of_version: int,
    reason: str,
    withdrawn: Iterable[UUID],
) -> CampaignReportPublishedV1:
    """The candidate said to be a correction, with withdrawn statements' text replaced."""
    gone = set(withdrawn)

    def reword(items: list[Any]) -> list[Any]:
        return [
            s.model_copy(update={"text": WITHDRAWN_TEXT}) if s.statement_id in gone else s
            for s in items
        ]

    return candidate.model_copy(
        update={
            "consensus": reword(candidate.consensus),
            "divisive": reword(candidate.divisive),
            "groups": [
                g.model_copy(update={"distinctive": reword(g.distinctive)})
                for g in candidate.groups
            ],
            "correction": ReportCorrectionV1(of_version=of_version, reason=reason),
        }
    )
