"""Mail is written in the caller's transaction and delivered once to the development mailbox."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from mail_support import RecordingSender, commit_mail, mail_row, sign_in_template, sign_in_values
from sqlalchemy import func, select
from support import unique_email

from services.chassis.mail import (
    InvalidMailAddress,
    MailRelay,
    MissingPersonalisation,
    enqueue_mail,
    mail_outbox_table,
)


class Links(HTMLParser):
    """The href and text of every <a> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text))
            self._href = None


def links_in(page: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(page)
    return parser.links


async def count_rows(engine, template_name: str) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count()).where(mail_outbox_table.c.template == template_name)
            )
        )


async def test_rolled_back_mail_is_never_sent(mail_sessions, mail_engine, mailbox) -> None:
    template = sign_in_template()
    async with mail_sessions() as session:
        await enqueue_mail(
            session, template=template, to=unique_email(), personalisation=sign_in_values()
        )
        await session.rollback()

    relay = MailRelay(mail_engine, mailbox, [template], service="test")
    assert await relay.drain() == 0
    assert await count_rows(mail_engine, template.name) == 0
    assert mailbox.messages() == []


async def test_committed_mail_reaches_the_mailbox_exactly_once(
    mail_sessions, mail_engine, mailbox
) -> None:
    template = sign_in_template()
    to = unique_email()
    link = f"https://convene.example.gov.uk/sign-in/{uuid.uuid4().hex}?next=/home"
    message_id = await commit_mail(
        mail_sessions, template, to=to, personalisation=sign_in_values(link), reference="ref-1"
    )

    relay = MailRelay(mail_engine, mailbox, [template], service="test")
    assert await relay.drain() == 1
    assert await relay.drain() == 0, "a second drain found something still unsent"

    [message] = mailbox.messages()
    assert (message.message_id, message.to, message.reference) == (str(message_id), to, "ref-1")
    assert message.subject == "Sign in to Convene, Jane"
    assert f"Use this link to sign in: {link}" in message.body
    assert "The link works for 15 minutes." in message.body
    assert message.path.name.endswith(f"-{message_id}.txt")
    raw = message.path.read_text()
    assert raw.startswith(f"Message-ID: <{message_id}@convene.local>\nDate: ")
    assert f"\nTo: {to}\nSubject: Sign in to Convene, Jane\n" in raw

    page = mailbox.index.read_text()
    assert '<html lang="en">' in page
    assert "<h2" in page
    assert "Sign in to Convene, Jane" in page
    assert (link, link) in links_in(page), "the sign-in link is not clickable in index.html"
    assert (message.path.name, "Plain text of this message") in links_in(page)

    row = await mail_row(mail_engine, message_id)
    assert row is not None
    assert row["sent_at"] is not None
    assert row["failed_at"] is None
    assert row["attempts"] == 1
    assert row["provider_reference"] == f"local:{message_id}"
    assert row["personalisation"] is None, "the sign-in link outlived its delivery"
    assert row["lease_until"] is None


async def test_index_lists_messages_newest_first_and_escapes_them(
    mail_sessions, mail_engine, mailbox
) -> None:
    template = sign_in_template()
    first = await commit_mail(mail_sessions, template)
    second = await commit_mail(
        mail_sessions,
        template,
        personalisation={**sign_in_values(), "first_name": "<script>alert(1)</script>"},
    )

    await MailRelay(mail_engine, mailbox, [template], service="test").drain()

    assert [m.message_id for m in mailbox.messages()] == [str(second), str(first)]
    page = mailbox.index.read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert page.index(str(second)) < page.index(str(first))


async def test_a_missing_placeholder_fails_the_request_not_the_relay(mail_sessions) -> None:
    template = sign_in_template()
    async with mail_sessions() as session:
        with pytest.raises(MissingPersonalisation, match="link"):
            await enqueue_mail(
                session,
                template=template,
                to=unique_email(),
                personalisation={"first_name": "Jane", "expires soon": "no"},
            )
        assert not session.in_transaction(), "a rejected message touched the database"


@pytest.mark.parametrize("address", ["jane", "jane@", "jane smith@example.gov.uk", ""])
async def test_an_address_that_is_not_one_fails_the_request(mail_sessions, address) -> None:
    async with mail_sessions() as session:
        with pytest.raises(InvalidMailAddress):
            await enqueue_mail(
                session,
                template=sign_in_template(),
                to=address,
                personalisation=sign_in_values(),
            )


async def test_personalisation_values_must_be_strings(mail_sessions) -> None:
    async with mail_sessions() as session:
        with pytest.raises(TypeError, match="str"):
            await enqueue_mail(
                session,
                template=sign_in_template(),
                to=unique_email(),
                personalisation={**sign_in_values(), "first_name": 7},  # type: ignore[dict-item]
            )


async def test_enqueueing_twice_with_one_message_id_sends_one_message(
    mail_sessions, mail_engine
) -> None:
    template = sign_in_template()
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"digest/{uuid.uuid4()}/2025-W01")
    for _ in range(2):
        async with mail_sessions() as session:
            returned = await enqueue_mail(
                session,
                template=template,
                to=unique_email(),
                personalisation=sign_in_values(),
                message_id=message_id,
            )
            await session.commit()
        assert returned == message_id

    sender = RecordingSender()
    await MailRelay(mail_engine, sender, [template], service="test").drain()
    assert sender.sent_ids() == [message_id]
