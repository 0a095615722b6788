"""The vote analysis against a hand-built matrix, and its privacy properties for any input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.feedback.domain.vote_analysis import VoteMatrix, analyse_votes

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
