"""Statements and votes: members propose statements, admins moderate them, members vote."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.feedback import views
from services.feedback.adapters.orm import Campaign, Statement, StatementVote
from services.feedback.adapters.pseudonyms import Pseudonyms
from services.feedback.domain import commands
from services.feedback.domain.errors import (
    AlreadyVoted,
    CampaignClosed,
    CampaignNotFound,
    CampaignNotOpen,
    DuplicateStatement,
    StatementNotApproved,
    StatementNotFound,
    TooManyStatements,
)
from services.feedback.domain.model import CampaignStatus, StatementStatus, require_open


def normalise_statement(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?").lower()


#: Statement ordering keys are drawn from 1 .. 10**18 - 1 (at most 18 digits, as page cursors).
ORDER_KEYS = 10**18 - 1


def moderation_day(moment: datetime) -> datetime:
    """Midnight UTC of the day: a moderation time to the second would date the statement's
    submission closely enough to match against request logs."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def new_statement(
    campaign_id: UUID, text: str, *, author: str | None, approved_by: str | None
) -> Statement:
    """A statement row: pending moderation, or approved at once when `approved_by` is given."""
    return Statement(
        id=uuid.uuid4(),
        # Random, not the order of submission: an order would line statements up with the
        # request logs of who posted when.
        seq=secrets.randbelow(ORDER_KEYS) + 1,
        campaign_id=campaign_id,
        text=re.sub(r"\s+", " ", text).strip(),
        normalised_text=normalise_statement(text),
        author_pseudonym=author,
        status=StatementStatus.APPROVED if approved_by else StatementStatus.PENDING,
        moderated_by=approved_by,
        moderated_at=moderation_day(datetime.now(UTC)) if approved_by else None,
    )


async def submit_statement(
    command: commands.SubmitStatement,
    uow: UnitOfWork,
    *,
    pseudonyms: Pseudonyms,
    statements_per_member: int,
) -> Statement:
    """A member's statement waits for moderation; an admin's is approved at once."""
    if command.by_admin:
        campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
        if campaign is None:
            raise CampaignNotFound()
        if campaign.status == CampaignStatus.CLOSED:
            raise CampaignNotOpen(campaign.status)
        author = None
    else:
        campaign = await views.campaign_for_member(
            uow.session, command.campaign_id, command.member_id, lock=True
        )
        require_open(campaign.status, campaign.closes_at, datetime.now(UTC))
        author = await pseudonyms.of(uow, command.member_id, campaign.id)
        count = await uow.session.scalar(
            select(func.count()).where(
                Statement.campaign_id == campaign.id, Statement.author_pseudonym == author
            )
        )
        if (count or 0) >= statements_per_member:
            raise TooManyStatements(statements_per_member)
    taken = await uow.session.scalar(
        select(Statement.id).where(
            Statement.campaign_id == campaign.id,
            Statement.normalised_text == normalise_statement(command.text),
        )
    )
    if taken is not None:
        raise DuplicateStatement()
    statement = new_statement(
        campaign.id,
        command.text,
        author=author,
        approved_by=str(command.member_id) if command.by_admin else None,
    )
    uow.session.add(statement)
    await uow.session.flush()
    return statement


async def moderate_statement(command: commands.ModerateStatement, uow: UnitOfWork) -> Statement:
    """Approve, or reject with a reason. A rejected statement's votes no longer count."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status == CampaignStatus.CLOSED:
        raise CampaignClosed()
    statement = await uow.session.get(Statement, command.statement_id, with_for_update=True)
    if statement is None or statement.campaign_id != campaign.id:
        raise StatementNotFound()
    statement.status = StatementStatus.APPROVED if command.approve else StatementStatus.REJECTED
    statement.rejection_reason = None if command.approve else command.reason
    statement.moderated_by = command.actor
    statement.moderated_at = moderation_day(datetime.now(UTC))
    return statement


async def cast_vote(command: commands.CastVote, uow: UnitOfWork, *, pseudonyms: Pseudonyms) -> None:
    """One vote per member per statement: a second one is refused (AlreadyVoted)."""
    campaign = await views.campaign_for_member(
        uow.session, command.campaign_id, command.member_id, lock=True
    )
    require_open(campaign.status, campaign.closes_at, datetime.now(UTC))
    statement = await uow.session.get(Statement, command.statement_id)
    if statement is None or statement.campaign_id != campaign.id:
        raise StatementNotFound()
    if statement.status != StatementStatus.APPROVED:
        raise StatementNotApproved()
    name = await pseudonyms.of(uow, command.member_id, campaign.id)
    inserted = await uow.session.execute(
        insert(StatementVote)
        .values(
            statement_id=statement.id,
            pseudonym=name,
            campaign_id=campaign.id,
            value=command.vote.value_in_matrix,
        )
        .on_conflict_do_nothing()
        .returning(StatementVote.value)
    )
    if inserted.first() is None:
        raise AlreadyVoted()
