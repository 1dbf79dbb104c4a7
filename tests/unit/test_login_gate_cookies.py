"""The login gate's answers, around a stand-in for Streamlit: the login cookie Streamlit sets lasts the
session (LOGIN_SESSION_SECONDS), not its 30 days; a forged login cookie is sent to log in and never reaches
Streamlit; a valid one passes with the other cookies unchanged. Called as ASGI, as uvicorn calls it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route
from starlette.types import Message

from dashboard import gate
from dashboard.auth import LoginState

THIRTY_DAYS = 30 * 24 * 3600


def callback(request: Request) -> RedirectResponse:
    """What Streamlit's /oauth2callback answers after a login: its cookies, then the app."""
    answer = RedirectResponse("/", status_code=302)
    answer.set_cookie("_streamlit_user", "signed", max_age=THIRTY_DAYS, httponly=True)
    answer.set_cookie("_streamlit_xsrf", "token", max_age=THIRTY_DAYS)
    return answer


def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.headers.get("cookie", ""))


@pytest.fixture()
def login_gate(monkeypatch: pytest.MonkeyPatch) -> gate.LoginGate:
    monkeypatch.setattr(gate, "login_state", lambda required: LoginState.ON)
    monkeypatch.setattr(gate, "get_cookie_secret", lambda: "the-secret")
    monkeypatch.setenv("LOGIN_SESSION_SECONDS", "7200")
    return gate.LoginGate(Starlette(routes=[Route("/oauth2callback", callback), Route("/", page)]))


def get(app: gate.LoginGate, path: str, cookie: str = "") -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One GET through the gate: the answer's status, headers and body."""
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"dashboard"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 1), "server": ("dashboard", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), list(start["headers"]), body


def test_the_login_cookie_lasts_the_session_in_the_browser(login_gate: gate.LoginGate) -> None:
    _, headers, _ = get(login_gate, "/oauth2callback")
    cookies = [value.decode() for name, value in headers if name == b"set-cookie"]
    (user,) = [c for c in cookies if c.startswith("_streamlit_user=")]
    (xsrf,) = [c for c in cookies if c.startswith("_streamlit_xsrf=")]
    assert "Max-Age=7200" in user and f"Max-Age={THIRTY_DAYS}" in xsrf


def test_a_forged_login_cookie_is_sent_to_log_in_and_never_reaches_streamlit(
    login_gate: gate.LoginGate,
) -> None:
    status, headers, body = get(login_gate, "/", "_streamlit_user=forged; _streamlit_xsrf=token")
    assert status == 302 and b"auth/login" in dict(headers)[b"location"]
    assert b"token" not in body  # Streamlit's page never ran


def test_a_valid_login_reaches_streamlit_with_its_other_cookies(login_gate: gate.LoginGate) -> None:
    signed = URLSafeTimedSerializer("the-secret", salt=gate.USER_COOKIE).dumps("someone")
    status, _, body = get(login_gate, "/", f"{gate.USER_COOKIE}={signed}; _streamlit_xsrf=token")
    assert status == 200 and body == f"{gate.USER_COOKIE}={signed}; _streamlit_xsrf=token".encode()
