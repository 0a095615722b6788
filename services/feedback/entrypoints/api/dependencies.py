"""What feedback's routes share: settings, pseudonyms, the admin and member roles, and which
campaigns a caller may see."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from services.chassis.auth import CurrentPrincipal, member_id_of, require_role
from services.chassis.runtime import RuntimeDep, UnitOfWorkDep, settings_dependency
from services.chassis.tokens import Principal
from services.feedback import views
from services.feedback.adapters.orm import Campaign
from services.feedback.adapters.pseudonyms import Pseudonyms
from services.feedback.config import FeedbackSettings
from services.feedback.domain import commands
from services.feedback.domain.errors import CampaignNotFound
from services.feedback.domain.model import CampaignStatus, in_audience
from services.feedback.entrypoints.api.problems import as_problem
from services.feedback.handlers import members

ADMIN_ROLE = "programme_admin"

SettingsDep = Annotated[FeedbackSettings, Depends(settings_dependency(FeedbackSettings))]


async def _pseudonyms(settings: SettingsDep) -> Pseudonyms:
    return Pseudonyms(settings.pseudonym_key.get_secret_value().encode())


PseudonymsDep = Annotated[Pseudonyms, Depends(_pseudonyms)]
ProgrammeAdmin = Annotated[Principal, Depends(require_role(ADMIN_ROLE))]
Participant = Annotated[Principal, Depends(require_role("member"))]


async def _salted(principal: CurrentPrincipal, runtime: RuntimeDep) -> Principal:
    # In a unit of work of its own, committed before the route's opens: a salt created in the
    # same transaction as a response, vote or statement would share its xmin and name it.
    # Members almost always have one already (the projection creates it).
    if principal.has_role("member") and not is_admin(principal):
        async with runtime.unit_of_work() as uow:
            await members.salt_member(commands.SaltMember(member_id_of(principal)), uow)
            await uow.commit()
    return principal


async def _salted_participant(
    member: Participant, _: Annotated[Principal, Depends(_salted)]
) -> Principal:
    return member


#: The caller, a member's salt created (apart) if they had none: for routes that write under a
#: pseudonym. Admins are left as they are.
SaltedPrincipal = Annotated[Principal, Depends(_salted)]
#: A member (403 otherwise) whose salt exists, created apart if need be.
SaltedParticipant = Annotated[Principal, Depends(_salted_participant)]


def is_admin(principal: Principal) -> bool:
    return principal.has_role(ADMIN_ROLE)


async def visible_campaign(uow: UnitOfWorkDep, campaign_id: UUID, principal: Principal) -> Campaign:
    """Admins see every campaign; a member only open or closed ones in their audience (404
    otherwise, so nobody learns that a campaign exists for others)."""
    campaign = await uow.session.get(Campaign, campaign_id)
    if campaign is None:
        raise as_problem(CampaignNotFound())
    if is_admin(principal):
        return campaign
    facts = await views.member_facts(uow.session, member_id_of(principal))
    if campaign.status == CampaignStatus.SCHEDULED or not in_audience(
        views.audience_of(campaign), facts
    ):
        raise as_problem(CampaignNotFound())
    return campaign
