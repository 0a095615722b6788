"""Sign-in through an OpenID Connect provider, end to end through the gateway.

The provider is tests/identity/oidc_provider.py, served on a loopback port; identity talks to
it over real HTTP. Identity reads its OIDC settings per request, so each test switches OIDC
on by swapping the running service's settings for a configured copy (`oidc_settings`), and
restores them afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from identity.oidc_provider import Account, Client, OidcTestProvider, Quirks
from pydantic import SecretStr
from sqlalchemy import text
from support import unique_email

from devstack.postgres import free_port

CLIENT_ID = "convene-test"
# Random-looking, as IDENTITY_OIDC_CLIENT_SECRET must be (a Secret), with odd characters too.
CLIENT_SECRET = "Tq7vLm9:odd/characters+xR4pZs2Wk8Nb"
PROVIDER_NAME = "test-idp"


@pytest.fixture(scope="session")
async def provider(stack) -> AsyncIterator[OidcTestProvider]:  # type: ignore[no-untyped-def]
    provider = OidcTestProvider()
    provider.register(Client(CLIENT_ID, _callback_url(stack), secret=CLIENT_SECRET))
    await provider.start()
    yield provider
    await provider.stop()


def _callback_url(stack) -> str:  # type: ignore[no-untyped-def]
    # The default: <public_base_url>/api/identity/oidc/callback, i.e. through the gateway.
    return f"{stack.gateway_url}/api/identity/oidc/callback"


@contextmanager
def oidc_settings(stack, **changes: Any) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Run identity with these settings changed (validated like the environment would be)."""
    runtime = stack.runtime("identity")
    original = runtime.settings
    runtime.settings = type(original).model_validate({**original.model_dump(), **changes})
    try:
        yield
    finally:
        runtime.settings = original


@pytest.fixture
def oidc_on(stack, provider) -> Iterator[OidcTestProvider]:  # type: ignore[no-untyped-def]
    provider.reset()
    with oidc_settings(
        stack,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_provider_name=PROVIDER_NAME,
    ):
        yield provider


@pytest.fixture
async def client(stack) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    # A browser of one's own: its cookies are the ones the gateway set for it.
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, timeout=10, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def invite(client: httpx.AsyncClient, admin: dict[str, str], email: str) -> str:
    response = await client.post(
        "/api/identity/invitations",
        json={"full_name": "Amara Okafor", "email": email, "organisation": "HM Treasury"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["member_id"])


async def to_provider_and_back(client: httpx.AsyncClient) -> str:
    """Start at /oidc/login, let the provider answer; the URL it sends the browser back to."""
    login = await client.get("/api/identity/oidc/login")
    assert login.status_code == 303, login.text
    at_provider = await client.get(login.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    return at_provider.headers["location"]


async def sign_in(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(await to_provider_and_back(client))


def assert_refused(response: httpx.Response, title: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == title
    assert "convene_session" not in response.cookies


async def member_status(stack, member_id: str) -> str:  # type: ignore[no-untyped-def]
    async with stack.runtime("identity").engine.connect() as conn:
        return str(
            await conn.scalar(text("SELECT status FROM members WHERE id = :id"), {"id": member_id})
        )


async def test_an_invited_member_signs_in_at_the_provider_and_becomes_active(
    client, admin, stack, oidc_on
) -> None:
    email = unique_email("amara")
    member_id = await invite(client, admin, email)
    oidc_on.reset(Account(email))

    login = await client.get("/api/identity/oidc/login")
    assert login.status_code == 303
    assert login.headers["cache-control"] == "no-store"
    target = urlsplit(login.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc_on.issuer}/authorize"
    query = {name: values[0] for name, values in parse_qs(target.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == _callback_url(stack)
    assert query["scope"] == "openid email"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    browser_cookie = next(c for c in client.cookies.jar if c.name == "convene_oidc")
    assert browser_cookie.path == "/api/identity/oidc"
    assert browser_cookie.has_nonstandard_attr("HttpOnly")

    at_provider = await client.get(login.headers["location"])
    done = await client.get(at_provider.headers["location"])

    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{stack.gateway_url}/"
    assert oidc_on.client_auth_methods == ["client_secret_basic"]
    set_cookies = done.headers.get_list("set-cookie")
    session = next((c for c in set_cookies if c.startswith("convene_session=")), None)
    refresh = next((c for c in set_cookies if c.startswith("convene_refresh=")), None)
    joined = (
        f"expected one Set-Cookie header per cookie, got {set_cookies!r}: a proxy that joins "
        "Set-Cookie headers with commas (httpx Headers.items()) breaks them"
    )
    assert session is not None, joined
    assert refresh is not None, joined
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/;", "Max-Age=900"):
        assert attribute in f"{session};", attribute
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/;"):
        assert attribute in f"{refresh};", attribute

    me = await client.get("/api/identity/me", headers=bearer(client.cookies["convene_session"]))
    assert me.status_code == 200
    assert me.json()["id"] == member_id
    assert me.json()["status"] == "active"
    assert me.json()["email"] == email
    # The refresh cookie is a working session too.
    refreshed = await client.post("/api/identity/tokens/refresh")
    assert refreshed.status_code == 200
    assert refreshed.json()["member_id"] == member_id

    audit = (
        await client.get("/api/identity/audit", params={"member_id": member_id}, headers=admin)
    ).json()
    activated = next(e for e in audit["items"] if e["action"] == "member.activated")
    assert activated["details"]["provider"] == PROVIDER_NAME
    async with stack.runtime("identity").engine.connect() as conn:
        published = await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE key = :id AND event_type = :type"),
            {"id": member_id, "type": "identity.member.activated.v1"},
        )
    assert published == 1
    # The invitation is spent: the emailed link no longer works.
    async with stack.runtime("identity").engine.connect() as conn:
        invitation = await conn.scalar(
            text("SELECT status FROM invitations WHERE member_id = :id"), {"id": member_id}
        )
    assert invitation == "redeemed"


async def test_an_active_member_signs_in_again(client, admin, stack, oidc_on) -> None:
    email = unique_email("again")
    member_id = await invite(client, admin, email)
    oidc_on.reset(Account(email))
    assert (await sign_in(client)).status_code == 303
    client.cookies.clear()

    again = await sign_in(client)
    assert again.status_code == 303, again.text
    me = await client.get("/api/identity/me", headers=bearer(client.cookies["convene_session"]))
    assert me.json()["id"] == member_id
    audit = (
        await client.get("/api/identity/audit", params={"member_id": member_id}, headers=admin)
    ).json()
    signed_in = [e for e in audit["items"] if e["action"] == "member.signed_in"]
    assert [e["details"] for e in signed_in] == [{"method": PROVIDER_NAME}]


async def test_an_address_without_an_invitation_is_refused(client, oidc_on) -> None:
    oidc_on.reset(Account(unique_email("stranger")))
    refused = await sign_in(client)
    assert_refused(refused, "No invitation for this email address")
    assert "invitation" in refused.json()["detail"]


async def test_an_expired_invitation_is_refused(client, admin, stack, oidc_on) -> None:
    email = unique_email("late")
    member_id = await invite(client, admin, email)
    async with stack.runtime("identity").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE email = :e"
            ),
            {"e": email},
        )
    oidc_on.reset(Account(email))
    assert_refused(await sign_in(client), "No invitation for this email address")
    assert await member_status(stack, member_id) == "invited"


async def test_a_state_works_once_and_only_in_the_browser_that_started(
    client, admin, stack, oidc_on
) -> None:
    email = unique_email("replay")
    await invite(client, admin, email)
    oidc_on.reset(Account(email))

    # Another browser (no cookie from /oidc/login) cannot finish this sign-in, and the
    # attempt spends the state.
    back = await to_provider_and_back(client)
    async with httpx.AsyncClient(timeout=10) as stranger:
        assert_refused(await stranger.get(back), "Sign-in attempt not valid")
    assert_refused(await client.get(back), "Sign-in attempt not valid")

    back = await to_provider_and_back(client)
    assert (await client.get(back)).status_code == 303
    replayed = await client.get(back)
    assert_refused(replayed, "Sign-in attempt not valid")

    unknown = await client.get(
        "/api/identity/oidc/callback", params={"code": "x", "state": "not-a-state"}
    )
    assert_refused(unknown, "Sign-in attempt not valid")
    missing = await client.get("/api/identity/oidc/callback")
    assert_refused(missing, "Sign-in attempt not valid")


async def test_a_state_expires(client, admin, stack, oidc_on) -> None:
    email = unique_email("slow")
    member_id = await invite(client, admin, email)
    oidc_on.reset(Account(email))
    back = await to_provider_and_back(client)
    state = parse_qs(urlsplit(back).query)["state"][0]
    from services.identity.domain.model import hash_secret

    async with stack.runtime("identity").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE oidc_states SET expires_at = now() - interval '1 second'"
                " WHERE state_hash = :h"
            ),
            {"h": hash_secret(state)},
        )
    assert_refused(await client.get(back), "Sign-in attempt not valid")
    assert await member_status(stack, member_id) == "invited"


@pytest.mark.parametrize(
    ("quirks", "reason"),
    [
        (Quirks(unpublished_key=True), "signature"),
        (Quirks(nonce="a-nonce-from-another-sign-in"), "nonce"),
        (Quirks(audience="some-other-client"), "aud"),
        (Quirks(issuer="http://127.0.0.1:1/elsewhere"), "issuer"),
        (Quirks(expires_in=-300), "expired"),
    ],
    ids=["wrong-key", "wrong-nonce", "wrong-audience", "wrong-issuer", "expired"],
)
async def test_an_id_token_that_fails_a_check_is_refused(
    client, admin, stack, oidc_on, quirks, reason
) -> None:
    email = unique_email("tamper")
    member_id = await invite(client, admin, email)
    oidc_on.reset(Account(email), quirks)
    refused = await sign_in(client)
    assert_refused(refused, "Sign-in could not be verified")
    assert reason in refused.json()["detail"]
    assert await member_status(stack, member_id) == "invited"


async def test_an_address_the_provider_has_not_verified_is_refused(
    client, admin, stack, oidc_on
) -> None:
    email = unique_email("unverified")
    member_id = await invite(client, admin, email)
    oidc_on.reset(Account(email, email_verified=False))
    assert_refused(await sign_in(client), "Email address not verified")
    assert await member_status(stack, member_id) == "invited"


async def test_a_person_who_cancels_at_the_provider_is_told_so(client, oidc_on) -> None:
    oidc_on.reset(Account(unique_email("cancel")), Quirks(deny="access_denied"))
    back = await to_provider_and_back(client)
    assert "error=access_denied" in back
    refused = await client.get(back)
    assert_refused(refused, "Sign-in was not completed")
    assert "access_denied" in refused.json()["detail"]


async def test_a_wrong_client_secret_is_refused_not_an_error(client, stack, provider) -> None:
    provider.reset(Account(unique_email("secret")))
    with oidc_settings(
        stack,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr("Wrong-Kj3x9Qv7Rm2Lp5Zt8Yb4Nc6Hd1Fg0"),
    ):
        refused = await sign_in(client)
    assert_refused(refused, "Sign-in could not be verified")
    assert "invalid_client" in refused.json()["detail"]


async def test_a_one_login_shaped_provider_with_private_key_jwt_and_userinfo(
    client, admin, stack, provider
) -> None:
    """Shaped like GOV.UK One Login: private_key_jwt, `vtr` asked for and `vot` checked, the
    email only at userinfo, an issuer with a trailing slash. Only settings differ."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    provider.register(
        Client("one-login-shaped", _callback_url(stack), public_key=private_key.public_key())
    )
    email = unique_email("onelogin")
    member_id = await invite(client, admin, email)
    provider.reset(
        Account(email),
        Quirks(email_only_at_userinfo=True, extra_claims={"vot": "Cl.Cm", "vtm": "x"}),
    )
    with oidc_settings(
        stack,
        oidc_issuer=f"{provider.issuer}/",  # One Login's issuer ends in a slash
        oidc_client_id="one-login-shaped",
        oidc_token_auth_method="private_key_jwt",
        oidc_private_key=SecretStr(pem),
        oidc_private_key_id="convene-2026",
        oidc_authorize_params={"vtr": '["Cl.Cm"]', "ui_locales": "en"},
        oidc_required_claims={"vot": "Cl.Cm"},
        oidc_provider_name="gov-uk-one-login",
    ):
        done = await sign_in(client)
        assert done.status_code == 303, done.text
        assert provider.authorize_requests[-1]["vtr"] == '["Cl.Cm"]'
        assert provider.authorize_requests[-1]["ui_locales"] == "en"
        assert provider.client_auth_methods == ["private_key_jwt"]
        assert await member_status(stack, member_id) == "active"

        # A token without the level of authentication asked for is refused.
        provider.reset(Account(email), Quirks(email_only_at_userinfo=True))
        client.cookies.clear()
        refused = await sign_in(client)
        assert_refused(refused, "Sign-in could not be verified")
        assert "vot" in refused.json()["detail"]


async def test_client_secret_post_works_too(client, admin, stack, provider) -> None:
    email = unique_email("post")
    member_id = await invite(client, admin, email)
    provider.reset(Account(email))
    with oidc_settings(
        stack,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_token_auth_method="client_secret_post",
    ):
        done = await sign_in(client)
    assert done.status_code == 303, done.text
    assert provider.client_auth_methods == ["client_secret_post"]
    assert await member_status(stack, member_id) == "active"


async def test_oidc_is_off_until_configured(client, stack) -> None:
    assert stack.runtime("identity").settings.oidc_issuer is None
    for path in ("/api/identity/oidc/login", "/api/identity/oidc/callback?code=x&state=y"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/oidc-not-configured")


async def test_a_provider_that_does_not_answer_is_a_503(client, stack) -> None:
    with oidc_settings(
        stack,
        oidc_issuer=f"http://127.0.0.1:{free_port()}",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
    ):
        response = await client.get("/api/identity/oidc/login")
    assert response.status_code == 503
    assert response.json()["title"] == "Sign-in provider unavailable"
    assert response.headers["retry-after"]
