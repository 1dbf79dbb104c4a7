"""The login gate over real HTTP: `streamlit run dashboard/server.py` (as the container runs it) with login
configured, probed on every route Streamlit registers by a visitor who has not logged in, and used with a
login as a browser does. And what the gate does when login is required but missing or unreadable."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import websockets
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.web.server.starlette import (
    starlette_agent_routes,
    starlette_auth_routes,
    starlette_routes,
    starlette_websocket,
)

from dashboard.headers import SECURITY_HEADERS
from tests.dashboard.served import COOKIE_SECRET, login_configured, serving, write_secrets
from tests.oidc import oidc_provider

LOGOUT_URL = "https://login.example.com/logout?client_id=abc&logout_uri=https://images.example.com/"
SESSION_SECONDS = 3600


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider() as running:
        yield running.url


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[str]:
    home = login_configured(tmp_path_factory.mktemp("gated"), provider)
    with serving(home, LOGOUT_URL=LOGOUT_URL, LOGIN_SESSION_SECONDS=str(SESSION_SECONDS)) as url:
        yield url


def streamlit_paths() -> set[str]:
    """A path for every route Streamlit 1.67 registers (its modules' *ROUTE* constants, parameters filled
    in), the page itself, and a deep link: a route added by a newer Streamlit is probed without a change."""
    modules: list[ModuleType] = [starlette_routes, starlette_auth_routes, starlette_websocket,
                                 starlette_agent_routes]
    routes = {value for module in modules for name, value in vars(module).items()
              if "ROUTE" in name and isinstance(value, str) and re.fullmatch(r"[a-z_][\w/{}:.-]*", value)}
    return {"/" + re.sub(r"\{[^}]+\}", "x", route) for route in routes} | {"/", "/gallery", "/static/js/x.js"}


def login_cookie(secret: str = COOKIE_SECRET, age_seconds: float = 0) -> str:
    """A `_streamlit_user` cookie as Streamlit's /oauth2callback sets it, signed `age_seconds` ago."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age_seconds)

    serializer = URLSafeTimedSerializer(secret, salt="_streamlit_user", signer=Then)
    user = {"origin": "https://images.example.com", "is_logged_in": True, "email": "ana@example.com"}
    return serializer.dumps(json.dumps(user))


def upload_in_a_live_session(url: str, **extra_cookies: str) -> int:
    """Open a session as a browser does (XSRF cookie, WebSocket, a script run), then PUT one file to it."""
    browser = requests.Session()
    browser.get(f"{url}/_stcore/health", timeout=10)  # sets the XSRF cookie, as the page load does
    xsrf = browser.cookies["_streamlit_xsrf"]
    return asyncio.run(_upload(url, xsrf, dict(browser.cookies) | extra_cookies))


async def _upload(url: str, xsrf: str, cookies: dict[str, str]) -> int:
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                  subprotocols=["streamlit", xsrf],  # type: ignore[list-item]
                                  additional_headers={"Cookie": header, "Origin": url}) as stream:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        await stream.send(rerun.SerializeToString())
        session = await _session_id(stream)
        answer = await asyncio.to_thread(
            requests.put, f"{url}/_stcore/upload_file/{session}/{uuid.uuid4()}", cookies=cookies,
            headers={"X-Xsrftoken": xsrf}, files={"file": ("cat.png", b"\x89PNG\r\n\x1a\n", "image/png")},
            timeout=10,
        )
        return answer.status_code


async def _session_id(stream: websockets.ClientConnection) -> str:
    for _ in range(100):
        message = ForwardMsg()
        message.ParseFromString(await asyncio.wait_for(stream.recv(), 20))
        if message.WhichOneof("type") == "new_session":
            return message.new_session.initialize.session_id
    raise AssertionError("the server never started a session")


def test_before_login_nothing_answers_but_the_health_check(gated: str) -> None:
    """Every route Streamlit serves, asked by a visitor who has not logged in: a page or file is sent to
    the login, anything else refused, and nothing of Streamlit's (page, metrics, config) comes back."""
    paths = streamlit_paths()
    assert {"/_stcore/metrics", "/_stcore/host-config", "/_stcore/stream", "/media/x"} <= paths
    for path in sorted(paths):
        for method in ("GET", "POST", "PUT"):
            answer = requests.request(method, gated + path, allow_redirects=False, timeout=10)
            where = f"{method} {path}: {answer.status_code} {answer.headers.get('Location')}"
            if path == "/_stcore/health":
                assert answer.status_code in (200, 405), where
            elif path.startswith(("/auth/login", "/oauth2callback")):  # the login's own steps
                assert answer.status_code in (302, 303, 307, 405), where
            elif method == "GET":
                assert answer.status_code == 302, where
                assert answer.headers["Location"].startswith("/auth/login?provider="), where
            else:
                assert answer.status_code == 401 and "Log in first" in answer.text, where
    assert requests.get(f"{gated}/_stcore/health", timeout=10).text == "ok"
    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(_open(gated))


def test_a_visitor_who_has_not_logged_in_is_sent_to_the_providers_login(gated: str, provider: str) -> None:
    """The gate's redirect is the one st.login makes: Streamlit's /auth/login answers it by sending the
    browser to the provider's authorization endpoint, with this app's client and callback."""
    page = requests.get(f"{gated}/gallery", allow_redirects=False, timeout=10)
    login = requests.get(gated + page.headers["Location"], allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text
    target = urlsplit(login.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider}/oauth2/authorize"
    query = parse_qs(target.query)
    assert query["client_id"] == ["client"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["https://images.example.com/oauth2callback"]


def test_an_upload_from_a_visitor_who_has_not_logged_in_is_refused(gated: str) -> None:
    browser = requests.Session()
    browser.get(f"{gated}/_stcore/health", timeout=10)
    answer = browser.put(f"{gated}/_stcore/upload_file/{uuid.uuid4()}/{uuid.uuid4()}", timeout=10,
                         headers={"X-Xsrftoken": browser.cookies["_streamlit_xsrf"]},
                         files={"file": ("cat.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    assert answer.status_code == 401


def test_with_a_fresh_login_the_page_is_served(gated: str) -> None:
    page = requests.get(gated, cookies={"_streamlit_user": login_cookie()}, timeout=10)
    assert page.status_code == 200 and "<!doctype html>" in page.text.lower()


def test_an_upload_with_a_fresh_login_reaches_streamlit(gated: str) -> None:
    assert upload_in_a_live_session(gated, _streamlit_user=login_cookie()) == 204


@pytest.mark.parametrize("cookie", [login_cookie(age_seconds=SESSION_SECONDS + 60),
                                    login_cookie(secret="not-the-secret")], ids=["stale", "forged"])
def test_a_login_older_than_the_session_or_signed_with_another_secret_is_forgotten(
    gated: str, cookie: str
) -> None:
    page = requests.get(gated, cookies={"_streamlit_user": cookie}, allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login?")
    with pytest.raises(websockets.InvalidStatus):
        upload_in_a_live_session(gated, _streamlit_user=cookie)


def test_every_answer_carries_hsts_and_refuses_to_be_framed(gated: str) -> None:
    answers = [requests.get(f"{gated}/_stcore/health", timeout=10),
               requests.get(gated, allow_redirects=False, timeout=10),  # to the login
               requests.post(f"{gated}/_stcore/metrics", timeout=10),  # refused
               requests.get(gated, cookies={"_streamlit_user": login_cookie()}, timeout=10)]  # the page
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.url, answer.status_code, name)


def test_every_cookie_is_secure_when_the_dashboard_is_served_over_https(gated: str) -> None:
    """The login's redirect URI is https://, so the browser reaches the dashboard over HTTPS (CloudFront or
    the load balancer end TLS, and Streamlit alone would mark no cookie Secure)."""
    answers = [requests.get(f"{gated}/_stcore/health", timeout=10),  # Streamlit's XSRF cookie
               requests.get(f"{gated}/auth/logout", allow_redirects=False, timeout=10,
                            cookies={"_streamlit_user": login_cookie()})]  # its login cookies, removed
    cookies = [c for answer in answers for c in answer.raw.headers.getlist("Set-Cookie")]
    assert any(c.startswith("_streamlit_xsrf=") for c in cookies)
    assert any(c.startswith("_streamlit_user=") for c in cookies)
    for cookie in cookies:
        assert "secure" in [part.strip().lower() for part in cookie.split(";")], cookie


def test_a_local_dashboard_without_login_keeps_its_cookies_usable_over_plain_http(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        answer = requests.get(f"{url}/_stcore/health", timeout=10)
        (cookie,) = answer.raw.headers.getlist("Set-Cookie")
        assert "secure" not in cookie.lower() and answer.headers["x-frame-options"] == "DENY"
        assert requests.get(url, timeout=10).status_code == 200


def test_logging_out_ends_the_load_balancers_session_and_the_providers(gated: str) -> None:
    answer = requests.get(f"{gated}/auth/logout", allow_redirects=False, timeout=10,
                          cookies={"_streamlit_user": login_cookie()})
    assert answer.is_redirect and answer.headers["Location"] == LOGOUT_URL
    ended = answer.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("AWSELBAuthSessionCookie-0=;") and "Max-Age=0" in c for c in ended), ended
    assert any(c.startswith("_streamlit_user=") for c in ended)  # Streamlit's own logout, still done


def test_streamlit_alone_serves_a_visitor_who_has_not_logged_in(tmp_path: Path) -> None:
    """Why the gate exists: served without it, Streamlit 1.67 opens a session, takes an upload (it checks
    only the XSRF token and the session) and shows its metrics to anyone. If this fails, Streamlit checks
    the login itself now, and some of the gate's rules may be redundant."""
    with serving(login_configured(tmp_path), script="dashboard/app.py") as url:
        assert upload_in_a_live_session(url) == 204
        assert requests.get(f"{url}/_stcore/metrics", timeout=10).status_code == 200


def test_when_login_is_required_but_not_configured_only_the_health_check_answers(tmp_path: Path) -> None:
    with serving(tmp_path, REQUIRE_LOGIN="true") as url:
        page = requests.get(url, timeout=10)
        assert page.status_code == 503 and "REQUIRE_LOGIN" in page.text
        assert requests.get(f"{url}/_stcore/health", timeout=10).text == "ok"
        with pytest.raises(websockets.InvalidStatus):
            asyncio.run(_open(url))


def test_secrets_that_cannot_be_read_serve_nothing(tmp_path: Path) -> None:
    with serving(write_secrets(tmp_path, "[auth\nnot toml")) as url:
        page = requests.get(url, timeout=10)
        assert page.status_code == 503 and "cannot be read" in page.text


async def _open(url: str) -> None:
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                  subprotocols=["streamlit"]):  # type: ignore[list-item]
        pass
