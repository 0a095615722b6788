"""What feedback can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from services.feedback.domain.model import Anonymity, Audience, Question, Vote

# -- from identity and directory events --------------------------------------------------------


@dataclass(frozen=True)
class RecordMemberActive:
    member_id: UUID
    active: bool


@dataclass(frozen=True)
class RecordCohortJoined:
    member_id: UUID
    cohort_id: UUID
    cohort_name: str
    cohort_year: int
    joined_at: datetime


@dataclass(frozen=True)
class SaltMember:
    """Give a member the random salt their pseudonyms are derived from (if they have none)."""

    member_id: UUID


@dataclass(frozen=True)
class RecordCohortLeft:
    member_id: UUID
    cohort_id: UUID


@dataclass(frozen=True)
class RecordMemberProfile:
    """Sector and region for breakdowns and sector audiences (from directory profile events)."""

    member_id: UUID
    sector: str | None
    region: str | None


@dataclass(frozen=True)
class EraseMember:
    member_id: UUID


# -- from the API and the campaign clock ------------------------------------------------------


@dataclass(frozen=True)
class CreateCampaign:
    title: str
    question: str
    context: str
    audience: Audience
    anonymity: Anonymity
    questions: tuple[Question, ...]
    opens_at: datetime
    closes_at: datetime
    created_by: str
    #: Statements the admin seeds the conversation with (approved from the start).
    seed_statements: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OpenDueCampaigns:
    """The campaign clock: open scheduled campaigns whose opening time is at or before `now`."""

    now: datetime
    limit: int = 20


@dataclass(frozen=True)
class CloseDueCampaigns:
    """The campaign clock: close campaigns whose closing time is at or before `now`."""

    now: datetime
    limit: int = 5


@dataclass(frozen=True)
class CloseCampaign:
    campaign_id: UUID
    actor: str


@dataclass(frozen=True)
class SubmitResponse:
    campaign_id: UUID
    member_id: UUID
    answers: dict[str, Any]


@dataclass(frozen=True)
class SubmitStatement:
    campaign_id: UUID
    member_id: UUID
    text: str
    #: An admin's statement is approved at once and has no author pseudonym.
    by_admin: bool = False


@dataclass(frozen=True)
class ModerateStatement:
    campaign_id: UUID
    statement_id: UUID
    approve: bool
    reason: str | None
    actor: str


@dataclass(frozen=True)
class CastVote:
    campaign_id: UUID
    statement_id: UUID
    member_id: UUID
    vote: Vote


@dataclass(frozen=True)
class PublishReport:
    campaign_id: UUID
    actor: str


@dataclass(frozen=True)
class CorrectReport:
    """A new version of a closed campaign's final report that changes wording only."""

    campaign_id: UUID
    actor: str
    reason: str
    #: Statements whose text the report stops showing (a moderation mistake); counts stay.
    withdraw_statements: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class PostFollowUp:
    campaign_id: UUID
    you_said: str
    we_did: str
    actor: str
