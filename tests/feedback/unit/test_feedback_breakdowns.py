"""Breakdowns and question summaries under k-anonymity: no cell under k is shown, and no
hidden cell can be derived from the shown ones and a total."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from services.feedback.domain.breakdowns import (
    Respondent,
    breakdowns,
    summarise_questions,
    suppress,
)
from services.feedback.domain.model import Question, QuestionKind


def test_a_single_small_cell_is_hidden_with_its_complement() -> None:
    hidden = suppress({"Health": 20, "Police": 3, "Education": 7, "Local government": 9})
    # Police alone could be derived as total - shown, so the next smallest goes too.
    assert hidden == {"Police", "Education"}


def test_nothing_is_hidden_when_every_cell_is_large_enough() -> None:
    assert suppress({"a": 5, "b": 6}) == frozenset()


def test_hidden_cells_keep_being_added_until_they_hold_k() -> None:
    assert suppress({"a": 1, "b": 1, "c": 1, "d": 5, "e": 9}) == {"a", "b", "c", "d"}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 30), max_size=8))
def test_no_shown_cell_is_small_and_no_hidden_cell_can_be_derived(counts) -> None:
    hidden = suppress(counts)
    shown = {label: n for label, n in counts.items() if n > 0 and label not in hidden}
    assert all(n >= 5 for n in shown.values())
    hidden_total = sum(counts[h] for h in hidden)
    total = sum(counts.values())
    # total - shown = the hidden cells together: never one small group on its own.
    assert hidden_total == total - sum(shown.values())
    assert hidden_total == 0 or hidden_total >= 5 or not shown
    # A lone hidden cell next to shown ones would be exactly total - shown.
    assert len(hidden) != 1 or not shown


RATING = Question("q1", QuestionKind.RATING, "How well supported do you feel?")
CHOICE = Question("q2", QuestionKind.SINGLE_CHOICE, "Priority?", options=("pay", "skills"))
MULTI = Question("q3", QuestionKind.MULTIPLE_CHOICE, "Which?", options=("x", "y", "z"))
TEXT = Question("q4", QuestionKind.FREE_TEXT, "Anything else?")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["North", "South", "Wales", "Scotland", None]),
            st.sampled_from(["Health", "Police", "Education", None]),
            st.sampled_from(["2025", "2026"]),
            st.one_of(st.none(), st.integers(1, 5)),
            st.one_of(st.none(), st.sampled_from(["pay", "skills"])),
            st.one_of(st.none(), st.lists(st.sampled_from(["x", "y", "z"]), min_size=1)),
        ),
        max_size=60,
    )
)
def test_breakdowns_of_random_audiences_never_show_a_cell_under_k(rows) -> None:
    respondents = []
    for region, sector, cohort, rating, choice, multi in rows:
        answers = {}
        if rating is not None:
            answers["q1"] = rating
        if choice is not None:
            answers["q2"] = choice
        if multi is not None:
            answers["q3"] = sorted(set(multi))
        attributes = {"cohort": cohort}
        if region:
            attributes["region"] = region
        if sector:
            attributes["sector"] = sector
        respondents.append(Respondent(uuid.uuid4().hex, attributes, answers))
    questions = [RATING, CHOICE, MULTI, TEXT]
    for table in breakdowns(respondents, questions, ["sector", "region", "cohort"]):
        for cell in table.cells:
            assert cell.respondents >= 5
        if table.question_id is None:
            total = len(respondents)
        else:
            total = sum(1 for r in respondents if table.question_id in r.answers)
        hidden = total - sum(c.respondents for c in table.cells)
        assert hidden == 0 or hidden >= 5 or not table.cells
    for summary in summarise_questions(respondents, questions):
        assert summary.withheld == (summary.answered < 5)
        if summary.withheld:
            assert summary.mean is None
            assert summary.distribution is None


def test_breakdown_cells_carry_means_and_shares() -> None:
    respondents = [
        Respondent(f"r{i}", {"cohort": "2025" if i < 6 else "2026"}, {"q1": 1 + i % 5, "q2": "pay"})
        for i in range(12)
    ]
    tables = breakdowns(respondents, [RATING, CHOICE], ["sector", "cohort"])
    assert [(t.dimension, t.question_id) for t in tables] == [
        ("cohort", None),
        ("cohort", "q1"),
        ("cohort", "q2"),
    ]
    by_value = {c.value: c for c in tables[1].cells}
    assert by_value["2025"].mean == round((1 + 2 + 3 + 4 + 5 + 1) / 6, 2)
    assert tables[2].cells[0].shares == {"pay": 1.0, "skills": 0.0}
