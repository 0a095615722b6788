"""A small OpenID Connect provider for tests: real HTTP, real signatures, no mocks.

It signs in whoever `account` names at once (no login page), and can be told to misbehave
(`Quirks`) so that each check the relying party must make can be seen to refuse. It checks
what a real provider checks: registered redirect URIs, client authentication
(client_secret_basic, client_secret_post or private_key_jwt), single-use codes and PKCE.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from devstack.postgres import free_port

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Account:
    """The person the provider signs in."""

    email: str
    email_verified: bool = True
    subject: str = field(default_factory=lambda: f"urn:test:{uuid.uuid4().hex}")


@dataclass
class Quirks:
    """Ways to misbehave, one for each check the relying party must make."""

    #: Answer /authorize with this error instead of a code (e.g. "access_denied").
    deny: str | None = None
    #: Sign the ID token with a key that is not in the JWKS (under the published kid).
    unpublished_key: bool = False
    nonce: str | None = None
    audience: str | None = None
    issuer: str | None = None
    #: Seconds from now; negative for a token that has already expired.
    expires_in: int = 300
    #: Keep email and email_verified out of the ID token, as GOV.UK One Login does.
    email_only_at_userinfo: bool = False
    extra_claims: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Client:
    client_id: str
    redirect_uri: str
    #: For client_secret_basic and client_secret_post.
    secret: str | None = None
    #: For private_key_jwt.
    public_key: rsa.RSAPublicKey | None = None


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    account: Account


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OidcTestProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.kid = uuid.uuid4().hex
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.clients: dict[str, Client] = {}
        self.account: Account | None = None
        self.quirks = Quirks()
        #: What each /authorize and /token request carried, for tests to inspect.
        self.authorize_requests: list[dict[str, str]] = []
        self.client_auth_methods: list[str] = []
        self._codes: dict[str, _Grant] = {}
        self._access_tokens: dict[str, Account] = {}
        self._seen_assertions: set[str] = set()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.app = self._build_app()

    def register(self, client: Client) -> None:
        self.clients[client.client_id] = client

    def reset(self, account: Account | None = None, quirks: Quirks | None = None) -> None:
        self.account, self.quirks = account, quirks or Quirks()
        self.authorize_requests.clear()
        self.client_auth_methods.clear()

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    # -- the protocol -----------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="Test OpenID provider")

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "private_key_jwt",
                ],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
            jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
            return {"keys": [jwk]}

        @app.get("/authorize")
        async def authorize(request: Request) -> Response:
            params = dict(request.query_params)
            self.authorize_requests.append(params)
            client = self.clients.get(params.get("client_id", ""))
            if client is None or params.get("redirect_uri") != client.redirect_uri:
                # Never redirect to an unregistered address (RFC 6749 §4.1.2.1).
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            back = {"state": params.get("state", "")}
            problems = [
                params.get("response_type") != "code",
                "openid" not in params.get("scope", "").split(),
                params.get("code_challenge_method") != "S256",
                not params.get("code_challenge"),
                not params.get("nonce"),
            ]
            if any(problems):
                back["error"] = "invalid_request"
            elif self.quirks.deny or self.account is None:
                back["error"] = self.quirks.deny or "access_denied"
            else:
                code = secrets.token_urlsafe(24)
                self._codes[code] = _Grant(
                    client.client_id,
                    client.redirect_uri,
                    params["nonce"],
                    params["code_challenge"],
                    self.account,
                )
                back["code"] = code
            return RedirectResponse(f"{client.redirect_uri}?{urlencode(back)}", status_code=302)

        @app.post("/token")
        async def token(
            grant_type: str = Form(""),
            code: str = Form(""),
            redirect_uri: str = Form(""),
            code_verifier: str = Form(""),
            client_id: str = Form(""),
            client_secret: str = Form(""),
            client_assertion_type: str = Form(""),
            client_assertion: str = Form(""),
            authorization: str | None = Header(None),
        ) -> Response:
            client = self._authenticate(
                authorization, client_id, client_secret, client_assertion_type, client_assertion
            )
            if client is None:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            if grant_type != "authorization_code":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            grant = self._codes.pop(code, None)  # a code works once
            if (
                grant is None
                or grant.client_id != client.client_id
                or grant.redirect_uri != redirect_uri
                or _s256(code_verifier) != grant.code_challenge
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            access_token = secrets.token_urlsafe(24)
            self._access_tokens[access_token] = grant.account
            return JSONResponse(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self._id_token(grant, client.client_id),
                },
                headers={"cache-control": "no-store"},
            )

        @app.get("/userinfo")
        async def userinfo(authorization: str = Header("")) -> Response:
            scheme, _, value = authorization.partition(" ")
            account = self._access_tokens.get(value) if scheme.lower() == "bearer" else None
            if account is None:
                return JSONResponse({"error": "invalid_token"}, status_code=401)
            return JSONResponse(
                {
                    "sub": account.subject,
                    "email": account.email,
                    "email_verified": account.email_verified,
                }
            )

        return app

    def _authenticate(
        self,
        authorization: str | None,
        client_id: str,
        client_secret: str,
        assertion_type: str,
        assertion: str,
    ) -> Client | None:
        if authorization and authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            name, _, secret = decoded.partition(":")
            client = self.clients.get(unquote(name))
            ok = client is not None and client.secret is not None
            self.client_auth_methods.append("client_secret_basic")
            return client if ok and secrets.compare_digest(client.secret, unquote(secret)) else None
        if assertion_type == ASSERTION_TYPE and assertion:
            self.client_auth_methods.append("private_key_jwt")
            return self._check_assertion(assertion)
        if client_secret:
            self.client_auth_methods.append("client_secret_post")
            client = self.clients.get(client_id)
            ok = client is not None and client.secret is not None
            return client if ok and secrets.compare_digest(client.secret, client_secret) else None
        return None

    def _check_assertion(self, assertion: str) -> Client | None:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        client = self.clients.get(unverified.get("iss", ""))
        if client is None or client.public_key is None:
            return None
        try:
            claims = jwt.decode(
                assertion,
                client.public_key,
                algorithms=["RS256"],
                audience=f"{self.issuer}/token",
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.PyJWTError:
            return None
        if claims["sub"] != client.client_id or claims["jti"] in self._seen_assertions:
            return None
        if claims["exp"] > time.time() + 300:  # GOV.UK One Login's limit
            return None
        self._seen_assertions.add(claims["jti"])
        return client

    def _id_token(self, grant: _Grant, client_id: str) -> str:
        quirks, now = self.quirks, int(time.time())
        claims: dict[str, Any] = {
            "iss": quirks.issuer or self.issuer,
            "aud": quirks.audience or client_id,
            "sub": grant.account.subject,
            "iat": now,
            "exp": now + quirks.expires_in,
            "nonce": quirks.nonce or grant.nonce,
            **quirks.extra_claims,
        }
        if not quirks.email_only_at_userinfo:
            claims["email"] = grant.account.email
            claims["email_verified"] = grant.account.email_verified
        key = self._rogue_key if quirks.unpublished_key else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})
