"""Participants' per-campaign pseudonyms, derived with the service key and never stored; and
the random salts they are derived from.

A salt is never created in the transaction that writes a response, vote or statement: rows
written together share a transaction id (`xmin`), so a salt born with a member's first answer
would name that answer to anyone reading the database. Salts are created when feedback first
learns of a member (the member projection), for every active member when a campaign opens, and
otherwise in a unit of work of their own, committed before the write's transaction begins.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import UnitOfWork
from services.feedback.adapters.orm import Member, MemberSalt
from services.feedback.domain.model import pseudonym


class SaltMissing(RuntimeError):
    """A write needed a member's salt that no earlier transaction created (a wiring mistake:
    the route must create it first, apart from the write)."""


async def create_salt(session: AsyncSession, member_id: UUID) -> None:
    """The member's random salt, unless they have one. Idempotent."""
    await session.execute(
        insert(MemberSalt)
        .values(member_id=member_id, salt=secrets.token_bytes(32))
        .on_conflict_do_nothing(index_elements=[MemberSalt.member_id])
    )


async def has_salt(session: AsyncSession, member_id: UUID) -> bool:
    return bool(await session.scalar(select(exists().where(MemberSalt.member_id == member_id))))


async def create_missing_salts(session: AsyncSession) -> int:
    """A salt for every active member who has none (a campaign's audience is among them)."""
    missing = (
        await session.scalars(
            select(Member.member_id).where(
                Member.active, ~exists().where(MemberSalt.member_id == Member.member_id)
            )
        )
    ).all()
    if missing:
        await session.execute(
            insert(MemberSalt)
            .values([{"member_id": m, "salt": secrets.token_bytes(32)} for m in missing])
            .on_conflict_do_nothing(index_elements=[MemberSalt.member_id])
        )
    return len(missing)


@dataclass(frozen=True)
class Pseudonyms:
    """Derives participants' per-campaign pseudonyms with the service key (never stored)."""

    key: bytes

    async def find(self, uow: UnitOfWork, member_id: UUID, campaign_id: UUID) -> str | None:
        """The member's pseudonym in this campaign, or None if they have no salt yet (then
        nothing of theirs is stored anywhere). Only reads."""
        salt = await uow.session.scalar(
            select(MemberSalt.salt).where(MemberSalt.member_id == member_id)
        )
        return None if salt is None else pseudonym(self.key, salt, campaign_id)

    async def of(self, uow: UnitOfWork, member_id: UUID, campaign_id: UUID) -> str:
        """The member's pseudonym in this campaign, for a write; only reads (SaltMissing if
        no earlier transaction created their salt)."""
        name = await self.find(uow, member_id, campaign_id)
        if name is None:
            # No member id in the message: it would reach a log beside the campaign in the path.
            raise SaltMissing("the member has no salt")
        return name
