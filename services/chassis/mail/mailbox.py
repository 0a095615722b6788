"""The development mailbox: every message becomes a text file, listed in a clickable index.html.

Open `.data/mailbox/index.html` in a browser to read what would have been emailed and follow
its links (a sign-in link, for example). Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from services.chassis.mail.sending import OutgoingMail, PermanentMailError
from services.chassis.mail.templates import MissingPersonalisation

# A markdown link `[text](url)` (Notify renders those) or a bare URL; http(s) only.
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)|(https?://[^\s<>\"]+)")
_TRAILING = ".,;:!?)]'"


@dataclass(frozen=True)
class MailboxMessage:
    """One message as the mailbox stored it."""

    path: Path
    message_id: str
    date: datetime
    to: str
    subject: str
    template: str
    reference: str | None
    body: str


class LocalMailbox:
    """A `MailSender` that writes messages to `folder` instead of sending them.

    Files are named `<created-at>-<message-id>.txt`, so a message sent twice (the relay's
    at-least-once) is one file. `index.html` lists the newest `index_limit` messages.
    """

    def __init__(self, folder: Path, *, index_limit: int = 200) -> None:
        self.folder = folder
        self.index_limit = index_limit

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    async def send(self, message: OutgoingMail) -> str:
        try:
            subject, body = message.template.render(message.personalisation)
        except MissingPersonalisation as exc:
            raise PermanentMailError(str(exc)) from exc
        await asyncio.to_thread(self._store, message, subject, body)
        return f"local:{message.message_id}"

    def messages(self) -> list[MailboxMessage]:
        """Every stored message, newest first."""
        files = sorted(self.folder.glob("*.txt"), reverse=True) if self.folder.is_dir() else []
        return [_read(path) for path in files]

    def _store(self, message: OutgoingMail, subject: str, body: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        created = message.created_at.astimezone(UTC)
        headers = {
            "Message-ID": f"<{message.message_id}@convene.local>",
            "Date": format_datetime(created),
            "To": message.to,
            "Subject": subject,
            "X-Convene-Template": message.template.name,
        }
        if message.reference is not None:
            headers["X-Convene-Reference"] = message.reference
        headers["Content-Type"] = "text/plain; charset=utf-8"
        # Header values on one line each, whatever a caller put in a reference.
        content = "".join(f"{name}: {' '.join(value.split())}\n" for name, value in headers.items())
        name = f"{created:%Y%m%dT%H%M%S%fZ}-{message.message_id}.txt"
        _write_atomically(self.folder / name, content + "\n" + body)
        _write_atomically(self.index, _index_html(self.messages()[: self.index_limit]))


def _write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)


def _read(path: Path) -> MailboxMessage:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return MailboxMessage(
        path=path,
        message_id=headers.get("Message-ID", "").strip("<>").split("@", 1)[0],
        date=parsedate_to_datetime(headers["Date"]),
        to=headers.get("To", ""),
        subject=headers.get("Subject", ""),
        template=headers.get("X-Convene-Template", ""),
        reference=headers.get("X-Convene-Reference"),
        body=body,
    )


def _linked(text: str) -> str:
    """`text` as HTML, its http(s) URLs and markdown links made into links."""
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        label, url = match.group(1), match.group(2)
        end = match.end()
        if url is None:
            url = match.group(3).rstrip(_TRAILING)
            label, end = url, match.start() + len(url)
        parts.append(html.escape(text[position : match.start()]))
        parts.append(f'<a href="{html.escape(url)}">{html.escape(label)}</a>')
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _body_html(body: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(_linked(line) for line in p.splitlines()) + "</p>" for p in paragraphs
    )


def _index_html(messages: list[MailboxMessage]) -> str:
    if messages:
        items = "\n".join(
            f"""<article aria-labelledby="m{n}">
<h2 id="m{n}">{html.escape(m.subject) or "(no subject)"}</h2>
<dl>
<dt>To</dt><dd>{html.escape(m.to)}</dd>
<dt>Date</dt><dd><time datetime="{m.date.isoformat()}">{m.date:%d %B %Y %H:%M:%S} UTC</time></dd>
<dt>Template</dt><dd>{html.escape(m.template)}</dd>
</dl>
{_body_html(m.body)}
<p><a href="{html.escape(m.path.name)}">Plain text of this message</a></p>
</article>"""
            for n, m in enumerate(messages, 1)
        )
    else:
        items = "<p>No messages yet.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Convene development mailbox</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #0b0c0c; }}
article {{ border-top: 1px solid #b1b4b6; padding: 1rem 0; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 0 1rem; margin: 0; }}
dt {{ font-weight: bold; }}
dd {{ margin: 0; overflow-wrap: anywhere; }}
a {{ color: #1d70b8; overflow-wrap: anywhere; }}
a:focus {{ outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }}
</style>
</head>
<body>
<main>
<h1>Convene development mailbox</h1>
<p>Messages the platform would have emailed, newest first. Nothing here was sent.</p>
{items}
</main>
</body>
</html>
"""
