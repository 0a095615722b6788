"""What the subscriptions routes share: settings, the caller as subscriber or owner, problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import DomainProblems, Problem
from services.chassis.runtime import ServiceRuntime, settings_dependency
from services.chassis.tokens import Principal
from services.subscriptions import handlers
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.domain.commands import RememberSubscriber
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


SettingsDep = Annotated[SubscriptionsSettings, Depends(settings_dependency(SubscriptionsSettings))]


async def _subscriber(request: Request, principal: CurrentPrincipal) -> Principal:
    """A department's service account; its token's scopes are remembered for deliveries."""
    if not principal.has_role(SUBSCRIBER_ROLE):
        raise Problem(403, "Forbidden", f"This needs the role {SUBSCRIBER_ROLE}.", "forbidden")
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        command = RememberSubscriber(principal.subject, tuple(sorted(principal.scopes)))
        await handlers.remember_subscriber(command, uow)
        await uow.commit()
    return principal


async def _owner_or_admin(request: Request, principal: CurrentPrincipal) -> str | None:
    """Whose endpoints the caller may see: its own, or (programme admins) everyone's: None."""
    if principal.has_role(ADMIN_ROLE):
        return None
    return (await _subscriber(request, principal)).subject


SubscriberDep = Annotated[Principal, Depends(_subscriber)]
OwnerDep = Annotated[str | None, Depends(_owner_or_admin)]


def retention(settings: SubscriptionsSettings) -> timedelta:
    return timedelta(hours=settings.outbox_retention_hours)


def domain_call(call: Callable[[], T]) -> T:
    """Run a synchronous domain call, answering its error with its problem."""
    try:
        return call()
    except SubscriptionsError as exc:
        raise PROBLEMS.problem(exc) from exc
