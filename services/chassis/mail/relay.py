"""The mail relay: sends committed mail outbox rows through a `MailSender`, at least once.

A user of the leased work queue (services/chassis/leased_queue.py), like the event relay: it
wakes on NOTIFY when a writer commits, sweeps for rows a crashed relay left behind, and claims
with a lease, so several relays may share a database. Unlike events, mail has no order to keep,
and a failed message waits out a growing delay before its next try, so one bad message never
holds up the others. What is its own: the template filter, sending through a `MailSender`, and
wiping the personalisation once a message is sent or given up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.chassis.leased_queue import LeasedQueue, RetryPolicy, lease_claim
from services.chassis.mail.outbox import MAIL_CHANNEL
from services.chassis.mail.sending import MailSender, OutgoingMail, PermanentMailError
from services.chassis.mail.templates import MailTemplate
from services.chassis.tracing import context_from_headers, tracer

log = logging.getLogger(__name__)
meter = metrics.get_meter("convene.chassis")
sent_counter = meter.create_counter(
    "convene.mail.sent", unit="{message}", description="Messages a mail provider accepted"
)
failed_counter = meter.create_counter(
    "convene.mail.failed", unit="{message}", description="Messages given up on"
)

_CLAIM = lease_claim(
    "mail_outbox",
    """
    SELECT id FROM mail_outbox
    WHERE sent_at IS NULL AND failed_at IS NULL
      AND (lease_until IS NULL OR lease_until < now())
      AND template = ANY(:templates)
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """,
    """mail_outbox.id, mail_outbox.message_id, mail_outbox.template,
       mail_outbox.to_address, mail_outbox.personalisation, mail_outbox.reference,
       mail_outbox.trace_headers, mail_outbox.created_at, mail_outbox.attempts""",
)
_SENT = text(
    "UPDATE mail_outbox SET sent_at = now(), provider_reference = :reference,"
    " personalisation = NULL, lease_until = NULL, last_error = NULL WHERE id = :id"
)
_FAILED = text(
    "UPDATE mail_outbox SET failed_at = now(), last_error = :error, personalisation = NULL,"
    " lease_until = NULL WHERE id = :id"
)
_RETRY_LATER = text(
    "UPDATE mail_outbox SET lease_owner = NULL, last_error = :error,"
    " lease_until = now() + make_interval(secs => :delay) WHERE id = :id"
)
# Rows claimed but not tried (the claim ran long): back to the pool, the attempt not counted.
_RELEASE = text(
    "UPDATE mail_outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1"
    " WHERE id = ANY(:ids) AND lease_owner = :owner AND sent_at IS NULL"
)
_PENDING = text(
    """
    SELECT count(*) FILTER (WHERE template = ANY(:templates)),
           coalesce(extract(epoch FROM now()
                    - min(created_at) FILTER (WHERE template = ANY(:templates))), 0),
           extract(epoch FROM min(lease_until) FILTER (WHERE template = ANY(:templates)) - now()),
           count(*) FILTER (WHERE template <> ALL(:templates))
    FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL
    """
)


@dataclass(frozen=True)
class MailStats:
    #: Unsent messages of templates this relay knows.
    backlog: int
    oldest_age_seconds: float
    #: Seconds until the earliest claimed or delayed message may be tried again (None: none).
    next_due_seconds: float | None
    #: Unsent messages of templates this relay does not know (written by another version).
    unknown_template: int


class MailRelay(LeasedQueue[Row[Any], MailStats]):
    """Sends one service's mail outbox. Start `run()` as a task; `drain()` sends what is due.

    A message is marked sent as soon as the provider accepts it. A crash between the two
    means it is sent again once its lease ends: at least once, never lost. Retryable errors
    wait `retry_base_seconds`, doubling up to `retry_max_seconds`, for up to `max_attempts`
    tries; then, or at once on `PermanentMailError`, the row gets `failed_at`.
    Rows of templates not in `templates` are left for a relay that knows them.
    """

    claim_statement = _CLAIM

    def __init__(
        self,
        engine: AsyncEngine,
        sender: MailSender,
        templates: Iterable[MailTemplate],
        *,
        service: str,
        batch_size: int = 20,
        lease_seconds: float = 60,
        sweep_seconds: float = 5,
        max_attempts: int = 8,
        retry_base_seconds: float = 10,
        retry_max_seconds: float = 600,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        super().__init__(
            engine,
            name=f"mail relay of {service}",
            owner=f"{service}-mail",
            channel=MAIL_CHANNEL,
            initial_stats=MailStats(0, 0.0, None, 0),
            batch_size=batch_size,
            lease_seconds=lease_seconds,
            sweep_seconds=sweep_seconds,
            retention=retention,
        )
        self.sender = sender
        self.templates: dict[str, MailTemplate] = {}
        for template in templates:
            if self.templates.setdefault(template.name, template) is not template:
                raise ValueError(f"two mail templates are named {template.name!r}")
        self.service = service
        self.max_attempts = max_attempts
        self.retry = RetryPolicy(
            base_seconds=retry_base_seconds,
            max_seconds=retry_max_seconds,
            max_attempts=max_attempts,
        )

    def claim_parameters(self) -> dict[str, Any]:
        return {"templates": list(self.templates)}

    async def claim(self, conn: AsyncConnection, limit: int) -> Sequence[Row[Any]]:
        if not self.templates:
            return []
        return await super().claim(conn, limit)

    async def release(self, conn: AsyncConnection, jobs: Sequence[Row[Any]]) -> None:
        await conn.execute(_RELEASE, {"ids": [job.id for job in jobs], "owner": self.owner})

    def next_due_seconds(self) -> float | None:
        return self.last_stats.next_due_seconds

    async def work_one(self, job: Row[Any]) -> bool:
        return await self._deliver(job) == 1

    async def _deliver(self, row: Row[Any]) -> int:
        template = self.templates[row.template]
        message = OutgoingMail(
            message_id=row.message_id,
            template=template,
            to=row.to_address,
            personalisation=row.personalisation or {},
            reference=row.reference,
            created_at=row.created_at,
            attempt=row.attempts,
        )
        labels = {"service": self.service, "template": template.name}
        if row.attempts > self.max_attempts:
            # Claimed this often without an outcome: each try ended the process.
            await self._update(_FAILED, id=row.id, error="gave up: no outcome after each try")
            failed_counter.add(1, labels)
            return 0
        token = otel_context.attach(context_from_headers(row.trace_headers.items()))
        try:
            with tracer.start_as_current_span(
                f"mail {template.name} send",
                kind=trace.SpanKind.CLIENT,
                attributes={
                    "convene.mail.template": template.name,
                    "convene.mail.message_id": str(row.message_id),
                    "convene.mail.attempt": row.attempts,
                },
            ) as span:
                try:
                    reference = await self.sender.send(message)
                except PermanentMailError as exc:
                    span.record_exception(exc)
                    span.set_status(trace.StatusCode.ERROR, "permanent")
                    await self._update(_FAILED, id=row.id, error=_error_text(exc))
                    failed_counter.add(1, labels)
                    log.warning(
                        "mail %s (%s) cannot be sent: %s", row.message_id, template.name, exc
                    )
                    return 0
                except Exception as exc:
                    span.record_exception(exc)
                    span.set_status(trace.StatusCode.ERROR, "retryable")
                    await self._retry_later(row, exc)
                    return 0
        finally:
            otel_context.detach(token)
        await self._update(_SENT, id=row.id, reference=reference)
        sent_counter.add(1, labels)
        return 1

    async def _retry_later(self, row: Row[Any], exc: Exception) -> None:
        labels = {"service": self.service, "template": row.template}
        next_try = self.retry.after_failure(row.attempts)
        if next_try.dead:
            await self._update(_FAILED, id=row.id, error=_error_text(exc))
            failed_counter.add(1, labels)
            log.warning(
                "mail %s (%s) failed %d times, giving up: %r",
                row.message_id,
                row.template,
                row.attempts,
                exc,
            )
            return
        delay = next_try.delay_seconds
        await self._update(_RETRY_LATER, id=row.id, error=_error_text(exc), delay=delay)
        log.info(
            "mail %s (%s) not sent (try %d), retrying in %.0f s: %r",
            row.message_id,
            row.template,
            row.attempts,
            delay,
            exc,
        )

    async def _update(self, statement: Any, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(statement, values)

    async def purge(self, conn: AsyncConnection, before: datetime) -> int:
        """Delete messages sent or failed before `before`."""
        result = await conn.execute(
            text(
                "DELETE FROM mail_outbox WHERE created_at < :cutoff"
                " AND coalesce(sent_at, failed_at) < :cutoff"
            ),
            {"cutoff": before},
        )
        if self.last_stats.unknown_template:
            log.warning(
                "mail relay of %s: %d messages of templates it does not know wait",
                self.service,
                self.last_stats.unknown_template,
            )
        return int(result.rowcount)

    async def stats(self) -> MailStats:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_PENDING, {"templates": list(self.templates)})).one()
        return MailStats(
            backlog=int(row[0]),
            oldest_age_seconds=float(row[1]),
            next_due_seconds=None if row[2] is None else float(row[2]),
            unknown_template=int(row[3]),
        )


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
