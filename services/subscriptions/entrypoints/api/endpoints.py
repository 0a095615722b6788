"""Webhook endpoints: register, verify, rotate the secret, the delivery log, dead letters,
redelivery and replay. Thin: check, call the handler, commit."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.chassis.runtime import UnitOfWorkDep
from services.subscriptions import handlers, views
from services.subscriptions.adapters.orm import Endpoint
from services.subscriptions.domain.commands import (
    RedeliverParked,
    RegisterEndpoint,
    RemoveEndpoint,
    ReplayEvents,
    RotateSecret,
    VerifyEndpoint,
)
from services.subscriptions.entrypoints.api.dependencies import (
    PROBLEMS,
    OwnerDep,
    SettingsDep,
    SubscriberDep,
)
from services.subscriptions.schemas import (
    AttemptPage,
    AttemptRead,
    EndpointCreate,
    EndpointRead,
    EndpointSecret,
    ParkedPage,
    ParkedRead,
    Redelivered,
    ReplayRequest,
)

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
    command = RegisterEndpoint(
        subscriber=principal.subject,
        scopes=tuple(principal.scopes),
        url=body.url,
        event_types=tuple(body.event_types),
        description=body.description,
    )
    endpoint = await PROBLEMS.run(handlers.register_endpoint(command, uow, settings=settings))
    await uow.commit()
    await uow.session.refresh(endpoint)
    return EndpointSecret(endpoint=_read(endpoint), secret=endpoint.secret)


@endpoints.get("", response_model=list[EndpointRead], summary="Your endpoints (admins: all)")
async def list_endpoints(uow: UnitOfWorkDep, owner: OwnerDep) -> list[EndpointRead]:
    return [_read(e) for e in await views.endpoints(uow.session, owner)]


@endpoints.get("/{endpoint_id}", response_model=EndpointRead, summary="One endpoint")
async def read_endpoint(endpoint_id: UUID, uow: UnitOfWorkDep, owner: OwnerDep) -> EndpointRead:
    endpoint = await PROBLEMS.run(views.owned_endpoint(uow.session, endpoint_id, owner))
    return _read(endpoint, await views.delivery_counts(uow.session, endpoint.id))


@endpoints.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an endpoint"
)
async def delete_endpoint(
    endpoint_id: UUID, uow: UnitOfWorkDep, principal: SubscriberDep
) -> Response:
    command = RemoveEndpoint(endpoint_id, principal.subject)
    await PROBLEMS.run(handlers.remove_endpoint(command, uow))
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
    command = VerifyEndpoint(endpoint_id, principal.subject)
    endpoint = await PROBLEMS.run(handlers.verify_endpoint(command, uow, settings=settings))
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
    command = RotateSecret(endpoint_id, principal.subject)
    endpoint = await PROBLEMS.run(handlers.rotate_secret(command, uow, settings=settings))
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
    endpoint = await PROBLEMS.run(views.owned_endpoint(uow.session, endpoint_id, owner))
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
    endpoint = await PROBLEMS.run(views.owned_endpoint(uow.session, endpoint_id, owner))
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
    command = RedeliverParked(endpoint_id, principal.subject, delivery_id=None)
    queued = await PROBLEMS.run(handlers.redeliver_parked(command, uow))
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
    command = RedeliverParked(endpoint_id, principal.subject, delivery_id=delivery_id)
    queued = await PROBLEMS.run(handlers.redeliver_parked(command, uow))
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
    command = ReplayEvents(
        endpoint_id, principal.subject, tuple(sorted(principal.scopes)), since=body.since
    )
    queued = await PROBLEMS.run(handlers.replay_events(command, uow, settings=settings))
    await uow.commit()
    return Redelivered(queued=queued)
