"""What a campaign's answers say, computed without I/O: each question's answers across
everyone, and breakdowns of participants and answers by sector, region and cohort.

Privacy rule: nothing describing fewer than `k` people is reported. A question answered by
fewer than k is withheld whole; breakdown tables use primary suppression (cells under k) plus
complementary suppression (more cells hidden until the hidden cells together hold 0 or at
least k people), so no hidden cell can be recovered by subtracting the shown cells from a
published total.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.feedback.domain.model import K_ANONYMITY, Question, QuestionKind

NOT_KNOWN = "Not known"


def suppress(counts: Mapping[str, int], k: int = K_ANONYMITY) -> frozenset[str]:
    """The cells to hide so that no cell under k is shown or can be derived from the total.

    Primary: every non-empty cell under k. Complementary: while the hidden cells together hold
    fewer than k people (so `total - shown` would expose them), also hide the smallest shown cell.
    The result: every shown cell has at least k people, and the hidden ones together hold none
    or at least k (so no single hidden cell can be recovered by subtraction).
    """
    hidden = {label for label, n in counts.items() if 0 < n < k}
    while hidden and sum(counts[h] for h in hidden) < k:
        shown = sorted((n, label) for label, n in counts.items() if n > 0 and label not in hidden)
        if not shown:
            break
        hidden.add(shown[0][1])
    return frozenset(hidden)


@dataclass(frozen=True)
class Respondent:
    """One participant, by pseudonym: who they are in aggregate terms, and what they answered."""

    id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BreakdownCell:
    value: str
    respondents: int
    mean: float | None = None
    shares: dict[str, float] | None = None


@dataclass(frozen=True)
class Breakdown:
    """One table: respondents (question_id None) or one question's answers, by one dimension."""

    dimension: str
    question_id: str | None
    cells: tuple[BreakdownCell, ...]
    #: Whether some cells were withheld (never which, nor how many people they hold).
    withheld: bool


def breakdowns(
    respondents: Sequence[Respondent],
    questions: Sequence[Question],
    dimensions: Sequence[str],
    *,
    k: int = K_ANONYMITY,
) -> list[Breakdown]:
    """Per dimension: respondents per value, then each structured question's answers per value.

    A dimension nobody has a value for is left out (it would say nothing). Cells are ordered
    by size, largest first, then by name.
    """
    tables: list[Breakdown] = []
    structured = [q for q in questions if q.kind != QuestionKind.FREE_TEXT]
    for dimension in dimensions:
        values = [r.attributes.get(dimension) or NOT_KNOWN for r in respondents]
        if all(v == NOT_KNOWN for v in values):
            continue
        people: dict[str, list[Respondent]] = defaultdict(list)
        for value, respondent in zip(values, respondents, strict=True):
            people[value].append(respondent)
        tables.append(_table(dimension, None, {v: [None] * len(rs) for v, rs in people.items()}, k))
        for question in structured:
            answers = {
                v: [r.answers[question.id] for r in rs if question.id in r.answers]
                for v, rs in people.items()
            }
            tables.append(_table(dimension, question, answers, k))
    return tables


def _table(
    dimension: str, question: Question | None, answers: Mapping[str, list[Any]], k: int
) -> Breakdown:
    counts = {value: len(items) for value, items in answers.items()}
    hidden = suppress(counts, k)
    cells = [
        _cell(value, items, question)
        for value, items in answers.items()
        if items and value not in hidden
    ]
    cells.sort(key=lambda c: (-c.respondents, c.value))
    return Breakdown(dimension, question.id if question else None, tuple(cells), bool(hidden))


def _cell(value: str, items: list[Any], question: Question | None) -> BreakdownCell:
    if question is None:
        return BreakdownCell(value, len(items))
    if question.kind == QuestionKind.RATING:
        return BreakdownCell(value, len(items), mean=round(sum(items) / len(items), 2))
    chosen: Counter[str] = Counter()
    for item in items:
        chosen.update([item] if isinstance(item, str) else item)
    shares = {option: round(chosen[option] / len(items), 4) for option in question.options}
    return BreakdownCell(value, len(items), shares=shares)


@dataclass(frozen=True)
class QuestionSummary:
    """One question's answers across everyone; `answered` under k means nothing else is shown."""

    question_id: str
    answered: int
    withheld: bool
    mean: float | None = None
    distribution: dict[str, int] | None = None


def summarise_questions(
    respondents: Sequence[Respondent], questions: Sequence[Question], *, k: int = K_ANONYMITY
) -> list[QuestionSummary]:
    summaries = []
    for question in questions:
        items = [r.answers[question.id] for r in respondents if question.id in r.answers]
        if len(items) < k:
            summaries.append(QuestionSummary(question.id, len(items), withheld=True))
            continue
        if question.kind == QuestionKind.RATING:
            distribution = {
                str(n): sum(1 for i in items if i == n)
                for n in range(question.scale_min, question.scale_max + 1)
            }
            summaries.append(
                QuestionSummary(
                    question.id,
                    len(items),
                    withheld=False,
                    mean=round(sum(items) / len(items), 2),
                    distribution=distribution,
                )
            )
        elif question.kind == QuestionKind.FREE_TEXT:
            summaries.append(QuestionSummary(question.id, len(items), withheld=False))
        else:
            chosen: Counter[str] = Counter()
            for item in items:
                chosen.update([item] if isinstance(item, str) else item)
            summaries.append(
                QuestionSummary(
                    question.id,
                    len(items),
                    withheld=False,
                    distribution={o: chosen[o] for o in question.options},
                )
            )
    return summaries
