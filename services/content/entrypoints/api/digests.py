"""Weekly digests: building a week's now (programme admins), and the unsubscribe link's page."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse

from services.chassis.runtime import RuntimeDep, UnitOfWorkDep
from services.content.domain import commands
from services.content.domain.digests import iso_week
from services.content.entrypoints.api.dependencies import LinkSigningKey, ProgrammeAdmin
from services.content.entrypoints.api.problems import run
from services.content.entrypoints.worker import build_weekly_digests
from services.content.handlers import digests as digest_handlers
from services.content.schemas import DigestRunCreate, DigestRunRead

router = APIRouter(prefix="/digests", tags=["digests"])


@router.post(
    "/runs",
    summary="Build a week's digests now (default: this week); members who have one are skipped",
)
async def run_digests(
    runtime: RuntimeDep, _: ProgrammeAdmin, body: DigestRunCreate | None = None
) -> DigestRunRead:
    week = (body.week if body else None) or iso_week(datetime.now(UTC))
    # The same builder the weekly worker runs; it commits batch by batch.
    result = await run(build_weekly_digests(runtime, week))
    return DigestRunRead(week=result.week, members=result.members, queued=result.queued)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Convene</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


@router.get(
    "/unsubscribe", summary="The page an unsubscribe link opens", response_class=HTMLResponse
)
async def unsubscribe_page(token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    # Confirm with a POST: mail scanners open links, and must not unsubscribe anyone.
    body = (
        "<p>Stop getting the weekly Convene digest email?</p>"
        '<form method="post" action="unsubscribe">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(title="Unsubscribe", body=body))


@router.post(
    "/unsubscribe", summary="Stop the weekly digest (signed link)", response_class=HTMLResponse
)
async def unsubscribe(
    token: Annotated[str, Form(max_length=200)], uow: UnitOfWorkDep, signing_key: LinkSigningKey
) -> HTMLResponse:
    await run(
        digest_handlers.unsubscribe(commands.Unsubscribe(token), uow, signing_key=signing_key)
    )
    await uow.commit()
    body = (
        "<p>You will not get the weekly digest any more. You can turn it back on in your "
        "Convene settings.</p>"
    )
    return HTMLResponse(_PAGE.format(title="You have unsubscribed", body=body))
