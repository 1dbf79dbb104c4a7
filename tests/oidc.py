"""A local OpenID Connect provider over real HTTP, for the login tests: the discovery document as Cognito
publishes one; an authorization page listing its users, where the browser picks one (as a person would give
their password); a token endpoint answering with an RS256 ID token of that user's claims (Cognito's
`cognito:groups` among them) for the nonce the client sent; and its signing key. Streamlit's login (Authlib)
checks the token's signature, issuer, audience, nonce and times against it as against Cognito."""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests import hosts

KEY_ID = "local-provider"


@dataclass(frozen=True)
class User:
    email: str
    groups: tuple[str, ...] = ()


class Provider(ThreadingHTTPServer):
    """The provider's state: its users, its key, and the codes it has handed out but not yet exchanged."""

    def __init__(self, users: tuple[User, ...]) -> None:
        super().__init__(("127.0.0.1", 0), _Endpoints)
        self.users = {user.email: user for user in users}
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID})
        self.codes: dict[str, dict[str, Any]] = {}  # code -> what its ID token will say
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def discovery(self) -> dict[str, Any]:
        base = self.url
        return {
            "issuer": base, "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token", "jwks_uri": f"{base}/.well-known/jwks.json",
            "userinfo_endpoint": f"{base}/oauth2/userInfo", "response_types_supported": ["code"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
        }

    def code_for(self, user: User, client_id: str, nonce: str | None) -> str:
        code = secrets.token_urlsafe(16)
        now = int(time.time())
        claims = {"iss": self.url, "aud": client_id, "sub": f"sub-{user.email}", "email": user.email,
                  "email_verified": True, "iat": now, "exp": now + 3600, "token_use": "id"}
        if user.groups:
            claims["cognito:groups"] = list(user.groups)
        if nonce:
            claims["nonce"] = nonce
        with self.lock:
            self.codes[code] = claims
        return code

    def tokens(self, code: str) -> dict[str, Any] | None:
        with self.lock:
            claims = self.codes.pop(code, None)  # a code is good once
        if claims is None:
            return None
        id_token = jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, self.key)
        return {"id_token": id_token, "access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                "expires_in": 3600}


class _Endpoints(BaseHTTPRequestHandler):
    server: Provider

    def do_GET(self) -> None:
        where = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(where.query).items()}
        if where.path == "/.well-known/openid-configuration":
            self._json(self.server.discovery())
        elif where.path == "/.well-known/jwks.json":
            self._json({"keys": [self.server.key.as_dict(private=False)]})
        elif where.path == "/oauth2/authorize":
            self._login_page(query)
        else:
            self._answer(404, "text/plain", b"not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
        tokens = self.server.tokens(form.get("code", "")) if self.path == "/oauth2/token" else None
        if tokens is None:
            self._answer(400, "application/json", b'{"error": "invalid_grant"}')
        else:
            self._json(tokens)

    def _login_page(self, query: dict[str, str]) -> None:
        """One link per user: following it is logging in as them."""
        links = []
        for user in self.server.users.values():
            code = self.server.code_for(user, query.get("client_id", ""), query.get("nonce"))
            back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
            links.append(f'<li><a href="{html.escape(back)}">{html.escape(user.email)}</a></li>')
        page = f"<!doctype html><title>Log in</title><h1>Log in as</h1><ul>{''.join(links)}</ul>"
        self._answer(200, "text/html; charset=utf-8", page.encode())

    def _json(self, body: dict[str, Any]) -> None:
        self._answer(200, "application/json", json.dumps(body).encode())

    def _answer(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def oidc_provider(*users: User) -> Iterator[Provider]:
    """The provider answering on loopback for the block."""
    provider = Provider(users)
    with hosts.serving(provider):
        yield provider
