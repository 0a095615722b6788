"""The curation workflow's rules, without I/O."""

from __future__ import annotations

import pytest

from services.content.domain.errors import IllegalTransition, NotPermitted
from services.content.domain.model import (
    SCHEDULER,
    TRANSITIONS,
    Action,
    Actor,
    ItemStatus,
    may_see,
    next_status,
)

AUTHOR = Actor("alice", frozenset({"member", "curator"}))
OTHER = Actor("bob", frozenset({"member", "curator"}))
ADMIN = Actor("carol", frozenset({"programme_admin"}))
MEMBER = Actor("dan", frozenset({"member"}))


def test_the_happy_path_through_review() -> None:
    status = ItemStatus.DRAFT
    for action, actor in (
        (Action.SUBMIT, AUTHOR),
        (Action.APPROVE, OTHER),
        (Action.PUBLISH, AUTHOR),
        (Action.UPDATE, OTHER),
        (Action.WITHDRAW, ADMIN),
    ):
        status = next_status(status, action, actor, author=AUTHOR.id)
    assert status is ItemStatus.WITHDRAWN


def test_nobody_approves_their_own_item_not_even_an_admin() -> None:
    with pytest.raises(NotPermitted):
        next_status(ItemStatus.SUBMITTED, Action.APPROVE, AUTHOR, author=AUTHOR.id)
    with pytest.raises(NotPermitted):
        next_status(ItemStatus.SUBMITTED, Action.APPROVE, ADMIN, author=ADMIN.id)
    assert next_status(ItemStatus.SUBMITTED, Action.APPROVE, ADMIN, author=AUTHOR.id) is (
        ItemStatus.APPROVED
    )


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(ItemStatus))
def test_members_can_take_no_step_and_only_listed_transitions_exist(
    status: ItemStatus, action: Action
) -> None:
    with pytest.raises(NotPermitted):
        next_status(status, action, MEMBER, author=AUTHOR.id)
    if action is Action.PUBLISH_SCHEDULED:
        return
    if (status, action) in TRANSITIONS:
        assert next_status(status, action, OTHER, author=AUTHOR.id) is TRANSITIONS[status, action]
    else:
        with pytest.raises(IllegalTransition):
            next_status(status, action, OTHER, author=AUTHOR.id)


def test_only_the_scheduler_publishes_scheduled_items() -> None:
    with pytest.raises(NotPermitted):
        next_status(ItemStatus.SCHEDULED, Action.PUBLISH_SCHEDULED, ADMIN, author=AUTHOR.id)
    scheduler = Actor(SCHEDULER, frozenset())
    assert (
        next_status(ItemStatus.SCHEDULED, Action.PUBLISH_SCHEDULED, scheduler, author=AUTHOR.id)
        is ItemStatus.PUBLISHED
    )
    with pytest.raises(IllegalTransition):
        next_status(ItemStatus.PUBLISHED, Action.PUBLISH_SCHEDULED, scheduler, author=AUTHOR.id)


def test_audience_rules() -> None:
    assert may_see("everyone", [], [], member_cohorts=[], member_sector=None)
    assert may_see("cohorts", ["c1"], [], member_cohorts=["c1", "c2"], member_sector=None)
    assert not may_see("cohorts", ["c1"], [], member_cohorts=["c2"], member_sector="health")
    assert may_see("sectors", [], ["health"], member_cohorts=[], member_sector="health")
    assert not may_see("sectors", [], ["health"], member_cohorts=[], member_sector=None)
    assert not may_see("unknown", [], [], member_cohorts=[], member_sector=None)
