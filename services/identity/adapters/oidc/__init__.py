"""Sign-in through an OpenID Connect provider, such as GOV.UK One Login.

The provider only proves that the person controls an email address; whether that address
may sign in is still decided by `sign_in_with_verified_email` in `handlers/sign_in.py`
(invitation only).

The flow is the authorization code flow with PKCE (S256), `state` and `nonce`:

1. `begin` stores a pending sign-in in `oidc_states` (the state, hashed; the nonce; the PKCE
   verifier; the hash of a random value that the person's browser keeps in a cookie) and
   returns the provider's authorisation URL.
2. `take_pending` deletes that row when the person comes back, so a state works once, only
   before it expires and only in the browser that started it.
3. `verified_identity` exchanges the code (authlib), checks the ID token (signature against
   the provider's published keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`, any required
   claims) and returns the address if the provider says it is verified. Providers that keep
   the email out of the ID token (GOV.UK One Login) are asked at their userinfo endpoint.

`provider.py` holds the relying party's settings and the provider's metadata and keys,
`flow.py` the three steps, `errors.py` why a sign-in failed. Settings are read per request
(`OidcConfig.from_settings`), so switching the provider on or changing it needs no code;
provider metadata and keys are cached per issuer by `ProviderDirectory`.
"""

from services.identity.adapters.oidc.errors import (
    EmailNotVerified,
    IdentityNotVerified,
    OidcError,
    OidcNotConfigured,
    ProviderRefused,
    ProviderUnavailable,
    SignInStateNotValid,
)
from services.identity.adapters.oidc.flow import (
    Authorisation,
    PendingSignIn,
    VerifiedIdentity,
    begin,
    take_pending,
    verified_identity,
)
from services.identity.adapters.oidc.provider import OidcConfig, ProviderDirectory

__all__ = [
    "Authorisation",
    "EmailNotVerified",
    "IdentityNotVerified",
    "OidcConfig",
    "OidcError",
    "OidcNotConfigured",
    "PendingSignIn",
    "ProviderDirectory",
    "ProviderRefused",
    "ProviderUnavailable",
    "SignInStateNotValid",
    "VerifiedIdentity",
    "begin",
    "take_pending",
    "verified_identity",
]
