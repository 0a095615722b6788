"""Feed ranking and its explanations, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.content.domain import ranking
from services.content.domain.ranking import Candidate, Reader, explain, recency

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_a_local_government_leader_ranks_the_local_government_item_first() -> None:
    reader = Reader(sector="local-government", region="north-west")
    local = Candidate(published_at=NOW - timedelta(days=3), sectors=["local-government"])
    newer = Candidate(published_at=NOW, sectors=["health"])
    ranked_local, ranked_newer = explain(local, reader, NOW), explain(newer, reader, NOW)
    assert ranked_local.score > ranked_newer.score
    assert ranked_local.reasons == ["because you work in local government"]
    assert ranked_newer.reasons == ["because it is new on Convene"]


def test_reasons_come_strongest_first_and_read_items_sink() -> None:
    cohort = uuid.uuid4()
    reader = Reader(
        sector="health",
        region="wales",
        expertise=("digital", "finance"),
        cohorts={cohort: "Cohort 2026"},
        followed_topics=("ai",),
    )
    item = Candidate(
        published_at=NOW,
        sectors=["health"],
        regions=["wales"],
        expertise=["finance", "digital"],
        topics=["ai"],
        audience_cohorts=[cohort],
    )
    ranked = explain(item, reader, NOW)
    assert ranked.reasons == [
        "because you work in health",
        "because it is for your cohort, Cohort 2026",
        "because of your expertise in digital and finance",
        "because you follow ai",
        "because you are based in wales",
    ]
    read = explain(
        Candidate(**{**item.__dict__, "read": True}),
        reader,
        NOW,  # type: ignore[arg-type]
    )
    assert ranked.score - read.score == ranking.W_ALREADY_READ


def test_recency_halves_every_half_life() -> None:
    assert recency(NOW, NOW) == 1.0
    half = recency(NOW - timedelta(days=ranking.RECENCY_HALF_LIFE_DAYS), NOW)
    assert abs(half - 0.5) < 1e-9
    assert recency(NOW + timedelta(days=1), NOW) == 1.0


@given(
    age_days=st.floats(min_value=0, max_value=3650),
    sector=st.sampled_from([None, "health", "defence"]),
    read=st.booleans(),
)
def test_a_matching_sector_always_adds_the_same_weight(
    age_days: float, sector: str | None, read: bool
) -> None:
    published = NOW - timedelta(days=age_days)
    reader = Reader(sector=sector)
    matching = Candidate(published_at=published, sectors=[sector] if sector else [], read=read)
    other = Candidate(published_at=published, sectors=["other"], read=read)
    difference = explain(matching, reader, NOW).score - explain(other, reader, NOW).score
    assert abs(difference - (ranking.W_SECTOR if sector else 0.0)) < 1e-9
