"""The login gate over real HTTP: `streamlit run dashboard/server.py` (as the container runs it) with login
configured, asked for the endpoints that never run a page, by a visitor who has a live session and an XSRF
token but has not logged in. And what the gate does when login is required but missing or unreadable."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import websockets
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.dashboard.served import serving

COOKIE_SECRET = "the-cookie-secret-every-replica-shares-0123456789"
LOGOUT_URL = "https://login.example.com/logout?client_id=abc&logout_uri=https://images.example.com/"
SESSION_SECONDS = 3600


def write_secrets(home: Path, text: str) -> Path:
    (home / ".streamlit").mkdir(parents=True, exist_ok=True)
    (home / ".streamlit" / "secrets.toml").write_text(text)
    return home


def login_configured(home: Path) -> Path:
    """Secrets as infra/entrypoint.sh writes them for Cognito."""
    return write_secrets(home, f"""[auth]
redirect_uri = "https://images.example.com/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "client"
client_secret = "secret"
server_metadata_url = "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/openid-configuration"
""")


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = login_configured(tmp_path_factory.mktemp("gated"))
    with serving(home, LOGOUT_URL=LOGOUT_URL, LOGIN_SESSION_SECONDS=str(SESSION_SECONDS)) as url:
        yield url


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


def test_an_upload_from_a_visitor_who_has_not_logged_in_is_refused(gated: str) -> None:
    assert upload_in_a_live_session(gated) == 401


def test_an_upload_with_a_fresh_login_reaches_streamlit(gated: str) -> None:
    assert upload_in_a_live_session(gated, _streamlit_user=login_cookie()) == 204


def test_a_login_older_than_the_session_is_forgotten(gated: str) -> None:
    stale = login_cookie(age_seconds=SESSION_SECONDS + 60)
    assert upload_in_a_live_session(gated, _streamlit_user=stale) == 401


def test_a_login_cookie_signed_with_another_secret_is_refused(gated: str) -> None:
    forged = login_cookie(secret="not-the-secret")
    assert upload_in_a_live_session(gated, _streamlit_user=forged) == 401


def test_media_is_refused_to_a_visitor_who_has_not_logged_in(gated: str) -> None:
    assert requests.get(f"{gated}/media/0123456789abcdef.csv", timeout=10).status_code == 401


def test_logging_out_ends_the_load_balancers_session_and_the_providers(gated: str) -> None:
    answer = requests.get(f"{gated}/auth/logout", allow_redirects=False, timeout=10,
                          cookies={"_streamlit_user": login_cookie()})
    assert answer.is_redirect and answer.headers["Location"] == LOGOUT_URL
    ended = answer.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("AWSELBAuthSessionCookie-0=;") and "Max-Age=0" in c for c in ended), ended
    assert any(c.startswith("_streamlit_user=") for c in ended)  # Streamlit's own logout, still done


def test_streamlit_alone_accepts_an_upload_from_a_visitor_who_has_not_logged_in(tmp_path: Path) -> None:
    """Why the gate exists: served without it, Streamlit 1.67 checks only the XSRF token and the session.
    If this fails, Streamlit checks the login itself now, and the gate's upload rule may be redundant."""
    with serving(login_configured(tmp_path), script="dashboard/app.py") as url:
        assert upload_in_a_live_session(url) == 204


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
