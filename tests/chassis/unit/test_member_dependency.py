"""Only a member's token gives a current member; a department's service account is refused."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.chassis.auth import member_id_of
from services.chassis.problems import Problem
from services.chassis.tokens import Principal


def test_a_member_token_names_the_member() -> None:
    member = uuid4()
    assert (
        member_id_of(Principal(subject=str(member), roles=frozenset({"member"}), token_id="t1"))
        == member
    )


def test_a_service_account_is_not_a_member() -> None:
    account = Principal(
        subject="svc-home-office", roles=frozenset({"department_subscriber"}), token_id="t2"
    )
    with pytest.raises(Problem) as raised:
        member_id_of(account)
    assert (raised.value.status, raised.value.code) == (403, "not-a-member")
