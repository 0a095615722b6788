"""Domain errors: each maps to one clear API answer (see entrypoints/api/problems.py)."""

from __future__ import annotations


class IdentityError(Exception):
    """Base of identity's domain errors."""


class AlreadyInvited(IdentityError):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already invited or a member.")


class DomainNotAllowed(IdentityError):
    def __init__(self, domain: str) -> None:
        super().__init__(
            f"{domain} is not on the public-sector allow-list. An admin may override this with "
            "a reason, which is recorded in the audit log."
        )


class LinkNotValid(IdentityError):
    """Unknown, used, expired or revoked: one message, so links cannot be probed."""

    def __init__(self) -> None:
        super().__init__("This link has expired or has already been used. Ask for a new one.")


class RefreshNotValid(IdentityError):
    def __init__(self, reason: str = "Sign in again.") -> None:
        super().__init__(reason)


class MemberNotFound(IdentityError):
    def __init__(self) -> None:
        super().__init__("There is no member with that id.")


class InvitationNotFound(IdentityError):
    def __init__(self) -> None:
        super().__init__("There is no pending invitation with that id.")


class NotAllowed(IdentityError):
    """A state change that this member's current state forbids (e.g. roles of an erased one)."""


class RateLimited(IdentityError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many sign-in requests. Wait a few minutes and try again.")
        self.retry_after_seconds = retry_after_seconds


class CohortNotFound(IdentityError):
    def __init__(self) -> None:
        super().__init__("There is no cohort with that id.")


class CohortExists(IdentityError):
    def __init__(self, name: str) -> None:
        super().__init__(f"A cohort called {name!r} already exists.")


class ServiceAccountNotFound(IdentityError):
    def __init__(self) -> None:
        super().__init__("There is no service account with that id.")


class UnknownScopes(IdentityError):
    """Scopes that name no public event type."""


class ClientNotValid(IdentityError):
    """Unknown client, wrong or expired secret, or revoked: one answer for all (RFC 6749)."""

    def __init__(self) -> None:
        super().__init__("The client id or secret is not valid.")
