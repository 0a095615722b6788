"""Members naming delegates who may act for them, and ending a delegation."""

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import (
    Delegate,
    Profile,
)
from services.directory.domain import commands
from services.directory.domain.errors import (
    InvalidChange,
    NotPermitted,
    ProfileNotFound,
)
from services.directory.handlers.profile_changes import (
    record_activity,
)


async def name_delegate(command: commands.NameDelegate, uow: UnitOfWork) -> None:
    if command.actor.member_id != command.principal_id:
        raise NotPermitted("Only the member may name their delegates.")
    if command.delegate_id == command.principal_id:
        raise InvalidChange("You cannot be your own delegate.")
    if await uow.session.get(Profile, command.principal_id) is None:
        raise ProfileNotFound()
    if await uow.session.get(Profile, command.delegate_id) is None:
        raise InvalidChange("The delegate must be a Convene member.")
    added = await uow.session.execute(
        insert(Delegate)
        .values(
            principal_id=command.principal_id,
            delegate_id=command.delegate_id,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
        .returning(Delegate.delegate_id)
    )
    if added.first() is not None:
        record_activity(
            uow,
            command.principal_id,
            command.actor,
            False,
            "delegate.named",
            delegate_id=str(command.delegate_id),
        )


async def remove_delegate(command: commands.RemoveDelegate, uow: UnitOfWork) -> None:
    """The member removes a delegate, or a delegate steps down."""
    if command.actor.member_id not in (command.principal_id, command.delegate_id):
        raise NotPermitted("Only the member or the delegate may end a delegation.")
    removed = await uow.session.execute(
        delete(Delegate)
        .where(
            Delegate.principal_id == command.principal_id,
            Delegate.delegate_id == command.delegate_id,
        )
        .returning(Delegate.delegate_id)
    )
    if removed.first() is not None:
        record_activity(
            uow,
            command.principal_id,
            command.actor,
            command.actor.member_id == command.delegate_id,
            "delegate.removed",
            delegate_id=str(command.delegate_id),
        )
