"""The shared token verifier refuses every token it must not trust."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.chassis.tokens import InvalidToken, TokenVerifier

ISSUER, AUDIENCE = "convene-identity", "convene"


class Keys:
    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys

    async def key_for(self, kid: str) -> Any | None:
        return self.keys.get(kid)


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def verifier(private_key: rsa.RSAPrivateKey) -> TokenVerifier:
    return TokenVerifier(Keys({"k1": private_key.public_key()}), issuer=ISSUER, audience=AUDIENCE)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "member-1",
        "roles": ["member", "curator"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(private_key: rsa.RSAPrivateKey, kid: str = "k1", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), private_key, algorithm="RS256", headers={"kid": kid})


async def test_a_valid_token_names_the_member_and_roles(verifier, private_key) -> None:
    principal = await verifier.verify(sign(private_key, scope="public.content public.reports"))
    assert principal.subject == "member-1"
    assert principal.roles == {"member", "curator"}
    assert principal.scopes == {"public.content", "public.reports"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_alg_none_is_refused(verifier) -> None:
    token = f"{_b64({'alg': 'none', 'kid': 'k1'})}.{_b64(claims())}."
    with pytest.raises(InvalidToken, match="RS256"):
        await verifier.verify(token)


async def test_hs256_signed_with_the_public_key_is_refused(verifier, private_key) -> None:
    # The classic confusion attack: an HMAC "signed" with the RSA public key as the secret.
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    header = _b64({"alg": "HS256", "kid": "k1", "typ": "JWT"})
    body = _b64(claims())
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    with pytest.raises(InvalidToken, match="RS256"):
        await verifier.verify(token)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-service"}, "audience"),
        ({"iss": "someone-else"}, "issuer"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"jti": None}, "jti"),
        ({"sub": None}, "sub"),
    ],
)
async def test_wrong_claims_are_refused(verifier, private_key, overrides, reason) -> None:
    with pytest.raises(InvalidToken, match=f"(?i){reason}"):
        await verifier.verify(sign(private_key, **overrides))


async def test_an_unknown_key_id_is_refused(verifier, private_key) -> None:
    with pytest.raises(InvalidToken, match="unknown"):
        await verifier.verify(sign(private_key, kid="k-rotated-away"))


async def test_a_token_signed_by_another_key_is_refused(verifier) -> None:
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidToken, match="not valid"):
        await verifier.verify(sign(intruder, kid="k1"))


async def test_garbage_is_refused(verifier) -> None:
    with pytest.raises(InvalidToken, match="malformed"):
        await verifier.verify("not-a-jwt")


class CountingKeys(Keys):
    def __init__(self, keys: dict[str, Any]) -> None:
        super().__init__(keys)
        self.asked = 0

    async def key_for(self, kid: str) -> Any | None:
        self.asked += 1
        return await super().key_for(kid)


async def test_a_verified_token_is_remembered_for_a_while_but_never_past_expiry(
    private_key,
) -> None:
    now = [time.time()]
    keys = CountingKeys({"k1": private_key.public_key()})
    verifier = TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, remember_seconds=60, clock=lambda: now[0]
    )
    token = sign(private_key, exp=int(now[0]) + 30)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert keys.asked == 1  # the signature was checked once
    # A token differing in one character is checked afresh, and refused.
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidToken):
        await verifier.verify(tampered)
    assert keys.asked == 2
    # The verifier's clock passes the token's expiry (30 s, before the 60 s of remembering):
    # it is checked again (the signature check itself uses the real clock, so still passes).
    now[0] += 31
    assert await verifier.verify(token) == first
    assert keys.asked == 3


async def test_remembering_is_bounded(private_key) -> None:
    keys = CountingKeys({"k1": private_key.public_key()})
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, remember_at_most=2)
    tokens = [sign(private_key) for _ in range(3)]
    for token in tokens:
        await verifier.verify(token)
    await verifier.verify(tokens[0])  # the oldest was forgotten when the third came
    assert keys.asked == 4
    await verifier.verify(tokens[2])
    assert keys.asked == 4
