"""Login through Streamlit's OIDC support (e.g. Amazon Cognito) when secrets configure it; fails closed.

Streamlit reads OIDC settings from secrets.toml's [auth] section. No secrets file is an open local
dashboard, unless REQUIRE_LOGIN says login is required: then nothing is served. Secrets that exist but
cannot be read never open the dashboard. dashboard/gate.py applies the same rule to requests that never
run a page (uploads, media), and in AWS the load balancer asks for the login before either.
"""

from __future__ import annotations

from enum import StrEnum

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

NO_SECRETS = "no-secrets-found"  # Streamlit's error id when no secrets file exists at all


class LoginState(StrEnum):
    OFF = "off"  # no [auth] section and none required: an open dashboard, as `make run` serves it
    ON = "on"  # [auth] is configured: every page asks for the login
    MISSING = "missing"  # required (REQUIRE_LOGIN) but not configured: serve nothing
    BROKEN = "broken"  # the secrets exist but cannot be read: serve nothing


def login_state(required: bool) -> LoginState:
    """Whether login is on, off, or wrongly set up; any doubt about the secrets counts as wrongly."""
    try:
        configured = "auth" in st.secrets
    except StreamlitSecretNotFoundError as exc:  # also raised for a file that does not parse
        if getattr(exc, "error_id", None) != NO_SECRETS:
            return LoginState.BROKEN
        configured = False
    except Exception:  # an unreadable file (permissions, encoding): never a reason to open up
        return LoginState.BROKEN
    if configured:
        return LoginState.ON
    return LoginState.MISSING if required else LoginState.OFF


REFUSALS = {
    LoginState.MISSING: (
        "This dashboard requires login (REQUIRE_LOGIN), but no login is configured: give it an [auth] "
        "section in Streamlit's secrets (infra/entrypoint.sh writes one from the AUTH_* variables)."
    ),
    LoginState.BROKEN: (
        "The dashboard's login settings (Streamlit's secrets.toml) cannot be read, so it serves nothing; "
        "check the file and the container's log."
    ),
}


def login_served_over_https() -> bool:
    """Whether the login returns the browser to an https:// address ([auth] redirect_uri): the dashboard's
    public address is then HTTPS, so its cookies may be marked Secure."""
    try:
        return str(st.secrets["auth"]["redirect_uri"]).startswith("https://")
    except Exception:  # no secrets, no [auth], no redirect_uri: a local dashboard over plain HTTP
        return False


def require_login(required: bool) -> None:
    """Stop the page unless the visitor may see it (`required`: REQUIRE_LOGIN); a logged-in visitor gets a
    logout button."""
    state = login_state(required)
    if state in REFUSALS:
        st.error(REFUSALS[state])
        st.stop()
    if state is LoginState.OFF:
        return
    if not st.user.get("is_logged_in", False):
        st.title("Image Processor")
        st.write("Please log in to see the dashboard.")
        st.button("Log in", on_click=st.login, type="primary")
        st.stop()
    with st.sidebar:
        st.caption(f"Logged in as {st.user.get('email') or st.user.get('name') or 'you'}")
        st.button("Log out", on_click=st.logout, key="logout")
