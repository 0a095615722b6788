"""Feedback's HTTP routes: thin, they validate, call a handler and commit."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from contracts.events.feedback import CampaignReportPublishedV1
from services.chassis.auth import CurrentPrincipal, require_role
from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.problems import DomainProblems, Problem
from services.chassis.runtime import UnitOfWorkDep
from services.chassis.tokens import Principal
from services.feedback import handlers, views
from services.feedback.adapters.orm import Campaign, GroupPlacement, Report
from services.feedback.config import FeedbackSettings
from services.feedback.domain import commands
from services.feedback.domain.errors import (
    AlreadyVoted,
    CampaignClosed,
    CampaignNotFound,
    CampaignNotOpen,
    DuplicateStatement,
    FeedbackError,
    InvalidAnswers,
    InvalidCampaign,
    NoReport,
    NotPlaced,
    StatementNotApproved,
    StatementNotFound,
    TooManyStatements,
)
from services.feedback.domain.model import (
    Audience,
    CampaignStatus,
    Question,
    StatementStatus,
    Vote,
    in_audience,
)
from services.feedback.schemas import (
    CampaignCreate,
    CampaignRead,
    FollowUpCreate,
    FollowUpRead,
    ModerationDecision,
    MyGroupRead,
    ResponseRead,
    ResponseWrite,
    StatementCreate,
    StatementRead,
    VoteCreate,
    VoteRead,
)

T = TypeVar("T")
ADMIN_ROLE = "programme_admin"


async def _settings(request: Request) -> FeedbackSettings:
    settings: FeedbackSettings = request.app.state.runtime.settings
    return settings


async def _pseudonyms(request: Request) -> handlers.Pseudonyms:
    return handlers.Pseudonyms((await _settings(request)).pseudonym_key.get_secret_value().encode())


SettingsDep = Annotated[FeedbackSettings, Depends(_settings)]
PseudonymsDep = Annotated[handlers.Pseudonyms, Depends(_pseudonyms)]
ProgrammeAdmin = Annotated[Principal, Depends(require_role(ADMIN_ROLE))]
Participant = Annotated[Principal, Depends(require_role("member"))]


def _invalid_answers(exc: Exception) -> Problem:
    assert isinstance(exc, InvalidAnswers)
    return Problem(422, "Invalid answers", str(exc), "invalid-answers", errors=exc.problems)


# Domain error -> (status, title, problem code). One table, so every route answers alike.
PROBLEMS = DomainProblems(
    FeedbackError,
    {
        InvalidAnswers: _invalid_answers,
        CampaignNotFound: (404, "Not found", "campaign-not-found"),
        StatementNotFound: (404, "Not found", "statement-not-found"),
        NoReport: (404, "Not found", "no-report"),
        NotPlaced: (404, "Not found", "not-placed"),
        CampaignNotOpen: (409, "Campaign not open", "campaign-not-open"),
        CampaignClosed: (409, "Campaign closed", "campaign-closed"),
        StatementNotApproved: (409, "Statement not approved", "statement-not-approved"),
        AlreadyVoted: (409, "Already voted", "already-voted"),
        DuplicateStatement: (409, "Duplicate statement", "duplicate-statement"),
        TooManyStatements: (429, "Too many statements", "too-many-statements"),
        InvalidCampaign: (422, "Invalid campaign", "invalid-campaign"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run


def member_id_of(principal: Principal) -> UUID:
    try:
        return UUID(principal.subject)
    except ValueError:
        raise as_problem(CampaignNotFound()) from None


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
    facts = await handlers.member_facts(uow, member_id_of(principal))
    if campaign.status == CampaignStatus.SCHEDULED or not in_audience(
        handlers.audience_of(campaign), facts
    ):
        raise as_problem(CampaignNotFound())
    return campaign


router = APIRouter(prefix="/campaigns", tags=["campaigns"])


# -- campaigns --------------------------------------------------------------------------------


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a campaign (opens at once if opens_at has passed)",
)
async def create_campaign(
    body: CampaignCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> CampaignRead:
    campaign = await run(
        handlers.create_campaign(
            commands.CreateCampaign(
                title=body.title,
                question=body.question,
                context=body.context,
                audience=Audience(body.audience, body.cohort_id, tuple(body.sectors)),
                anonymity=body.anonymity,
                questions=tuple(Question.from_json(q.model_dump()) for q in body.questions),
                opens_at=body.opens_at,
                closes_at=body.closes_at,
                created_by=admin.subject,
                seed_statements=tuple(body.statements),
            ),
            uow,
        )
    )
    await uow.commit()
    return CampaignRead.of(campaign)


@router.get(
    "", summary="Campaigns: all for admins, open and closed ones in their audience for members"
)
async def list_campaigns(
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    limit: PageSize = 20,
    cursor: PageCursor = None,
    status_filter: Annotated[CampaignStatus | None, Query(alias="status")] = None,
) -> Page[CampaignRead]:
    rows = await views.campaigns_page(
        uow.session,
        member_id=None if is_admin(principal) else member_id_of(principal),
        cursor=Cursor.decode(cursor) if cursor else None,
        limit=limit,
        status=status_filter,
    )
    page = rows[:limit]
    next_cursor = Cursor(page[-1].created_at, page[-1].id).encode() if len(rows) > limit else None
    return Page[CampaignRead](items=[CampaignRead.of(c) for c in page], next_cursor=next_cursor)


@router.get("/{campaign_id}", summary="One campaign with its questions")
async def get_campaign(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> CampaignRead:
    return CampaignRead.of(await visible_campaign(uow, campaign_id, principal))


@router.post(
    "/{campaign_id}/close",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Close now: answers and votes stop at once; the final report follows in seconds",
)
async def close_campaign(
    campaign_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> CampaignRead:
    campaign = await run(
        handlers.close_campaign(commands.CloseCampaign(campaign_id, admin.subject), uow)
    )
    await uow.commit()
    return CampaignRead.of(campaign)


# -- responses --------------------------------------------------------------------------------


def _response_read(campaign_id: UUID, response: Any) -> ResponseRead:
    return ResponseRead(
        campaign_id=campaign_id,
        answers=response.answers,
        revision=response.revision,
        anonymous=response.member_id is None,
    )


@router.put(
    "/{campaign_id}/response",
    summary="Answer, or change your answer, while the campaign is open",
    responses={201: {"description": "First answer"}, 200: {"description": "Answer changed"}},
)
async def put_response(
    campaign_id: UUID,
    body: ResponseWrite,
    uow: UnitOfWorkDep,
    member: Participant,
    ids: PseudonymsDep,
    http_response: Response,
) -> ResponseRead:
    saved, created = await run(
        handlers.submit_response(
            commands.SubmitResponse(campaign_id, member_id_of(member), dict(body.answers)),
            uow,
            ids,
        )
    )
    await uow.commit()
    http_response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _response_read(campaign_id, saved)


@router.get("/{campaign_id}/response", summary="Your own answer (nobody else's)")
async def get_response(
    campaign_id: UUID, uow: UnitOfWorkDep, member: Participant, ids: PseudonymsDep
) -> ResponseRead:
    found = await run(handlers.my_response(uow, campaign_id, member_id_of(member), ids))
    if found is None:
        raise Problem(404, "Not found", "You have not answered this campaign.", "no-response")
    return _response_read(campaign_id, found)


# -- statements and votes ---------------------------------------------------------------------

_VOTES = {1: Vote.AGREE, -1: Vote.DISAGREE, 0: Vote.PASS}


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor")
    return int(cursor)


@router.post(
    "/{campaign_id}/statements",
    status_code=status.HTTP_201_CREATED,
    summary="Add a statement (members: waits for moderation; admins: approved at once)",
)
async def create_statement(
    campaign_id: UUID,
    body: StatementCreate,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    ids: PseudonymsDep,
    settings: SettingsDep,
) -> StatementRead:
    admin = is_admin(principal)
    if not admin and not principal.has_role("member"):
        raise Problem(403, "Forbidden", "This needs the role member.", "forbidden")
    statement = await run(
        handlers.submit_statement(
            commands.SubmitStatement(campaign_id, member_id_of(principal), body.text, admin),
            uow,
            ids,
            limit=settings.statements_per_member,
        )
    )
    await uow.commit()
    return StatementRead(id=statement.id, text=statement.text, status=statement.status)


@router.get(
    "/{campaign_id}/statements",
    summary="Statements: approved ones with your vote (members), any status (admins)",
)
async def list_statements(
    campaign_id: UUID,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    ids: PseudonymsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: PageCursor = None,
    status_filter: Annotated[StatementStatus | None, Query(alias="status")] = None,
) -> Page[StatementRead]:
    campaign = await visible_campaign(uow, campaign_id, principal)
    after = _after(cursor)
    items: list[StatementRead]
    if is_admin(principal):
        admin_rows = await views.statements_for_admin(
            uow.session, campaign.id, status_filter, after=after, limit=limit
        )
        seqs = [s.seq for s, _ in admin_rows]
        items = [
            StatementRead(
                id=s.id,
                text=s.text,
                status=s.status,
                rejection_reason=s.rejection_reason,
                votes=count,
            )
            for s, count in admin_rows
        ]
    else:
        name = await ids.of(uow, member_id_of(principal), campaign.id)
        member_rows = await views.statements_for_member(
            uow.session, campaign.id, name, after=after, limit=limit
        )
        seqs = [s.seq for s, _ in member_rows]
        items = [
            StatementRead(
                id=s.id, text=s.text, status=s.status, my_vote=None if v is None else _VOTES[v]
            )
            for s, v in member_rows
        ]
        await uow.commit()  # the member's salt, if this was their first visit
    more = len(items) > limit
    return Page[StatementRead](
        items=items[:limit], next_cursor=str(seqs[limit - 1]) if more else None
    )


@router.post(
    "/{campaign_id}/statements/{statement_id}/moderation",
    summary="Approve a statement, or reject it with a reason",
)
async def moderate_statement(
    campaign_id: UUID,
    statement_id: UUID,
    body: ModerationDecision,
    uow: UnitOfWorkDep,
    admin: ProgrammeAdmin,
) -> StatementRead:
    statement = await run(
        handlers.moderate_statement(
            commands.ModerateStatement(
                campaign_id, statement_id, body.decision == "approve", body.reason, admin.subject
            ),
            uow,
        )
    )
    await uow.commit()
    return StatementRead(
        id=statement.id,
        text=statement.text,
        status=statement.status,
        rejection_reason=statement.rejection_reason,
    )


@router.post(
    "/{campaign_id}/statements/{statement_id}/votes",
    status_code=status.HTTP_201_CREATED,
    summary="Vote agree, disagree or pass on an approved statement (once; votes are final)",
)
async def cast_vote(
    campaign_id: UUID,
    statement_id: UUID,
    body: VoteCreate,
    uow: UnitOfWorkDep,
    member: Participant,
    ids: PseudonymsDep,
) -> VoteRead:
    await run(
        handlers.cast_vote(
            commands.CastVote(campaign_id, statement_id, member_id_of(member), body.vote),
            uow,
            ids,
        )
    )
    await uow.commit()
    return VoteRead(statement_id=statement_id, vote=body.vote)


# -- reports ----------------------------------------------------------------------------------


@router.post(
    "/{campaign_id}/report",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a report now (interim while open, final once closed)",
)
async def publish_report(
    campaign_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin, ids: PseudonymsDep
) -> CampaignReportPublishedV1:
    document = await run(
        handlers.publish_report(commands.PublishReport(campaign_id, admin.subject), uow, ids)
    )
    await uow.commit()
    return document


async def readable_report(uow: UnitOfWorkDep, campaign_id: UUID, principal: Principal) -> Report:
    """Admins read any report; audience members the final one, once the campaign has closed."""
    campaign = await visible_campaign(uow, campaign_id, principal)
    report = await run(handlers.latest_report(uow, campaign.id))
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
    name = await ids.of(uow, member_id_of(member), campaign_id)
    placement = await uow.session.get(GroupPlacement, (campaign_id, name))
    document = CampaignReportPublishedV1.model_validate(report.document)
    group = next(
        (g for g in document.groups if placement and g.label == placement.group_label), None
    )
    if group is None:
        raise as_problem(NotPlaced())
    await uow.commit()
    return MyGroupRead(
        campaign_id=campaign_id,
        label=group.label,
        size=group.size,
        distinctive=[d.model_dump(mode="json") for d in group.distinctive],
        report_version=document.version,
    )


@router.post(
    "/{campaign_id}/follow-ups",
    status_code=status.HTTP_201_CREATED,
    summary="Record 'you said, we did' on a published report",
)
async def post_follow_up(
    campaign_id: UUID, body: FollowUpCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> FollowUpRead:
    follow_up = await run(
        handlers.post_follow_up(
            commands.PostFollowUp(campaign_id, body.you_said, body.we_did, admin.subject), uow
        )
    )
    await uow.commit()
    return FollowUpRead.model_validate(follow_up)


@router.get("/{campaign_id}/follow-ups", summary="'You said, we did' for this campaign")
async def list_follow_ups(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[FollowUpRead]:
    campaign = await visible_campaign(uow, campaign_id, principal)
    return [
        FollowUpRead.model_validate(f) for f in await views.follow_ups(uow.session, campaign.id)
    ]


ROUTERS: list[APIRouter] = [router]
