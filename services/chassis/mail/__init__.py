"""Outbox-backed email: a message is written in the business transaction and sent after commit.

    await enqueue_mail(uow.session, template=SIGN_IN, to=email, personalisation={...})
    ...                                  # the route commits; nothing is sent on rollback
    relay = create_mail_relay(engine, settings, TEMPLATES, service="identity")
    task = asyncio.create_task(relay.run())

With `<SVC>_NOTIFY_API_KEY` set, mail goes through GOV.UK Notify; without it, to the local
mailbox (`.data/mailbox/index.html`). Delivery is at least once.
"""

from services.chassis.mail.mailbox import LocalMailbox, MailboxMessage
from services.chassis.mail.notify import NotifySender
from services.chassis.mail.outbox import (
    MAIL_CHANNEL,
    InvalidMailAddress,
    create_mail_tables,
    drop_mail_tables,
    enqueue_mail,
    mail_metadata,
    mail_outbox_table,
)
from services.chassis.mail.relay import MailRelay, MailStats
from services.chassis.mail.sending import MailSender, OutgoingMail, PermanentMailError
from services.chassis.mail.settings import (
    MailSettings,
    create_mail_relay,
    create_mail_sender,
    mail_relay_worker,
)
from services.chassis.mail.templates import MailTemplate, MissingPersonalisation, RenderedMail

__all__ = [
    "MAIL_CHANNEL",
    "InvalidMailAddress",
    "LocalMailbox",
    "MailRelay",
    "MailSender",
    "MailSettings",
    "MailStats",
    "MailTemplate",
    "MailboxMessage",
    "MissingPersonalisation",
    "NotifySender",
    "OutgoingMail",
    "PermanentMailError",
    "RenderedMail",
    "create_mail_relay",
    "create_mail_sender",
    "create_mail_tables",
    "drop_mail_tables",
    "enqueue_mail",
    "mail_metadata",
    "mail_outbox_table",
    "mail_relay_worker",
]
