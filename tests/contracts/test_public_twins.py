"""A public event built from its internal twin carries only what the public type declares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

from contracts.base import IntegrationEvent
from contracts.events.feedback import (
    CampaignClosedV1,
    CampaignOpenedV1,
    PublicCampaignClosedV1,
    PublicCampaignOpenedV1,
)


class _MemberNoted(IntegrationEvent):
    event_type: ClassVar[str] = "test.member.noted.v1"
    topic: ClassVar[str] = "test.member.v1"
    subject_field: ClassVar[str] = "member_id"
    member_id: UUID
    email: str
    job_title: str


class _PublicMemberNoted(IntegrationEvent):
    event_type: ClassVar[str] = "public.test.member.noted.v1"
    topic: ClassVar[str] = "public.test.member.v1"
    public: ClassVar[bool] = True
    subject_field: ClassVar[str] = "member_id"
    member_id: UUID
    job_title: str


def test_a_department_reading_the_twin_sees_no_field_its_type_does_not_declare() -> None:
    internal = _MemberNoted(member_id=uuid4(), email="perm.sec@example.gov.uk", job_title="PS")
    public = _PublicMemberNoted.twin_of(internal)
    assert public.model_dump() == {"member_id": internal.member_id, "job_title": "PS"}
    assert "perm.sec" not in public.model_dump_json()


def test_the_campaign_twins_match_their_internal_events() -> None:
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    opened = CampaignOpenedV1(
        campaign_id=uuid4(),
        title="Hybrid working",
        question="How is it going?",
        audience="sectors",
        audience_sectors=["nhs"],
        anonymity="anonymous",
        opens_at=at,
        closes_at=at.replace(day=8),
    )
    assert PublicCampaignOpenedV1.twin_of(opened).model_dump() == opened.model_dump()
    closed = CampaignClosedV1(campaign_id=opened.campaign_id, closed_at=at, respondents=12)
    twin = PublicCampaignClosedV1.twin_of(closed, respondents=13)
    assert (twin.campaign_id, twin.closed_at, twin.respondents) == (opened.campaign_id, at, 13)
