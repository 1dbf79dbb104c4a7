"""The dashboard's image links, signed as its task role is in ECS: with credentials from the container
endpoint, whose sessions end and rotate. A link must load for as long as the dashboard keeps it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import pytest
import requests
from streamlit.testing.v1 import AppTest

from core.aws import AwsClients
from core.errors import CredentialsEnding
from core.models import EventSource, EventStatus, StoredEvent
from core.store import keys
from core.store.writes import put_events
from dashboard.gallery_view import SELECTED
from dashboard.resources import LINK_USABLE_SECONDS, image_link
from local.roles import ROLE_SESSION_SECONDS, session_end

KEY = "thumbnails/a.webp"
Sessions = Callable[[float], None]


@pytest.fixture()
def task_role_sessions(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Sessions:
    """From now on the dashboard's role hands out sessions lasting `seconds`, as ECS's endpoint does."""

    def lasting(seconds: float) -> None:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)  # the container endpoint comes after these in the chain
        uri = f"{moto_endpoint}/_local/credentials/dashboard?seconds={seconds}"
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)

    return lasting


def test_an_image_link_still_loads_when_the_dashboard_stops_keeping_it(
    aws: AwsClients, task_role_sessions: Sessions
) -> None:
    aws.s3.put_object(Bucket=aws.settings.bucket_name, Key=KEY, Body=b"thumbnail")
    task_role_sessions(ROLE_SESSION_SECONDS)
    handed_out = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=LINK_USABLE_SECONDS - 5)
    with pytest.MonkeyPatch.context() as clock:  # signed that long ago: its cache time and more are over
        clock.setattr(botocore.auth, "get_current_datetime", lambda: handed_out)
        link = image_link(KEY)
    assert requests.get(link, timeout=10).content == b"thumbnail"


def test_a_link_from_a_session_about_to_end_is_not_handed_out_and_a_fresh_one_is(
    aws: AwsClients, task_role_sessions: Sessions
) -> None:
    aws.s3.put_object(Bucket=aws.settings.bucket_name, Key=KEY, Body=b"thumbnail")
    task_role_sessions(LINK_USABLE_SECONDS - 60)  # ECS has not rotated the role's credentials yet
    with pytest.raises(CredentialsEnding):
        image_link(KEY)
    task_role_sessions(ROLE_SESSION_SECONDS)  # now it has
    link = image_link(KEY)
    token = parse_qs(urlsplit(link).query)["X-Amz-Security-Token"][0]
    assert (session_end(token) or 0) > datetime.now(UTC).timestamp() + LINK_USABLE_SECONDS
    assert requests.get(link, timeout=10).content == b"thumbnail"


def test_a_gallery_without_links_that_would_last_says_so_on_its_tiles_and_in_the_details(
    aws: AwsClients, task_role_sessions: Sessions, open_page: Callable[[str], AppTest]
) -> None:
    sha256 = "5" * 64  # the object keys follow from it: the store keeps the hash, not the keys
    event = StoredEvent(event_id="linked", received_at=datetime.now(UTC), source=EventSource.UPLOAD,
                        status=EventStatus.STORED, description="a photo", sha256=sha256,
                        original_key=keys.original_key(sha256, "jpg"), preview_key=keys.preview_key(sha256),
                        thumbnail_key=keys.thumbnail_key(sha256), width=64, height=48, size_bytes=999)
    put_events(aws, [event])
    task_role_sessions(LINK_USABLE_SECONDS - 60)
    app = open_page("screens/gallery.py")
    assert any("the credentials signing image links end within" in e.value for e in app.error)

    app.session_state[SELECTED] = event  # as a Details click leaves it
    app.run()

    assert not app.exception, app.exception
    ending = [e for e in app.error if "the credentials signing image links end within" in e.value]
    assert len(ending) == 2  # the tiles' and the dialog's
    assert "a photo" in [t.value for t in app.text]  # the rest of the details still shows
    assert any(button.key == "retry-details" for button in app.button)
