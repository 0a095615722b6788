"""The vote analysis against a hand-built matrix, and its privacy properties for any input."""

from __future__ import annotations

import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.feedback.domain.analysis import (
    Respondent,
    VoteMatrix,
    analyse_votes,
    breakdowns,
    summarise_questions,
    suppress,
)
from services.feedback.domain.model import Question, QuestionKind
from services.feedback.domain.themes import themes

A, D, P = 1, -1, 0
# Two camps of six. Everyone agrees with s1 and rejects s2; the camps split on s3, s4, s5.
STATEMENTS = ["s1", "s2", "s3", "s4", "s5"]
CAMP_X = [f"p{i:02d}" for i in range(6)]
CAMP_Y = [f"p{i:02d}" for i in range(6, 12)]
ROWS = {
    **{p: [A, D, A, D, A] for p in CAMP_X},
    **{p: [A, D, D, A, D] for p in CAMP_Y},
}
ROWS["p05"] = [A, D, A, D, P]  # one pass does not move anyone to the other camp
ROWS["p11"] = [A, P, D, A, D]


def hand_built() -> VoteMatrix:
    votes = [(p, s, v) for p, row in ROWS.items() for s, v in zip(STATEMENTS, row, strict=True)]
    return VoteMatrix.build(STATEMENTS, votes)


def test_the_matrix_is_built_in_a_stable_order_with_missing_votes_as_nan() -> None:
    matrix = VoteMatrix.build(["s1", "s2"], [("b", "s1", 1), ("a", "s2", -1), ("a", "x", 1)])
    assert matrix.participants == ("a", "b")
    assert np.isnan(matrix.values[0, 0])
    assert matrix.values[0, 1] == -1
    assert matrix.values[1, 0] == 1
    assert np.isnan(matrix.values[1, 1])


def test_the_hand_built_matrix_has_two_groups_two_consensus_and_three_divisive() -> None:
    analysis = analyse_votes(hand_built())
    assert [(g.label, g.members) for g in analysis.groups] == [
        ("A", tuple(CAMP_X)),
        ("B", tuple(CAMP_Y)),
    ]
    assert [(f.statement_id, f.direction) for f in analysis.consensus] == [
        ("s1", "agree"),
        ("s2", "disagree"),
    ]
    assert sorted(f.statement_id for f in analysis.divisive) == ["s3", "s4", "s5"]
    assert analysis.stats["s2"].disagree == 11
    assert analysis.stats["s2"].passes == 1
    camp_x = analysis.groups[0]
    assert {(d.statement_id, d.direction) for d in camp_x.distinctive} <= {
        ("s3", "agree"),
        ("s4", "disagree"),
        ("s5", "agree"),
    }
    assert analysis.group_of("p07") is analysis.groups[1]


def test_groups_smaller_than_k_are_never_formed() -> None:
    # Nine people: any split into two leaves a group under five, so there are no groups.
    votes = [(p, s, v) for p, row in list(ROWS.items())[:9] for s, v in zip(STATEMENTS, row)]
    analysis = analyse_votes(VoteMatrix.build(STATEMENTS, votes))
    assert analysis.groups == ()
    # Without groups, consensus falls back to everyone's smoothed rate.
    assert [f.statement_id for f in analysis.consensus] == ["s1", "s2"]
    assert sorted(f.statement_id for f in analysis.divisive) == ["s3", "s4", "s5"]


def test_a_campaign_nobody_voted_in_has_no_findings() -> None:
    analysis = analyse_votes(VoteMatrix.build(["s1", "s2"], []))
    assert analysis.participants == 0
    assert analysis.groups == ()
    assert analysis.consensus == ()


def test_statements_with_fewer_than_k_votes_are_neither_consensus_nor_divisive() -> None:
    votes = [(p, "s1", A) for p in CAMP_X[:4]]
    analysis = analyse_votes(VoteMatrix.build(["s1"], votes))
    assert analysis.consensus == ()
    assert analysis.divisive == ()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=10, max_value=40),
    st.integers(min_value=2, max_value=8),
    st.randoms(use_true_random=False),
)
def test_every_opinion_group_has_at_least_k_members(people: int, statements: int, rnd) -> None:
    ids = [f"s{j}" for j in range(statements)]
    votes = [
        (f"p{i}", s, rnd.choice([A, D, P]))
        for i in range(people)
        for s in ids
        if rnd.random() < 0.8
    ]
    analysis = analyse_votes(VoteMatrix.build(ids, votes))
    assert all(group.size >= 5 for group in analysis.groups)
    placed = [p for g in analysis.groups for p in g.members]
    assert len(placed) == len(set(placed))


# -- k-anonymity ------------------------------------------------------------------------------


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


# -- themes -----------------------------------------------------------------------------------


def test_themes_are_phrases_used_by_at_least_k_responses() -> None:
    texts = [
        "Housing costs are pushing staff away",
        "The housing costs in London are a problem",
        "housing costs, again",
        "Rising housing costs and recruitment",
        "We cannot recruit because of housing costs",
        "Recruitment is hard",
        "Something unique said by one person only",
    ]
    found = themes(texts)
    assert [(t.phrase, t.responses) for t in found] == [("housing costs", 5)]
    assert themes(texts[:4]) == []
