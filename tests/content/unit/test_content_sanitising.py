"""Markdown sanitising (`domain.sanitising`), without I/O."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
