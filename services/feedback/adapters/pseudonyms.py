"""Participants' per-campaign pseudonyms, derived with the service key and never stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.feedback.adapters.orm import MemberSalt
from services.feedback.domain.model import pseudonym


@dataclass(frozen=True)
class Pseudonyms:
    """Derives participants' per-campaign pseudonyms with the service key (never stored)."""

    key: bytes

    async def of(self, uow: UnitOfWork, member_id: UUID, campaign_id: UUID) -> str:
        """The member's pseudonym in this campaign, creating their random salt on first use."""
        await uow.session.execute(
            insert(MemberSalt)
            .values(member_id=member_id, salt=secrets.token_bytes(32))
            .on_conflict_do_nothing(index_elements=[MemberSalt.member_id])
        )
        salt = await uow.session.scalar(
            select(MemberSalt.salt).where(MemberSalt.member_id == member_id)
        )
        assert salt is not None
        return pseudonym(self.key, salt, campaign_id)
