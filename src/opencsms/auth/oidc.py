"""OpenID Connect login for the dashboard: the authorization code flow with PKCE (RFC 7636).

The relying party is built from maintained parts: Authlib for the PKCE challenge and the random
values, joserfc (Authlib's JOSE library) to check the ID token's signature against the
provider's published keys and its claims (issuer, audience, expiry, nonce), httpx for the calls.

The provider's role claim (``role_claim``, a dotted path into the claims, a string or a list)
is mapped to an opencsms role with ``role_map`` (claim value -> role); the highest role any
value maps to wins. Without a match the login is refused unless a ``default_role`` is set.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from opencsms.auth.roles import Role

#: How long a login may take at the provider, seconds (the flow cookie's life).
FLOW_SECONDS = 600
#: How long the provider's metadata and keys are kept before they are read again, seconds.
DISCOVERY_SECONDS = 3600
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class OidcError(Exception):
    """The login failed: the provider refused, or its answer did not check out. The message is
    safe to show."""


class OidcRoleRefused(OidcError):
    """The identity is genuine but its claims give it no role here."""


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid profile email"
    role_claim: str = "opencsms_role"
    #: claim value -> role; empty: a value that names a role ("operator") is that role.
    role_map: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None
    username_claim: str = "preferred_username"

    @staticmethod
    def parse_role_map(text: str) -> dict[str, Role]:
        """``"admin=csms-admins; operator=ops,field"`` as {claim value: role}.

        Raises:
            ValueError: an entry is not ``role=value[,value...]`` with a known role.
        """
        mapping: dict[str, Role] = {}
        for entry in filter(None, (part.strip() for part in text.split(";"))):
            role, equals, values = entry.partition("=")
            if not equals or role.strip() not in Role.__members__.values():
                raise ValueError(f"OPENCSMS_OIDC_ROLES: {entry!r} is not role=value[,value...]")
            for value in filter(None, (v.strip() for v in values.split(","))):
                mapping[value] = Role(role.strip())
        return mapping


@dataclass(frozen=True, slots=True)
class Flow:
    """What the browser carries (signed) between the redirect to the provider and the callback."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
            "next_path": self.next_path,
        }


@dataclass(frozen=True, slots=True)
class Identity:
    issuer: str
    subject: str
    name: str
    role: Role


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


class OidcLogin:
    """The dashboard's OpenID Connect client. Raises :class:`OidcError` when a login fails."""

    def __init__(self, config: OidcConfig, *, timeout: float = 10.0) -> None:
        self.config = config
        self._timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    async def _get_json(self, client: httpx.AsyncClient, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await client.get(url, **kwargs)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the identity provider did not answer as expected ({url})") from exc
        if not isinstance(body, dict):
            raise OidcError(f"the identity provider sent no JSON object ({url})")
        return body

    async def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        """The provider's discovery document (checked: it names the configured issuer)."""
        fresh = time.monotonic() - self._fetched_at < DISCOVERY_SECONDS
        if self._metadata is not None and fresh and not refresh:
            return self._metadata
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            metadata = await self._get_json(client, url)
            if metadata.get("issuer") != self.config.issuer:
                raise OidcError(
                    f"the provider names itself {metadata.get('issuer')!r}, not {self.config.issuer!r}"
                )
            missing = [name for name in _ENDPOINTS if not isinstance(metadata.get(name), str)]
            if missing:
                raise OidcError(f"the provider's discovery document lacks {', '.join(missing)}")
            keys = await self._get_json(client, str(metadata["jwks_uri"]))
        try:
            key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise OidcError("the provider's published keys cannot be read") from exc
        self._metadata, self._keys = metadata, key_set
        self._fetched_at = time.monotonic()
        return metadata

    async def begin(self, redirect_uri: str, next_path: str) -> tuple[str, Flow]:
        """Where to send the browser, and the flow to keep (signed) until it comes back."""
        metadata = await self.metadata()
        flow = Flow(generate_token(32), generate_token(32), generate_token(64), redirect_uri, next_path)
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scopes,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": create_s256_code_challenge(flow.code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{metadata['authorization_endpoint']}?{urlencode(query)}", flow

    async def finish(self, flow: Flow, state: str, code: str) -> Identity:
        """Trade the code for tokens, check the ID token, and say who logged in as what."""
        if state != flow.state:
            raise OidcError("the login's state does not match (start the login again)")
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "code_verifier": flow.code_verifier,
            "client_id": self.config.client_id,
        }
        auth = (self.config.client_id, self.config.client_secret) if self.config.client_secret else None
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            try:
                response = await client.post(str(metadata["token_endpoint"]), data=form, auth=auth)  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                raise OidcError("the identity provider's token endpoint did not answer") from exc
            if response.status_code != 200:
                raise OidcError(f"the identity provider refused the code ({response.status_code})")
            try:
                tokens = response.json()
            except ValueError as exc:
                raise OidcError("the identity provider's token answer is not JSON") from exc
            if not isinstance(tokens, dict):
                raise OidcError("the identity provider's token answer is not a JSON object")
            claims = await self._check_id_token(str(tokens.get("id_token", "")), flow.nonce)
            if _claim(claims, self.config.role_claim) is None and metadata.get("userinfo_endpoint"):
                userinfo = await self._get_json(
                    client,
                    str(metadata["userinfo_endpoint"]),
                    headers={"Authorization": f"Bearer {tokens.get('access_token', '')}"},
                )
                if userinfo.get("sub") == claims["sub"]:
                    claims = {**userinfo, **claims}
        role = self.role_for(claims)
        name = _claim(claims, self.config.username_claim) or claims.get("email") or claims["sub"]
        if role is None:
            raise OidcRoleRefused(f"{name} has no opencsms role (claim {self.config.role_claim})")
        return Identity(self.config.issuer, str(claims["sub"]), str(name)[:64], role)

    async def _check_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        if not id_token:
            raise OidcError("the identity provider sent no ID token")
        assert self._keys is not None
        try:
            try:
                token = jwt.decode(id_token, self._keys)
            except JoseError:  # the provider may have rotated its keys
                await self.metadata(refresh=True)
                token = jwt.decode(id_token, self._keys)
            registry = jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"the ID token does not check out ({exc})") from exc
        return dict(token.claims)

    def role_for(self, claims: Mapping[str, Any]) -> Role | None:
        """The highest role the role claim's values map to; the default role otherwise."""
        value = _claim(claims, self.config.role_claim)
        values = [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
        roles = [self.config.role_map.get(v) if self.config.role_map else _role_named(v) for v in values]
        found = [r for r in roles if r is not None]
        if found:
            return max(found, key=lambda r: r.rank)
        return self.config.default_role


def _role_named(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None
