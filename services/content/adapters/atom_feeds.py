"""A topic's published items as an Atom (RFC 4287) feed for members' feed readers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from jinja2 import Environment

from services.content.adapters.orm import Item, Topic

_ATOM = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:convene:topic:{{ topic.slug }}</id>
  <title>Convene: {{ topic.name }}</title>
  {% if topic.description %}<subtitle>{{ topic.description }}</subtitle>{% endif %}
  <updated>{{ updated }}</updated>
  <link rel="self" href="{{ self_url }}"/>
  <author><name>Convene</name></author>
  {% for item in items %}
  <entry>
    <id>urn:uuid:{{ item.id }}</id>
    <title>{{ item.title }}</title>
    <updated>{{ stamp(item.updated_at) }}</updated>
    <published>{{ stamp(item.published_at) }}</published>
    <link rel="alternate" href="{{ base_url }}/content/items/{{ item.id }}"/>
    {% for slug in item.topics %}<category term="{{ slug }}"/>{% endfor %}
    <summary>{{ item.summary }}</summary>
    <content type="html">{{ item.body_html }}</content>
  </entry>
  {% endfor %}
</feed>
"""
)


def _stamp(moment: datetime | None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")


def atom_feed(topic: Topic, items: Sequence[Item], *, base_url: str, self_url: str) -> str:
    """The feed document. `body_html` is already sanitised; autoescape escapes it once more as
    the text of `<content type="html">`, which is how Atom carries HTML."""
    updated = max((i.updated_at for i in items), default=topic.created_at)
    return _ATOM.render(
        topic=topic,
        items=items,
        updated=_stamp(updated),
        self_url=self_url,
        base_url=base_url.rstrip("/"),
        stamp=_stamp,
    )
