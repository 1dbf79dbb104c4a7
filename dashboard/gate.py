"""The login gate in front of Streamlit: ASGI middleware that dashboard/server.py puts before its routes.

Streamlit checks the login only inside a page (st.user), and serves much without running one: its page and
scripts, its WebSocket, /_stcore/metrics and /_stcore/host-config, uploads to a live session (which a
visitor who has not logged in can open) and /media. So, when login is on, this gate:
- answers a request without a valid, fresh login cookie itself: a page or file is redirected to Streamlit's
  login (as st.login does), anything else refused (401), a WebSocket closed; only the health check and the
  login's own two steps (/auth/login, /oauth2callback, which answer with redirects) reach Streamlit;
- forgets login cookies older than LOGIN_SESSION_SECONDS (Streamlit honours them for 30 days), and makes
  the ones Streamlit sets last that long in the browser too;
- on logout, also ends the load balancer's login session and, with LOGOUT_URL, the identity provider's.
When login is required but not configured, or its settings cannot be read, it serves only the health check.
With a certificate the load balancer asks for the login before any request gets here (infra/template.yaml);
without one, behind CloudFront, this gate is the login's only door.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import cookie_parser
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit.user_info import generate_login_redirect_url
from streamlit.web.server.server_util import get_cookie_secret

from core.settings import Settings
from dashboard.auth import REFUSALS, LoginState, login_state

USER_COOKIE = "_streamlit_user"  # Streamlit's login cookie (its tokens cookie and chunks share the prefix)
# The load balancer's login session (authenticate-cognito), split into -0, -1, … when large.
BALANCER_COOKIES = tuple(f"AWSELBAuthSessionCookie-{n}" for n in range(4))
ALWAYS_SERVED = ("/_stcore/health",)  # the load balancer's health check
LOGIN_FLOW = ("/auth/login", "/oauth2callback")  # the login itself: both answer only with redirects
PROVIDER = "default"  # Streamlit's name for the one provider a flat [auth] section configures
LOGOUT_PATH = "/auth/logout"
_MAX_AGE = re.compile(rb"max-age=\d+", re.IGNORECASE)


class LoginGate:
    """Pure ASGI middleware (not BaseHTTPMiddleware): it must see WebSocket handshakes and stream uploads."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.settings = Settings()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = login_state(self.settings.require_login)
        if state in REFUSALS and scope["path"] not in ALWAYS_SERVED:
            await refuse(scope, receive, send, 503, REFUSALS[state])
            return
        if state is not LoginState.ON:
            await self.app(scope, receive, send)
            return
        scope, logged_in = self.without_stale_logins(scope)
        if not logged_in and scope["path"] not in ALWAYS_SERVED + LOGIN_FLOW:
            await ask_for_login(scope, receive, send)
            return
        await self.app(scope, receive, self.rewriting(send, scope["path"]))

    def without_stale_logins(self, scope: Scope) -> tuple[Scope, bool]:
        """The request without login cookies forged or older than the session; True if a valid one is left."""
        cookies = cookie_parser(_header(scope, b"cookie"))
        if USER_COOKIE not in cookies:
            return scope, False
        if self.fresh(cookies[USER_COOKIE]):
            return scope, True
        kept = "; ".join(f"{k}={v}" for k, v in cookies.items() if not k.startswith(USER_COOKIE))
        headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        return {**scope, "headers": [*headers, (b"cookie", kept.encode("latin-1"))]}, False

    def fresh(self, signed: str) -> bool:
        """Whether Streamlit signed this login cookie (as it does: itsdangerous, salted with the cookie's
        name) within the session's lifetime."""
        serializer = URLSafeTimedSerializer(get_cookie_secret(), salt=USER_COOKIE)
        try:
            serializer.loads(signed, max_age=self.settings.login_session_seconds)
        except BadSignature:  # forged, from another secret, or expired (SignatureExpired is one)
            return False
        return True

    def rewriting(self, send: Send, path: str) -> Send:
        """`send`, with Streamlit's login cookies shortened to the session, and logout extended."""
        lifetime = f"Max-Age={self.settings.login_session_seconds}".encode()

        async def rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, _MAX_AGE.sub(lifetime, v) if _sets_login(k, v) else v)
                           for k, v in message.get("headers", [])]
                if path == LOGOUT_PATH:
                    headers = self.logging_out(headers)
                message = {**message, "headers": headers}
            await send(message)

        return rewritten

    def logging_out(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Streamlit's logout answer, also ending the load balancer's session and the provider's."""
        ended = [(b"set-cookie", f"{name}=; Max-Age=0; Path=/; Secure; HttpOnly".encode())
                 for name in BALANCER_COOKIES]
        if self.settings.logout_url:
            headers = [(k, v) for k, v in headers if k != b"location"]
            headers.append((b"location", self.settings.logout_url.encode()))
        return headers + ended


def _sets_login(name: bytes, value: bytes) -> bool:
    return name == b"set-cookie" and value.startswith(USER_COOKIE.encode())


def _header(scope: Scope, name: bytes) -> str:
    values: Iterable[tuple[bytes, bytes]] = scope.get("headers", [])
    return "; ".join(v.decode("latin-1") for k, v in values if k == name)


async def ask_for_login(scope: Scope, receive: Receive, send: Send) -> None:
    """A visitor who has not logged in: a page or file fetched is sent where st.login sends the browser
    (Streamlit's /auth/login, which redirects to the provider); anything else is refused."""
    if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
        response: Any = RedirectResponse(generate_login_redirect_url(PROVIDER), status_code=302,
                                         headers={"Cache-Control": "no-store"})
        await response(scope, receive, send)
        return
    await refuse(scope, receive, send, 401, "Log in first: this needs a logged-in session.")


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, reason: str) -> None:
    """Answer without Streamlit: a plain-text error, or a WebSocket closed before it opens."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        return
    response: Any = PlainTextResponse(reason, status_code=status, headers={"Cache-Control": "no-store"})
    await response(scope, receive, send)
