"""Reports of out-of-date profiles and leavers, and the record of who viewed a profile."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import (
    Notice,
    Profile,
    ProfileReport,
    ProfileView,
)
from services.directory.domain import commands
from services.directory.domain.errors import (
    InvalidChange,
    ProfileNotFound,
)
from services.directory.handlers.authority import is_delegate, is_listed

REPORT_KINDS = ("out_of_date", "leaver")


async def report_profile(command: commands.ReportProfile, uow: UnitOfWork) -> ProfileReport:
    """Reaches the owner (a notice, without the reporter's name) and admins (the report list).
    Reporting the same thing twice while it is open returns the open report."""
    profile = await uow.session.get(Profile, command.member_id)
    if profile is None or not is_listed(profile):
        raise ProfileNotFound()
    existing = await uow.session.scalar(
        select(ProfileReport).where(
            ProfileReport.member_id == command.member_id,
            ProfileReport.reporter_id == command.reporter_id,
            ProfileReport.kind == command.kind,
            ProfileReport.status == "open",
        )
    )
    if existing is not None:
        return existing
    report = ProfileReport(
        id=uuid.uuid4(),
        member_id=command.member_id,
        reporter_id=command.reporter_id,
        kind=command.kind,
        note=command.note,
        status="open",
        created_at=datetime.now(UTC),
    )
    uow.session.add(report)
    message = (
        "A member thinks your profile is out of date. Check it and confirm it is right."
        if command.kind == "out_of_date"
        else "A member reported that you have left your role. Update your profile, or tell "
        "the programme team if this is wrong."
    )
    if command.note:
        message = f"{message} Their note: {command.note}"[:500]
    uow.session.add(
        Notice(
            member_id=command.member_id,
            kind=f"report.{command.kind}",
            message=message,
            created_at=datetime.now(UTC),
        )
    )
    return report


async def resolve_report(command: commands.ResolveReport, uow: UnitOfWork) -> ProfileReport:
    report = await uow.session.get(ProfileReport, command.report_id, with_for_update=True)
    if report is None:
        raise InvalidChange("There is no report with that id.")
    if report.status == "open":
        report.status = "resolved"
        report.resolved_at = datetime.now(UTC)
    return report


async def record_profile_view(command: commands.RecordProfileView, uow: UnitOfWork) -> None:
    if command.viewer_id == command.profile_id:
        return
    if await is_delegate(uow, principal_id=command.profile_id, delegate_id=command.viewer_id):
        return
    uow.session.add(
        ProfileView(
            profile_id=command.profile_id,
            viewer_id=command.viewer_id,
            viewer_is_admin=command.viewer_is_admin,
            viewed_at=datetime.now(UTC),
        )
    )
