"""Domain errors: each maps to one clear API answer (see entrypoints/api.py)."""

from __future__ import annotations


class DirectoryError(Exception):
    """Base of the directory's domain errors."""


class ProfileNotFound(DirectoryError):
    def __init__(self) -> None:
        super().__init__("There is no profile with that id.")


class OrganisationNotFound(DirectoryError):
    def __init__(self) -> None:
        super().__init__("There is no organisation with that id.")


class NotPermitted(DirectoryError):
    """The caller may not do this (not the member, nor their delegate)."""


class InvalidChange(DirectoryError):
    """The change names something that does not exist (an organisation, a tag, a member)."""


class Conflict(DirectoryError):
    """The current state forbids this (already pending, already decided, expired)."""


class Blocked(DirectoryError):
    def __init__(self) -> None:
        super().__init__("You cannot send a contact request to this member.")


class RequestNotFound(DirectoryError):
    def __init__(self) -> None:
        super().__init__("There is no contact request with that id.")


class RateLimited(DirectoryError):
    def __init__(self, limit: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"You can send {limit} contact requests a day. Try again in "
            f"{max(1, retry_after_seconds // 60)} minutes."
        )
        self.retry_after_seconds = retry_after_seconds


class PhotoRejected(DirectoryError):
    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large
