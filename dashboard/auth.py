"""Login through Streamlit's OIDC support (e.g. Amazon Cognito) when secrets configure it."""

from __future__ import annotations

import streamlit as st


def login_configured() -> bool:
    """True when secrets hold an [auth] section; no secrets file means an open, local dashboard."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
    except Exception:  # Streamlit raises its own error type for a missing or unreadable file
        return False


def require_login() -> None:
    """Stop the page for visitors who are not logged in, when login is configured."""
    if not login_configured() or st.user.get("is_logged_in", False):
        return
    st.title("Image Processor")
    st.write("Please log in to see the dashboard.")
    st.button("Log in", on_click=st.login, type="primary")
    st.stop()
