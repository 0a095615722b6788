"""Markdown sanitising, signed links and digest weeks, without I/O."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.content import links
from services.content.digests import iso_week, message_id, week_start
from services.content.domain.errors import InvalidItem
from services.content.domain.sanitising import clean_text, plain_text, render_markdown


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![img](https://x/y.png)",
        '<img src=x onerror="alert(1)">',
        '<a href="https://gov.uk" onclick="evil()">ok</a>',
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)>",
        "[x](vbscript:msgbox)",
    ],
)
def test_known_attacks_leave_no_active_content(source: str) -> None:
    found = elements(render_markdown(source))
    assert found.tags <= {"p", "a"}
    assert not [name for name, _ in found.attributes if name.startswith("on")]
    assert all(v.startswith(("https://", "http://")) for n, v in found.attributes if n == "href")


def test_ordinary_markdown_survives() -> None:
    html = render_markdown("## Heading\n\n**bold** [GOV.UK](https://www.gov.uk)\n\n- one\n- two")
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://www.gov.uk"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<li>one</li>" in html


@given(
    st.text(alphabet=st.sampled_from(list("<>\"'=/ :;&()[]!*#-_`aijvscrptonlerhf\n")), max_size=200)
)
def test_no_input_produces_scripts_or_handlers(source: str) -> None:
    found = elements(render_markdown(source))
    assert "script" not in found.tags
    assert not [name for name, _ in found.attributes if name.startswith("on")]
    assert all(not v.lower().startswith("javascript") for n, v in found.attributes)


def test_plain_text_fields_lose_tags_but_not_ampersands() -> None:
    assert clean_text("  <b>Skills</b> &  training  ") == "Skills & training"
    assert plain_text("**Bold** & <i>free</i>") == "Bold & <i>free</i>"


def test_unsubscribe_tokens_are_single_purpose_and_unforgeable() -> None:
    key, member = b"k" * 32, uuid.uuid4()
    token = links.sign(key, links.UNSUBSCRIBE_DIGEST, member)
    assert links.verify(key, links.UNSUBSCRIBE_DIGEST, token) == member
    assert links.verify(key, "delete-account", token) is None
    assert links.verify(b"other" * 8, links.UNSUBSCRIBE_DIGEST, token) is None
    other = uuid.uuid4()
    assert links.verify(key, links.UNSUBSCRIBE_DIGEST, other.hex + token[32:]) is None
    assert links.verify(key, links.UNSUBSCRIBE_DIGEST, "nonsense") is None


def test_digest_weeks() -> None:
    from datetime import UTC, datetime

    assert iso_week(datetime(2026, 11, 23, 9, tzinfo=UTC)) == "2026-W48"
    assert week_start("2026-W48").isoformat() == "2026-11-23"
    for bad in ("2026-W54", "2026-48", ""):
        with pytest.raises(InvalidItem):
            week_start(bad)
    member = uuid.uuid4()
    assert message_id(member, "2026-W48") == message_id(member, "2026-W48")
    assert message_id(member, "2026-W48") != message_id(member, "2026-W49")


def test_digests_are_due_from_the_configured_uk_time() -> None:
    from services.content.config import ContentSettings
    from services.content.digests import send_time

    settings = ContentSettings(
        database_url="postgresql://x/y", kafka_bootstrap_servers="k:9092", digest_hour=7
    )
    due = send_time("2026-W27", settings)  # British Summer Time
    assert due.isoformat() == "2026-06-29T07:00:00+01:00"
    assert send_time("2026-W48", settings).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
