"""Article bodies: Markdown in, safe HTML out.

Raw HTML in the Markdown is not rendered (it shows as text), and the rendered HTML is cleaned
again by an allow-list (nh3/ammonia): no scripts, no event handlers, no `javascript:` links,
links open with `rel="noopener noreferrer nofollow"`. Cleaning twice is deliberate: a bug in one
layer is not enough to put script in front of a permanent secretary.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"https", "http", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> str:
    """Sanitised HTML for `source`; safe to insert into a page as it is."""
    return nh3.clean(
        _markdown.render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(source: str) -> str:
    """The words of a Markdown body without markup, for search and summaries."""
    return html.unescape(nh3.clean(_markdown.render(source), tags=set())).strip()


def clean_text(value: str) -> str:
    """A one-line text field (title, summary, place) with any HTML tags removed.

    The result is plain text, not HTML (`&` stays `&`): escape it wherever it is rendered.
    """
    return " ".join(html.unescape(nh3.clean(value, tags=set())).split())
