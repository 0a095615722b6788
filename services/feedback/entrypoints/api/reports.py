"""Report routes: publish a report, read it (JSON, HTML, CSV, PDF), and your own group."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from contracts.events.feedback import CampaignReportPublishedV1
from services.chassis.auth import CurrentPrincipal, member_id_of
from services.chassis.runtime import UnitOfWorkDep
from services.chassis.tokens import Principal
from services.feedback import views
from services.feedback.adapters.orm import GroupPlacement, Report
from services.feedback.domain import commands
from services.feedback.domain.errors import NoReport, NotPlaced
from services.feedback.entrypoints.api.dependencies import (
    Participant,
    ProgrammeAdmin,
    PseudonymsDep,
    is_admin,
    visible_campaign,
)
from services.feedback.entrypoints.api.problems import as_problem, run
from services.feedback.handlers import reports
from services.feedback.schemas import MyGroupRead, ReportCorrectionCreate

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "/{campaign_id}/report",
    status_code=status.HTTP_201_CREATED,
    summary="Publish an interim report (k new respondents), or correct the final one's wording",
)
async def publish_report(
    campaign_id: UUID,
    uow: UnitOfWorkDep,
    admin: ProgrammeAdmin,
    ids: PseudonymsDep,
    correction: ReportCorrectionCreate | None = None,
) -> CampaignReportPublishedV1:
    if correction is None:
        document = await run(
            reports.publish_report(
                commands.PublishReport(campaign_id, admin.subject), uow, pseudonyms=ids
            )
        )
    else:
        document = await run(
            reports.correct_report(
                commands.CorrectReport(
                    campaign_id,
                    admin.subject,
                    correction.reason,
                    tuple(correction.withdraw_statements),
                ),
                uow,
            )
        )
    await uow.commit()
    return document


async def readable_report(uow: UnitOfWorkDep, campaign_id: UUID, principal: Principal) -> Report:
    """Admins read any report; audience members the final one, once the campaign has closed."""
    campaign = await visible_campaign(uow, campaign_id, principal)
    report = await run(views.latest_report(uow.session, campaign.id))
    if not is_admin(principal) and not report.final:
        raise as_problem(NoReport())
    return report


@router.get("/{campaign_id}/report", summary="The latest report (aggregates only, k = 5)")
async def get_report(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> CampaignReportPublishedV1:
    report = await readable_report(uow, campaign_id, principal)
    return CampaignReportPublishedV1.model_validate(report.document)


@router.get(
    "/{campaign_id}/report.html", response_class=HTMLResponse, summary="The report as a web page"
)
async def get_report_html(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> HTMLResponse:
    report = await readable_report(uow, campaign_id, principal)
    return HTMLResponse(report.html)


@router.get(
    "/{campaign_id}/report.csv",
    response_class=PlainTextResponse,
    summary="The report's aggregates as CSV",
)
async def get_report_csv(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> Response:
    report = await readable_report(uow, campaign_id, principal)
    return Response(
        report.csv,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="report-{campaign_id}.csv"'},
    )


@router.get("/{campaign_id}/report.pdf", summary="The report as PDF")
async def get_report_pdf(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> Response:
    report = await readable_report(uow, campaign_id, principal)
    return Response(
        report.pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="report-{campaign_id}.pdf"'},
    )


@router.get(
    "/{campaign_id}/my-group",
    summary="The opinion group your own votes fall in (only yours, only groups of 5 or more)",
)
async def my_group(
    campaign_id: UUID, uow: UnitOfWorkDep, member: Participant, ids: PseudonymsDep
) -> MyGroupRead:
    report = await readable_report(uow, campaign_id, member)
    name = await ids.find(uow, member_id_of(member), campaign_id)
    placement = await uow.session.get(GroupPlacement, (campaign_id, name)) if name else None
    document = CampaignReportPublishedV1.model_validate(report.document)
    group = next(
        (g for g in document.groups if placement and g.label == placement.group_label), None
    )
    if group is None:
        raise as_problem(NotPlaced())
    return MyGroupRead(
        campaign_id=campaign_id,
        label=group.label,
        size=group.size,
        distinctive=[d.model_dump(mode="json") for d in group.distinctive],
        report_version=document.version,
    )
