"""Identity's settings: OIDC is off until configured, and a configured provider is checked
(complete, https, a client secret that is a real secret) before the service starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.identity.config import IdentitySettings

SECRET = "Tq7vLm9:odd/characters+xR4pZs2Wk8Nb"


def test_settings_refuse_an_incomplete_or_insecure_provider() -> None:
    base = {"database_url": "postgresql://x/y", "kafka_bootstrap_servers": "k:9092"}
    off = IdentitySettings.model_validate(base)
    assert off.oidc_issuer is None
    assert off.oidc_callback_url == "http://127.0.0.1:8000/api/identity/oidc/callback"
    bad = [
        {"oidc_issuer": "https://idp.example"},  # no client id
        {"oidc_issuer": "https://idp.example", "oidc_client_id": "c"},  # no secret
        {"oidc_issuer": "http://idp.example", "oidc_client_id": "c", "oidc_client_secret": SECRET},
        {"oidc_issuer": "https://idp.example", "oidc_client_id": "c", "oidc_client_secret": "s"},
        {
            "oidc_issuer": "https://idp.example",
            "oidc_client_id": "c",
            "oidc_client_secret": "change-me-change-me-change-me-change-me",
        },
        {
            "oidc_issuer": "https://idp.example",
            "oidc_client_id": "c",
            "oidc_token_auth_method": "private_key_jwt",
        },
        {"oidc_issuer": "https://idp.example", "oidc_client_id": "c", "oidc_private_key": "x"},
        {"oidc_scopes": "email"},
        {"oidc_authorize_params": {"state": "fixed"}},
    ]
    for changes in bad:
        with pytest.raises(ValidationError) as refused:
            IdentitySettings.model_validate({**base, **changes})
        # A refused value may be a real secret: it never appears in the error (or a log).
        assert "change-me" not in str(refused.value)
    on = IdentitySettings.model_validate(
        {
            **base,
            "oidc_issuer": "https://oidc.integration.account.gov.uk/",
            "oidc_client_id": "c",
            "oidc_client_secret": SECRET,
            "oidc_private_key": "",  # an absent optional secret
        }
    )
    assert on.oidc_private_key is None
