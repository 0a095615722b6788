"""Email templates in GOV.UK Notify's syntax, rendered here the way Notify renders them.

`((name))` is replaced by the personalisation value `name`; `((name??text))` shows `text` when
the value is yes/true/1 (and nothing otherwise). Names match ignoring case, spaces, hyphens and
underscores, as in Notify, so `((First name))` takes the value of `first_name`. A placeholder
without a value is an error here, as it is a 400 from Notify.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_KEY_NOISE = str.maketrans("", "", " _-")
_SHOWN = frozenset({"yes", "y", "true", "t", "1", "include", "show"})


def placeholder_key(name: str) -> str:
    """The form in which Notify compares placeholder and personalisation names."""
    return name.translate(_KEY_NOISE).lower()


class MissingPersonalisation(ValueError):
    """A template was given no value for some of its placeholders."""

    def __init__(self, template: str, missing: list[str]) -> None:
        super().__init__(
            f"Missing personalisation for mail template {template!r}: " + ", ".join(missing)
        )
        self.template = template
        self.missing = missing


class RenderedMail(NamedTuple):
    subject: str
    body: str


@dataclass(frozen=True)
class MailTemplate:
    """One email: a name (the key for its Notify template id) and the text Notify holds for it.

    Keep `subject` and `body` the same as the Notify template: they are what the local mailbox
    shows, and their placeholders are what `enqueue_mail` checks before accepting a message.
    """

    name: str
    subject: str
    body: str

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip() or any(c.isspace() for c in self.name):
            raise ValueError(f"mail template name {self.name!r} must be non-empty, without spaces")

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Placeholder names in order of first appearance (subject first), as written."""
        seen: dict[str, str] = {}
        for text in (self.subject, self.body):
            for match in _PLACEHOLDER.finditer(text):
                name = match.group(1).split("??", 1)[0]
                seen.setdefault(placeholder_key(name), name)
        return tuple(seen.values())

    def missing(self, personalisation: Mapping[str, str]) -> list[str]:
        """The placeholders `personalisation` has no value for (extra values are ignored)."""
        given = {placeholder_key(key) for key in personalisation}
        return [name for name in self.placeholders if placeholder_key(name) not in given]

    def render(self, personalisation: Mapping[str, str]) -> RenderedMail:
        """Subject and plain-text body; raises `MissingPersonalisation` naming what is missing."""
        missing = self.missing(personalisation)
        if missing:
            raise MissingPersonalisation(self.name, missing)
        values = {placeholder_key(key): str(value) for key, value in personalisation.items()}

        def replace(match: re.Match[str]) -> str:
            name, conditional, text = match.group(1).partition("??")
            value = values[placeholder_key(name)]
            if conditional:
                return text if value.strip().lower() in _SHOWN else ""
            return value

        subject = " ".join(_PLACEHOLDER.sub(replace, self.subject).split())
        return RenderedMail(subject, _PLACEHOLDER.sub(replace, self.body))
