"""Why a sign-in through the OpenID Connect provider failed; each message is safe to show."""

from __future__ import annotations


class OidcError(Exception):
    """Sign-in through the provider failed; the message is safe to show to the person."""


class OidcNotConfigured(OidcError):
    def __init__(self) -> None:
        super().__init__("Sign-in with an identity provider is not switched on here.")


class ProviderUnavailable(OidcError):
    def __init__(
        self, detail: str = "The sign-in provider did not answer. Try again soon."
    ) -> None:
        super().__init__(detail)


class ProviderRefused(OidcError):
    """The provider sent the person back with an `error` (e.g. access_denied)."""

    def __init__(self, error: str) -> None:
        code = error if error.replace("_", "").isalnum() and len(error) <= 60 else "error"
        super().__init__(f"The sign-in provider did not sign you in ({code}). Try again.")
        self.error = code


class SignInStateNotValid(OidcError):
    def __init__(self) -> None:
        super().__init__(
            "This sign-in attempt has expired, was already used or was started in another "
            "browser. Start signing in again."
        )


class IdentityNotVerified(OidcError):
    """The code exchange or the ID token (or userinfo) failed a check."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The sign-in provider's answer could not be verified: {reason}.")
        self.reason = reason


class EmailNotVerified(OidcError):
    def __init__(self) -> None:
        super().__init__(
            "The sign-in provider has not verified this email address. Verify it with the "
            "provider, then sign in again."
        )
