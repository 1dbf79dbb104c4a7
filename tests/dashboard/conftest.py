"""AppTest fixtures: the dashboard against a fresh emulator, with Streamlit's caches emptied."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.aws import AwsClients
from local.roles import role_credentials
from tests.dashboard.app_path import APP
from tests.factories import counted


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def as_the_dashboard_role(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's clients (built inside the pages) act as the dashboard's task role, as in ECS."""
    for name, value in role_credentials("dashboard").items():
        monkeypatch.setenv(name, value)


@pytest.fixture()
def open_page(aws: AwsClients) -> Callable[[str], AppTest]:
    """Run the app and switch to a page, as a browser visiting it would, once the aggregator has counted
    what the test wrote (in AWS it does so a moment after each write)."""

    def opener(page: str) -> AppTest:
        counted(aws)
        app = AppTest.from_file(APP, default_timeout=30).run()
        if page != "screens/live.py":
            app.switch_page(page).run()
        assert not app.exception, app.exception
        return app

    return opener
