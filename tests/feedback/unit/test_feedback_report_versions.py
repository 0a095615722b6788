"""The rules between report versions, attacked by someone holding every version (a
department reading the public report events, or an admin publishing them): over random
sequences of responses, cohort changes, erasures, publications and corrections, no two
published versions differ in a cell by 1..k-1 people and no hidden cell reappears."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events.feedback import CampaignReportPublishedV1
from services.feedback.domain.breakdowns import Respondent
from services.feedback.domain.errors import (
    CorrectionMovesFigures,
    TooFewNewRespondents,
)
from services.feedback.domain.model import K_ANONYMITY, Question, QuestionKind
from services.feedback.domain.report import ReportInput
from services.feedback.domain.report_versions import (
    PublishedVersion,
    cells_of,
    correction,
    figures_of,
    next_version,
)

K = K_ANONYMITY
CAMPAIGN = uuid.UUID(int=7)
QUESTIONS = (
    Question("support", QuestionKind.RATING, "How supported do you feel?"),
    Question("priority", QuestionKind.SINGLE_CHOICE, "What first?", options=("pay", "skills")),
)
COHORTS = ("North", "South", "East")


def report_input(answers: dict[str, dict], attributes: dict[str, dict]) -> ReportInput:
    return ReportInput(
        campaign_id=CAMPAIGN,
        title="Workforce pressures",
        question="What would help?",
        questions=QUESTIONS,
        statements={},
        votes=[],
        respondents=[Respondent(p, attributes.get(p, {}), a) for p, a in sorted(answers.items())],
        responses=len(answers),
    )


def hidden_in(version: PublishedVersion) -> set[str]:
    return set(version.hidden) | {
        f"question:{q.question_id}" for q in version.document.questions if q.withheld
    }


operation = st.one_of(
    st.tuples(
        st.just("respond"),
        st.integers(1, 5),
        st.sampled_from(["pay", "skills", None]),
        st.sampled_from(COHORTS),
    ),
    st.tuples(st.just("move"), st.integers(0, 60), st.sampled_from(COHORTS)),
    st.tuples(st.just("erase"), st.integers(0, 60), st.booleans()),
    st.tuples(st.just("publish")),
    st.tuples(st.just("close")),
    st.tuples(st.just("correct")),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(operation, min_size=1, max_size=70))
def test_no_two_versions_differ_by_fewer_than_k_and_no_hidden_cell_reappears(ops) -> None:
    answers: dict[str, dict] = {}
    attributes: dict[str, dict] = {}
    published: list[PublishedVersion] = []
    closed = False
    for op in ops:
        kind = op[0]
        if kind == "respond" and not closed:
            name = f"p{len(answers) + len(attributes)}-{uuid.uuid4().hex[:6]}"
            answer = {"support": op[1]} | ({"priority": op[2]} if op[2] else {})
            answers[name] = answer
            attributes[name] = {"cohort": op[3]}
        elif kind == "move" and answers:
            # The admin moves someone between cohorts (before or after the close).
            who = sorted(answers)[op[1] % len(answers)]
            attributes[who] = {"cohort": op[2]}
        elif kind == "erase" and answers:
            who = sorted(answers)[op[1] % len(answers)]
            attributes.pop(who, None)
            if op[2]:  # an attributed campaign: the answer goes too
                del answers[who]
        elif kind == "publish" and not closed:
            try:
                made = next_version(
                    report_input(answers, attributes),
                    published,
                    final=False,
                    published_at=datetime.now(UTC),
                )
            except TooFewNewRespondents:
                continue
            published.append(PublishedVersion(made.document, made.hidden))
        elif kind == "close" and not closed:
            closed = True
            made = next_version(
                report_input(answers, attributes),
                published,
                final=True,
                published_at=datetime.now(UTC),
            )
            published.append(PublishedVersion(made.document, made.hidden))
        elif kind == "correct" and closed:
            try:
                made = correction(
                    report_input(answers, attributes),
                    published,
                    reason="Wording",
                    withdrawn=(),
                    published_at=datetime.now(UTC),
                )
            except CorrectionMovesFigures:
                continue
            published.append(PublishedVersion(made.document, made.hidden))

    final: CampaignReportPublishedV1 | None = None
    for j, later in enumerate(published):
        shown = cells_of(later.document)
        for earlier in published[:j]:
            before = cells_of(earlier.document)
            for key, count in shown.items():
                if key in before:
                    assert not 0 < abs(count - before[key]) < K, (key, before[key], count)
            assert not hidden_in(earlier) & set(shown), hidden_in(earlier) & set(shown)
        if later.document.final:
            final = final or later.document
            # After the close every version publishes the final report's figures.
            assert figures_of(later.document) == figures_of(final)
        else:
            assert later.document.breakdowns == []
    interims = [v.document.figures.respondents for v in published if not v.document.final]
    for a, b in zip([0, *interims], interims, strict=False):
        assert b - a >= K


def test_a_correction_after_an_attributed_erasure_is_refused() -> None:
    answers = {f"p{i}": {"support": 1 + i % 5} for i in range(12)}
    made = next_version(report_input(answers, {}), [], final=True, published_at=datetime.now(UTC))
    published = [PublishedVersion(made.document, made.hidden)]
    del answers["p3"]
    with pytest.raises(CorrectionMovesFigures):
        correction(
            report_input(answers, {}),
            published,
            reason="Wording",
            withdrawn=(),
            published_at=datetime.now(UTC),
        )
