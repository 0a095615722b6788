"""Subscriptions' HTTP routes: the pull feed and webhook endpoints. Thin: check, call, commit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import DomainProblems, Problem
from services.chassis.runtime import ServiceRuntime, UnitOfWorkDep
from services.chassis.tokens import Principal
from services.subscriptions import handlers, views
from services.subscriptions.adapters.orm import Endpoint
from services.subscriptions.adapters.webhook_client import DELIVERY_ERRORS, webhook_client
from services.subscriptions.adapters.webhook_targets import TargetPolicy
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.domain import signatures
from services.subscriptions.domain.cursors import CursorSeal
from services.subscriptions.domain.errors import (
    BadCursor,
    BeyondRetention,
    DeliveryNotFound,
    EndpointNotFound,
    NotInScope,
    NotVerified,
    SubscriptionsError,
    TargetNotAllowed,
    TooManyEndpoints,
    UnknownEventTypes,
    VerificationFailed,
)
from services.subscriptions.domain.model import check_types, granted_types
from services.subscriptions.schemas import (
    AttemptPage,
    AttemptRead,
    EndpointCreate,
    EndpointRead,
    EndpointSecret,
    FeedRead,
    ParkedPage,
    ParkedRead,
    Redelivered,
    ReplayRequest,
)

T = TypeVar("T")
SUBSCRIBER_ROLE = "department_subscriber"
ADMIN_ROLE = "programme_admin"

PROBLEMS = DomainProblems(
    SubscriptionsError,
    {
        EndpointNotFound: (404, "Endpoint not found", "endpoint-not-found"),
        DeliveryNotFound: (404, "Delivery not found", "delivery-not-found"),
        UnknownEventTypes: (422, "Unknown event types", "unknown-event-types"),
        NotInScope: (403, "Not in your scopes", "not-in-scope"),
        TargetNotAllowed: (422, "Endpoint URL not allowed", "target-not-allowed"),
        TooManyEndpoints: (409, "Too many endpoints", "too-many-endpoints"),
        VerificationFailed: (422, "Verification failed", "verification-failed"),
        NotVerified: (409, "Endpoint not verified", "endpoint-not-verified"),
        BadCursor: (400, "Bad cursor", "bad-cursor"),
        BeyondRetention: (410, "Beyond retention", "beyond-retention"),
    },
)


def _runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _settings(request: Request) -> SubscriptionsSettings:
    settings = _runtime(request).settings
    assert isinstance(settings, SubscriptionsSettings)
    return settings


SettingsDep = Annotated[SubscriptionsSettings, Depends(_settings)]


async def _subscriber(request: Request, principal: CurrentPrincipal) -> Principal:
    """A department's service account; its token's scopes are remembered for deliveries."""
    if not principal.has_role(SUBSCRIBER_ROLE):
        raise Problem(403, "Forbidden", f"This needs the role {SUBSCRIBER_ROLE}.", "forbidden")
    async with _runtime(request).unit_of_work() as uow:
        await handlers.remember_subscriber(uow, principal.subject, sorted(principal.scopes))
        await uow.commit()
    return principal


async def _owner_or_admin(request: Request, principal: CurrentPrincipal) -> str | None:
    """Whose endpoints the caller may see: its own, or (programme admins) everyone's: None."""
    if principal.has_role(ADMIN_ROLE):
        return None
    return (await _subscriber(request, principal)).subject


SubscriberDep = Annotated[Principal, Depends(_subscriber)]
OwnerDep = Annotated[str | None, Depends(_owner_or_admin)]


def _retention(settings: SubscriptionsSettings) -> timedelta:
    return timedelta(hours=settings.outbox_retention_hours)


def _domain(call: Callable[[], T]) -> T:
    """Run a synchronous domain call, answering its error with its problem."""
    try:
        return call()
    except SubscriptionsError as exc:
        raise PROBLEMS.problem(exc) from exc


# -- the pull feed ----------------------------------------------------------------------------

feed = APIRouter(prefix="/events", tags=["pull feed"])


@feed.get("", summary="Public events in order, as CloudEvents JSON", response_model=FeedRead)
async def read_feed(
    uow: UnitOfWorkDep,
    principal: SubscriberDep,
    settings: SettingsDep,
    after: Annotated[str | None, Query(max_length=200, description="`next_cursor`")] = None,
    since: Annotated[datetime | None, Query(description="Start from this time instead")] = None,
    types: Annotated[
        str | None, Query(max_length=4000, description="Comma-separated event types")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FeedRead:
    """Only the types your token's scopes grant; `types` narrows them (403 for others)."""
    if since is not None and since.tzinfo is None:
        raise Problem(400, "Bad time", "Give `since` with a time zone, e.g. ...Z.", "bad-time")
    if types:
        named = [t.strip() for t in types.split(",") if t.strip()]
        wanted = _domain(lambda: check_types(named, principal.scopes))
    else:
        wanted = sorted(granted_types(principal.scopes))
    seal = CursorSeal(settings.cursor_key.get_secret_value().encode())
    position = _domain(lambda: seal.decode(after)) if after else None
    page = await PROBLEMS.run(
        views.feed_page(
            uow.session,
            types=wanted,
            after=position,
            since=since,
            limit=limit,
            retention=_retention(settings),
        )
    )
    return FeedRead(
        events=[views.cloud_event(event) for event in page.events],
        next_cursor=seal.encode(page.next_position),
    )


# -- webhook endpoints ------------------------------------------------------------------------

endpoints = APIRouter(prefix="/endpoints", tags=["webhook endpoints"])


def _read(endpoint: Endpoint, counts: dict[str, int] | None = None) -> EndpointRead:
    return EndpointRead(
        id=endpoint.id,
        subscriber=endpoint.subscriber,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        status=endpoint.status,
        created_at=endpoint.created_at,
        verified_at=endpoint.verified_at,
        deliveries=counts,
    )


@endpoints.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointSecret,
    summary="Register an endpoint (pending until verified)",
)
async def register_endpoint(
    body: EndpointCreate, uow: UnitOfWorkDep, principal: SubscriberDep, settings: SettingsDep
) -> EndpointSecret:
    event_types = _domain(lambda: check_types(body.event_types, principal.scopes))
    policy = TargetPolicy(settings.development_targets())
    await PROBLEMS.run(policy.check(body.url))
    endpoint = await PROBLEMS.run(
        handlers.register_endpoint(
            uow,
            subscriber=principal.subject,
            url=body.url,
            event_types=event_types,
            description=body.description,
            limit=settings.endpoints_per_subscriber,
        )
    )
    await uow.commit()
    await uow.session.refresh(endpoint)
    return EndpointSecret(endpoint=_read(endpoint), secret=endpoint.secret)


@endpoints.get("", response_model=list[EndpointRead], summary="Your endpoints (admins: all)")
async def list_endpoints(uow: UnitOfWorkDep, owner: OwnerDep) -> list[EndpointRead]:
    return [_read(e) for e in await views.endpoints(uow.session, owner)]


@endpoints.get("/{endpoint_id}", response_model=EndpointRead, summary="One endpoint")
async def read_endpoint(endpoint_id: UUID, uow: UnitOfWorkDep, owner: OwnerDep) -> EndpointRead:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, owner))
    return _read(endpoint, await views.delivery_counts(uow.session, endpoint.id))


@endpoints.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an endpoint"
)
async def delete_endpoint(
    endpoint_id: UUID, uow: UnitOfWorkDep, principal: SubscriberDep
) -> Response:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, principal.subject))
    await uow.session.delete(endpoint)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@endpoints.post(
    "/{endpoint_id}/verify",
    response_model=EndpointRead,
    summary="Send the signed challenge; the endpoint must echo it",
)
async def verify_endpoint(
    endpoint_id: UUID, uow: UnitOfWorkDep, principal: SubscriberDep, settings: SettingsDep
) -> EndpointRead:
    endpoint = await PROBLEMS.run(
        handlers.owned_endpoint(uow, endpoint_id, principal.subject, lock=True)
    )
    sent = handlers.challenge()
    body = json.dumps(sent, separators=(",", ":")).encode()
    headers = signatures.headers(
        signatures.secrets_in_use(
            endpoint.secret,
            endpoint.previous_secret,
            endpoint.previous_secret_until,
            datetime.now(UTC),
        ),
        f"challenge_{endpoint.id}_{int(time.time() * 1000)}",
        int(time.time()),
        body,
    )
    policy = TargetPolicy(settings.development_targets())
    async with webhook_client(
        policy, timeout=settings.delivery_timeout_seconds, connections=1
    ) as client:
        try:
            response = await PROBLEMS.run(client.post(endpoint.url, content=body, headers=headers))
        except DELIVERY_ERRORS as exc:
            raise PROBLEMS.problem(
                VerificationFailed(f"The endpoint could not be reached ({type(exc).__name__}).")
            ) from exc
    try:
        answer: object = response.json()
    except ValueError:
        answer = None
    _domain(lambda: handlers.check_challenge_answer(sent, response.status_code, answer))
    handlers.mark_verified(endpoint)
    await uow.commit()
    return _read(endpoint)


@endpoints.post(
    "/{endpoint_id}/rotate-secret",
    response_model=EndpointSecret,
    summary="New signing secret; the old one still signs during the overlap window",
)
async def rotate_secret(
    endpoint_id: UUID, uow: UnitOfWorkDep, principal: SubscriberDep, settings: SettingsDep
) -> EndpointSecret:
    endpoint = await PROBLEMS.run(
        handlers.owned_endpoint(uow, endpoint_id, principal.subject, lock=True)
    )
    handlers.rotate_secret(endpoint, timedelta(hours=settings.secret_overlap_hours))
    await uow.commit()
    return EndpointSecret(
        endpoint=_read(endpoint),
        secret=endpoint.secret,
        previous_secret_valid_until=endpoint.previous_secret_until,
    )


@endpoints.get(
    "/{endpoint_id}/deliveries",
    response_model=AttemptPage,
    summary="The delivery log: every attempt, newest first",
)
async def delivery_log(
    endpoint_id: UUID,
    uow: UnitOfWorkDep,
    owner: OwnerDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AttemptPage:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, owner))
    rows = await views.attempts(uow.session, endpoint.id, before=before, limit=limit)
    return AttemptPage(
        items=[AttemptRead.model_validate(row, from_attributes=True) for row in rows],
        next_before=rows[-1].id if len(rows) == limit else None,
    )


@endpoints.get(
    "/{endpoint_id}/dead-letters",
    response_model=ParkedPage,
    summary="Deliveries that ran out of retry time, oldest first",
)
async def dead_letters(
    endpoint_id: UUID,
    uow: UnitOfWorkDep,
    owner: OwnerDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ParkedPage:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, owner))
    rows = await views.parked(uow.session, endpoint.id, after=after, limit=limit)
    return ParkedPage(
        items=[
            ParkedRead(
                delivery_id=delivery.id,
                attempts=delivery.attempts,
                last_status=delivery.last_status,
                last_error=delivery.last_error,
                parked_at=delivery.finished_at,
                event=views.cloud_event(event),
            )
            for delivery, event in rows
        ],
        next_after=rows[-1][0].id if len(rows) == limit else None,
    )


@endpoints.post(
    "/{endpoint_id}/dead-letters/redeliver",
    response_model=Redelivered,
    summary="Send every parked delivery again",
)
async def redeliver_all(
    endpoint_id: UUID, uow: UnitOfWorkDep, principal: SubscriberDep
) -> Redelivered:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, principal.subject))
    queued = await PROBLEMS.run(handlers.redeliver(uow, endpoint, None))
    await uow.commit()
    return Redelivered(queued=queued)


@endpoints.post(
    "/{endpoint_id}/dead-letters/{delivery_id}/redeliver",
    response_model=Redelivered,
    summary="Send one parked delivery again",
)
async def redeliver_one(
    endpoint_id: UUID, delivery_id: int, uow: UnitOfWorkDep, principal: SubscriberDep
) -> Redelivered:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, principal.subject))
    queued = await PROBLEMS.run(handlers.redeliver(uow, endpoint, delivery_id))
    await uow.commit()
    return Redelivered(queued=queued)


@endpoints.post(
    "/{endpoint_id}/replay",
    response_model=Redelivered,
    summary="Deliver again every retained event since a time",
)
async def replay(
    endpoint_id: UUID,
    body: ReplayRequest,
    uow: UnitOfWorkDep,
    principal: SubscriberDep,
    settings: SettingsDep,
) -> Redelivered:
    endpoint = await PROBLEMS.run(handlers.owned_endpoint(uow, endpoint_id, principal.subject))
    if endpoint.status != "active":
        raise PROBLEMS.problem(NotVerified())
    queued = await PROBLEMS.run(
        handlers.replay(uow, endpoint, sorted(principal.scopes), body.since, _retention(settings))
    )
    await uow.commit()
    return Redelivered(queued=queued)


ROUTERS = [feed, endpoints]
