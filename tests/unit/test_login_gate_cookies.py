"""The login gate's answers, around a stand-in for Streamlit: the login cookie Streamlit sets lasts the
session (LOGIN_SESSION_SECONDS), not its 30 days; forged login cookies never reach Streamlit; other
answers and cookies pass unchanged. Called as ASGI, as uvicorn calls it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
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


def get(app: gate.LoginGate, path: str, cookie: str = "") -> tuple[list[tuple[bytes, bytes]], bytes]:
    """One GET through the gate: the answer's headers and body."""
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
    return list(start["headers"]), body


def test_the_login_cookie_lasts_the_session_in_the_browser(login_gate: gate.LoginGate) -> None:
    headers, _ = get(login_gate, "/oauth2callback")
    cookies = [value.decode() for name, value in headers if name == b"set-cookie"]
    (user,) = [c for c in cookies if c.startswith("_streamlit_user=")]
    (xsrf,) = [c for c in cookies if c.startswith("_streamlit_xsrf=")]
    assert "Max-Age=7200" in user and f"Max-Age={THIRTY_DAYS}" in xsrf


def test_a_forged_login_cookie_never_reaches_streamlit_but_the_others_do(login_gate: gate.LoginGate) -> None:
    _, body = get(login_gate, "/", "_streamlit_user=forged; _streamlit_user_tokens=x; _streamlit_xsrf=token")
    assert body == b"_streamlit_xsrf=token"
