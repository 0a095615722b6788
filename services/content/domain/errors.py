"""Domain errors: each maps to one clear API answer (see entrypoints/api/problems.py)."""

from __future__ import annotations


class ContentError(Exception):
    """Base of content's domain errors."""


class ItemNotFound(ContentError):
    """Unknown, or not visible to this caller: one answer, so ids cannot be probed."""

    def __init__(self) -> None:
        super().__init__("There is no item with that id.")


class TopicNotFound(ContentError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"There is no topic {slug!r}.")


class TopicExists(ContentError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"A topic {slug!r} already exists.")


class NotPermitted(ContentError):
    """The caller may not take this step (403)."""


class IllegalTransition(ContentError):
    """The item's status does not allow this step (409)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"An item that is {status} cannot be asked to {action.replace('_', ' ')}.")
        self.status = status
        self.action = action


class InvalidItem(ContentError):
    """The item's fields do not make sense together (422)."""


class NotAnEvent(ContentError):
    def __init__(self) -> None:
        super().__init__("Only events take RSVPs and have calendar files.")


class EventClosed(ContentError):
    """The event has started (or is not published), so RSVPs are closed (409)."""


class NoRsvp(ContentError):
    def __init__(self) -> None:
        super().__init__("You have no RSVP for this event.")


class ProfileFromDirectory(ContentError):
    def __init__(self) -> None:
        super().__init__(
            "Your sector, region and expertise come from your directory profile; change them there."
        )


class LinkNotValid(ContentError):
    def __init__(self) -> None:
        super().__init__("This link is not valid. Use the newest one you were sent.")


class UploadTooLarge(ContentError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Documents are limited to {limit} bytes.")


class UnsupportedDocument(ContentError):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__("Upload a document of one of these types: " + ", ".join(allowed) + ".")
