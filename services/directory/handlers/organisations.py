"""Reference data programme admins keep: organisations and expertise tags."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from contracts.events.directory import (
    PublicOrganisationAddedV1,
    PublicOrganisationUpdatedV1,
)
from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import (
    ExpertiseTag,
    Organisation,
    Profile,
)
from services.directory.domain import commands
from services.directory.domain.errors import (
    Conflict,
    InvalidChange,
    OrganisationNotFound,
)
from services.directory.handlers.profile_changes import (
    profile_changed,
)


async def add_organisation(command: commands.AddOrganisation, uow: UnitOfWork) -> Organisation:
    exists = await uow.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == command.name.strip().lower())
    )
    if exists is not None:
        raise Conflict(f"{exists.name} is already in the list.")
    if (
        command.parent_id is not None
        and await uow.session.get(Organisation, command.parent_id) is None
    ):
        raise InvalidChange("There is no parent organisation with that id.")
    organisation = Organisation(
        id=uuid.uuid4(),
        name=command.name.strip(),
        type=command.type,
        parent_id=command.parent_id,
        added_by=command.added_by,
        created_at=datetime.now(UTC),
    )
    uow.session.add(organisation)
    await uow.publish(
        PublicOrganisationAddedV1(
            organisation_id=organisation.id,
            name=organisation.name,
            type=organisation.type,
            parent_id=organisation.parent_id,
            added_at=organisation.created_at,
        )
    )
    return organisation


async def update_organisation(
    command: commands.UpdateOrganisation, uow: UnitOfWork
) -> Organisation:
    """Rename, retype or re-parent an organisation. A new name reaches every profile that
    shows it (search, internal and public profile events) in the same transaction."""
    organisation = await uow.session.get(
        Organisation, command.organisation_id, with_for_update=True
    )
    if organisation is None:
        raise OrganisationNotFound()
    name = command.name.strip()
    clash = await uow.session.scalar(
        select(Organisation).where(
            func.lower(Organisation.name) == name.lower(), Organisation.id != organisation.id
        )
    )
    if clash is not None:
        raise Conflict(f"{clash.name} is already in the list.")
    if command.parent_id == organisation.id:
        raise InvalidChange("An organisation cannot be its own parent.")
    if (
        command.parent_id is not None
        and await uow.session.get(Organisation, command.parent_id) is None
    ):
        raise InvalidChange("There is no parent organisation with that id.")
    wanted = (name, command.type, command.parent_id)
    if wanted == (organisation.name, organisation.type, organisation.parent_id):
        return organisation
    renamed = name != organisation.name
    organisation.name, organisation.type, organisation.parent_id = wanted
    await uow.publish(
        PublicOrganisationUpdatedV1(
            organisation_id=organisation.id,
            name=organisation.name,
            type=organisation.type,
            parent_id=organisation.parent_id,
            updated_at=datetime.now(UTC),
        )
    )
    if renamed:
        members = await uow.session.scalars(
            select(Profile).where(Profile.organisation_id == organisation.id).with_for_update()
        )
        for profile in members.all():
            profile.organisation = organisation.name
            profile.updated_at = datetime.now(UTC)
            await profile_changed(uow, profile)
    return organisation


async def add_expertise_tag(command: commands.AddExpertiseTag, uow: UnitOfWork) -> ExpertiseTag:
    if await uow.session.get(ExpertiseTag, command.slug) is not None:
        raise Conflict(f"The tag {command.slug} already exists.")
    tag = ExpertiseTag(
        slug=command.slug,
        label=command.label,
        added_by=command.added_by,
        created_at=datetime.now(UTC),
    )
    uow.session.add(tag)
    return tag
