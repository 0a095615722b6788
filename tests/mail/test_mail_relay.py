"""The mail relay: prompt, at least once, retrying with backoff, giving up on what is final."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from mail_support import (
    RecordingSender,
    RefusingSender,
    commit_mail,
    is_sent,
    mail_row,
    sign_in_template,
)
from sqlalchemy import text
from support import eventually

from services.chassis.database import create_engine
from services.chassis.mail import MailRelay


async def lease(engine, message_id, *, owner: str, seconds: float) -> None:
    """Make `message_id` look claimed by relay `owner`, its lease ending `seconds` from now."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE mail_outbox SET lease_owner = :owner, attempts = attempts + 1,"
                " lease_until = now() + make_interval(secs => :seconds) WHERE message_id = :id"
            ),
            {"owner": owner, "seconds": seconds, "id": message_id},
        )


async def test_running_relay_wakes_on_notify_long_before_its_sweep(
    mail_sessions, mail_engine, mailbox
) -> None:
    template = sign_in_template()
    relay = MailRelay(mail_engine, mailbox, [template], service="test", sweep_seconds=30)
    task = asyncio.create_task(relay.run())
    try:
        # Once the first message is out, the relay listens and has finished its first drain:
        # from then on only a NOTIFY (or the 30 s sweep) makes it look at the outbox again.
        first = await commit_mail(mail_sessions, template)
        await eventually(lambda: is_sent(mail_engine, first))

        loop = asyncio.get_running_loop()
        committed_at = loop.time()
        second = await commit_mail(mail_sessions, template)
        await eventually(lambda: is_sent(mail_engine, second), timeout=5)

        assert loop.time() - committed_at < 5
        assert not task.done()
        assert sorted(m.message_id for m in mailbox.messages()) == sorted([str(first), str(second)])
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.close()


async def test_a_message_that_fails_twice_is_sent_once_on_the_third_try(
    mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    message_id = await commit_mail(mail_sessions, template)
    sender = RecordingSender(failures=[ConnectionError("Notify 503"), TimeoutError("slow")])
    relay = MailRelay(
        mail_engine, sender, [template], service="test", retry_base_seconds=0.05, max_attempts=5
    )

    assert await relay.drain() == 0
    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert (row["attempts"], row["sent_at"], row["failed_at"]) == (1, None, None)
    assert row["last_error"] == "ConnectionError: Notify 503"
    assert row["personalisation"] is not None, "kept until the message is out"

    await eventually(lambda: relay.drain())
    assert await relay.drain() == 0

    assert sender.sent_ids() == [message_id]
    assert sender.calls == 3
    assert [m.attempt for m in sender.sent] == [3]
    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert row["attempts"] == 3
    assert row["sent_at"] is not None
    assert row["last_error"] is None
    assert row["provider_reference"] == f"recorded:{message_id}"


async def test_a_failed_try_waits_before_the_next(mail_sessions, mail_engine) -> None:
    template = sign_in_template()
    message_id = await commit_mail(mail_sessions, template)
    sender = RecordingSender(failures=[ConnectionError("down")])
    relay = MailRelay(mail_engine, sender, [template], service="test", retry_base_seconds=60)

    await relay.drain()
    assert await relay.drain() == 0, "retried at once instead of after the delay"

    assert sender.calls == 1
    stats = await relay.stats()
    assert stats.backlog == 1
    assert stats.next_due_seconds is not None
    assert 50 < stats.next_due_seconds <= 60
    assert (await mail_row(mail_engine, message_id) or {})["sent_at"] is None


async def test_a_permanent_error_marks_the_message_failed_and_never_retries(
    mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    message_id = await commit_mail(mail_sessions, template)
    sender = RefusingSender()
    relay = MailRelay(mail_engine, sender, [template], service="test", retry_base_seconds=0)

    assert await relay.drain() == 0
    assert await relay.drain() == 0

    assert sender.calls == 1
    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert row["failed_at"] is not None
    assert row["sent_at"] is None
    assert row["attempts"] == 1
    assert "Not a valid email address" in row["last_error"]
    assert row["personalisation"] is None
    assert (await relay.stats()).backlog == 0


async def test_a_message_out_of_attempts_is_marked_failed(mail_sessions, mail_engine) -> None:
    template = sign_in_template()
    message_id = await commit_mail(mail_sessions, template)
    sender = RecordingSender(failures=[ConnectionError(f"down {n}") for n in range(10)])
    relay = MailRelay(
        mail_engine, sender, [template], service="test", retry_base_seconds=0, max_attempts=3
    )

    for _ in range(5):
        await relay.drain()

    assert sender.calls == 3
    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert row["failed_at"] is not None
    assert row["sent_at"] is None
    assert (row["attempts"], row["last_error"]) == (3, "ConnectionError: down 2")


async def test_a_message_whose_every_try_crashed_its_relay_is_given_up(
    mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    message_id = await commit_mail(mail_sessions, template)
    for _ in range(3):  # three relays claimed it and died before recording an outcome
        await lease(mail_engine, message_id, owner="crashed", seconds=-1)
    sender = RecordingSender()

    await MailRelay(mail_engine, sender, [template], service="test", max_attempts=3).drain()

    assert sender.calls == 0
    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert row["failed_at"] is not None


async def test_drain_sends_a_message_whose_relay_died_holding_its_lease(
    mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    held = await commit_mail(mail_sessions, template)
    expired = await commit_mail(mail_sessions, template)
    await lease(mail_engine, held, owner="live-relay", seconds=3600)
    await lease(mail_engine, expired, owner="crashed-relay", seconds=-60)
    sender = RecordingSender()
    relay = MailRelay(mail_engine, sender, [template], service="test")

    assert await relay.drain() == 1

    assert sender.sent_ids() == [expired]
    row = await mail_row(mail_engine, held)
    assert row is not None
    assert (row["lease_owner"], row["sent_at"]) == ("live-relay", None)


async def test_relays_sharing_a_database_send_each_message_once(mail_sessions, mail_engine) -> None:
    template = sign_in_template()
    message_ids = [await commit_mail(mail_sessions, template) for _ in range(30)]
    senders = [RecordingSender() for _ in range(3)]
    relays = [
        MailRelay(mail_engine, sender, [template], service=f"test-{n}", batch_size=4)
        for n, sender in enumerate(senders)
    ]

    await asyncio.gather(*(relay.drain() for relay in relays))

    sent = [message_id for sender in senders for message_id in sender.sent_ids()]
    assert sorted(sent) == sorted(message_ids)


async def test_messages_of_templates_a_relay_does_not_know_are_left_alone(
    mail_sessions, mail_engine
) -> None:
    known, newer = sign_in_template(), sign_in_template()
    message_id = await commit_mail(mail_sessions, newer)
    sender = RecordingSender()
    relay = MailRelay(mail_engine, sender, [known], service="test")

    assert await relay.drain() == 0

    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert (row["attempts"], row["lease_owner"], row["sent_at"]) == (0, None, None)
    assert (await relay.stats()).unknown_template >= 1
    assert await MailRelay(mail_engine, sender, [newer], service="test").drain() == 1


async def test_purge_deletes_only_messages_done_longer_ago_than_the_retention(
    mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    old_sent, old_failed, recent, unsent = [
        await commit_mail(mail_sessions, template) for _ in range(4)
    ]
    async with mail_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE mail_outbox SET created_at = now() - interval '9 days',"
                " sent_at = CASE WHEN message_id = :s THEN now() - interval '8 days' END,"
                " failed_at = CASE WHEN message_id = :f THEN now() - interval '8 days' END"
                " WHERE message_id IN (:s, :f, :u)"
            ),
            {"s": old_sent, "f": old_failed, "u": unsent},
        )
        await conn.execute(
            text("UPDATE mail_outbox SET sent_at = now() WHERE message_id = :r"), {"r": recent}
        )
    relay = MailRelay(
        mail_engine, RecordingSender(), [template], service="test", retention=timedelta(days=7)
    )

    assert await relay.purge_expired() >= 2

    assert await mail_row(mail_engine, old_sent) is None
    assert await mail_row(mail_engine, old_failed) is None
    assert await mail_row(mail_engine, recent) is not None
    assert await mail_row(mail_engine, unsent) is not None


async def test_run_keeps_going_while_the_database_is_unreachable(infrastructure) -> None:
    engine = create_engine(infrastructure.sqlalchemy_url("convene_mail_no_such_database"))
    relay = MailRelay(engine, RecordingSender(), [sign_in_template()], service="test")
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.5)
        assert not task.done(), "the relay stopped on an outage"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.close()
        await engine.dispose()
