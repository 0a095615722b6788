"""Free-text themes: only phrases used by at least k responses."""

from __future__ import annotations

from services.feedback.domain.themes import themes


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
