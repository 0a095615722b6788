"""Content's domain rules: item kinds, the curation workflow and who may move an item along it.

Pure: no I/O. Handlers load rows, ask these functions what is allowed, then change the rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.content.domain.errors import IllegalTransition, InvalidItem, NotPermitted


class ItemKind(StrEnum):
    ARTICLE = "article"
    EVENT = "event"
    RESOURCE = "resource"
    SUPPORT_OFFER = "support_offer"


class ItemStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class AudienceKind(StrEnum):
    EVERYONE = "everyone"
    COHORTS = "cohorts"
    SECTORS = "sectors"


class Action(StrEnum):
    """Every workflow step; each is one audit entry."""

    CREATE = "create"
    EDIT = "edit"
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"
    PUBLISH = "publish"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    PUBLISH_SCHEDULED = "publish_scheduled"
    UPDATE = "update"
    WITHDRAW = "withdraw"


CURATOR_ROLES = frozenset({"curator", "programme_admin"})
#: The scheduler acts as this principal when a scheduled item falls due.
SCHEDULER = "system:scheduler"

# (from status, action) -> to status. Anything not listed is an illegal transition (409).
TRANSITIONS: dict[tuple[ItemStatus, Action], ItemStatus] = {
    (ItemStatus.DRAFT, Action.EDIT): ItemStatus.DRAFT,
    (ItemStatus.DRAFT, Action.SUBMIT): ItemStatus.SUBMITTED,
    (ItemStatus.SUBMITTED, Action.RETURN): ItemStatus.DRAFT,
    (ItemStatus.SUBMITTED, Action.APPROVE): ItemStatus.APPROVED,
    (ItemStatus.APPROVED, Action.RETURN): ItemStatus.DRAFT,
    (ItemStatus.APPROVED, Action.PUBLISH): ItemStatus.PUBLISHED,
    (ItemStatus.APPROVED, Action.SCHEDULE): ItemStatus.SCHEDULED,
    (ItemStatus.SCHEDULED, Action.UNSCHEDULE): ItemStatus.APPROVED,
    (ItemStatus.SCHEDULED, Action.PUBLISH_SCHEDULED): ItemStatus.PUBLISHED,
    (ItemStatus.PUBLISHED, Action.UPDATE): ItemStatus.PUBLISHED,
    (ItemStatus.PUBLISHED, Action.WITHDRAW): ItemStatus.WITHDRAWN,
    (ItemStatus.SCHEDULED, Action.WITHDRAW): ItemStatus.WITHDRAWN,
}


@dataclass(frozen=True)
class Actor:
    """Who asks for a workflow step: a member id (or SCHEDULER) and their roles."""

    id: str
    roles: frozenset[str]

    @property
    def is_curator(self) -> bool:
        return bool(self.roles & CURATOR_ROLES)


def next_status(current: ItemStatus, action: Action, actor: Actor, *, author: str) -> ItemStatus:
    """The status `action` moves an item to, or an error saying why it may not happen.

    Raises `NotPermitted` when the actor may not act (a member; the author approving their
    own item: four eyes apply to admins too) and `IllegalTransition` when the item's status
    does not allow the action.
    """
    if action is Action.PUBLISH_SCHEDULED:
        if actor.id != SCHEDULER:
            raise NotPermitted("Only the scheduler publishes a scheduled item.")
    elif not actor.is_curator:
        raise NotPermitted("This needs the role curator or programme_admin.")
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise IllegalTransition(current.value, action.value)
    if action is Action.APPROVE and actor.id == author:
        raise NotPermitted("You cannot approve an item you wrote; ask another curator or an admin.")
    return target


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(value: str) -> str:
    """`Local Government` -> `local-government`; tags and topics are compared as slugs."""
    return _SLUG.sub("-", value.strip().lower()).strip("-")


def slugs(values: Iterable[str]) -> list[str]:
    """Slugs of `values`, without blanks or repeats, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        slug = slugify(value)
        if slug:
            seen.setdefault(slug, None)
    return list(seen)


def label(slug: str) -> str:
    """How a tag reads in a sentence: `local-government` -> `local government`."""
    return slug.replace("-", " ")


def check_event_times(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """An event needs a start with a time zone, and an end (if any) after it."""
    if starts_at is None:
        raise InvalidItem("An event needs a start time (starts_at).")
    if starts_at.tzinfo is None or (ends_at is not None and ends_at.tzinfo is None):
        raise InvalidItem("Give event times with a time zone, e.g. 2026-12-01T09:30:00Z.")
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidItem("An event must end after it starts.")


def may_see(
    audience: str,
    audience_cohort_ids: Iterable[object],
    audience_sectors: Iterable[str],
    *,
    member_cohorts: Iterable[object],
    member_sector: str | None,
) -> bool:
    """Whether a member may see a published item meant for `audience` (views filter alike)."""
    if audience == AudienceKind.EVERYONE:
        return True
    if audience == AudienceKind.COHORTS:
        return bool(set(audience_cohort_ids) & set(member_cohorts))
    if audience == AudienceKind.SECTORS:
        return member_sector is not None and member_sector in set(audience_sectors)
    return False
