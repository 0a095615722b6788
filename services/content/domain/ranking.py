"""How a member's feed is ranked, and why each item is shown.

The score of an item for a member is a weighted sum of simple signals:

    sector match + region match + expertise match + cohort match + followed topic
    + recency (1 when new, halving every RECENCY_HALF_LIFE_DAYS) - already read

`views.feed` computes the same sum in SQL (ordering 10,000 items where they live) from these
same weights; `explain` computes it in Python for the page being shown, with the reasons.
A muted topic removes an item from the feed altogether; items a member may not see are never
candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.content.domain.model import label

W_SECTOR = 3.0
W_REGION = 1.5
W_EXPERTISE = 2.0
W_COHORT = 2.5
W_FOLLOWED_TOPIC = 2.0
W_RECENCY = 2.0
W_ALREADY_READ = 4.0
RECENCY_HALF_LIFE_DAYS = 14.0


@dataclass(frozen=True)
class Reader:
    """What the feed knows about a member (the content service's projection)."""

    sector: str | None = None
    region: str | None = None
    expertise: Sequence[str] = ()
    cohorts: dict[UUID, str] = field(default_factory=dict)
    followed_topics: Sequence[str] = ()
    muted_topics: Sequence[str] = ()


@dataclass(frozen=True)
class Candidate:
    """What ranking needs to know about a published item."""

    published_at: datetime
    sectors: Sequence[str] = ()
    regions: Sequence[str] = ()
    expertise: Sequence[str] = ()
    topics: Sequence[str] = ()
    audience_cohorts: Sequence[UUID] = ()
    read: bool = False


@dataclass(frozen=True)
class Ranked:
    score: float
    reasons: list[str]


def recency(published_at: datetime, now: datetime) -> float:
    """1.0 for an item published now, 0.5 after one half-life, and so on (never negative)."""
    age_days = max((now - published_at).total_seconds(), 0.0) / 86_400
    return float(0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS))


def explain(candidate: Candidate, reader: Reader, now: datetime) -> Ranked:
    """The score of `candidate` for `reader` and the reasons, strongest first."""
    score = W_RECENCY * recency(candidate.published_at, now)
    reasons: list[tuple[float, str]] = []
    if reader.sector and reader.sector in candidate.sectors:
        score += W_SECTOR
        reasons.append((W_SECTOR, f"because you work in {label(reader.sector)}"))
    cohort = next(
        (reader.cohorts[c] for c in candidate.audience_cohorts if c in reader.cohorts), None
    )
    if cohort is not None:
        score += W_COHORT
        reasons.append((W_COHORT, f"because it is for your cohort, {cohort}"))
    matched_expertise = [e for e in reader.expertise if e in candidate.expertise]
    if matched_expertise:
        score += W_EXPERTISE
        reasons.append((W_EXPERTISE, f"because of your expertise in {_listed(matched_expertise)}"))
    followed = [t for t in reader.followed_topics if t in candidate.topics]
    if followed:
        score += W_FOLLOWED_TOPIC
        reasons.append((W_FOLLOWED_TOPIC, f"because you follow {_listed(followed)}"))
    if reader.region and reader.region in candidate.regions:
        score += W_REGION
        reasons.append((W_REGION, f"because you are based in {label(reader.region)}"))
    if candidate.read:
        score -= W_ALREADY_READ
    if not reasons:
        reasons.append(
            (
                0.0,
                "because it is new on Convene"
                if recency(candidate.published_at, now) > 0.5
                else "because it is for everyone",
            )
        )
    reasons.sort(key=lambda pair: -pair[0])
    return Ranked(score, [reason for _, reason in reasons])


def _listed(slugs: Sequence[str]) -> str:
    words = [label(s) for s in slugs]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
