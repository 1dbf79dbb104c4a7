"""Viewers and operators under AppTest: a viewer reads every page and can change nothing, even by a click
or a call its pages never offer (refused and recorded); an operator's every action is on the Audit page
with their name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.aws import AwsClients
from core.ingest.origin import stream_event_id
from core.ingest.upload import ingest_upload
from core.models import EventSource, EventStatus, FailureKind, StoredEvent
from core.ops import audit, health
from core.ops.audit import Action, Outcome
from core.store.reads import get_event
from core.store.writes import put_events
from dashboard.roles import Role, role_of
from tests import factories as make
from tests.dashboard.app_path import APP
from tests.factories import counted, jpeg, stream_records

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s", "client_id": "id",
        "client_secret": "secret", "server_metadata_url": "https://example.com/.well-known/openid-configuration"}
VIEWER = {"is_logged_in": True, "email": "vera@example.com", "email_verified": True, "cognito:groups": []}
OPERATOR = {"is_logged_in": True, "email": "otto@example.com", "email_verified": True,
            "cognito:groups": ["operators"]}
READ_ONLY_PAGES = ["screens/live.py", "screens/gallery.py", "screens/logs.py", "screens/health.py",
                   "screens/audit.py"]
ACTION_LABELS = {"Retry", "Delete event", "Store images", "Send"}


def logged_in(aws: AwsClients, user: dict[str, Any], page: str = "screens/live.py") -> AppTest:
    counted(aws)
    app = AppTest.from_file(APP, default_timeout=30)
    app.secrets["auth"] = AUTH
    app.user = dict(user)
    app.run()
    if page != "screens/live.py":
        app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def retryable_failure(aws: AwsClients) -> str:
    """A failed stream event whose source is back in the bucket: a retry would store it. Its id."""
    key = "incoming/back.jpg"
    aws.s3.put_object(Bucket=aws.settings.bucket_name, Key=key, Body=jpeg((64, 48)))
    event = StoredEvent(event_id="retry-me", received_at=datetime.now(UTC), source=EventSource.STREAM,
                        status=EventStatus.FAILED, failure_kind=FailureKind.RETRYABLE, description="a photo",
                        image_url=f"s3://{aws.settings.bucket_name}/{key}", failure_reason="it answered 503")
    put_events(aws, [event])
    return event.event_id


def trail(aws: AwsClients) -> list[audit.Entry]:
    return audit.entries(aws, datetime.now(UTC) - timedelta(hours=1))


def test_roles_come_from_the_cognito_group_or_a_verified_address_the_setting_names() -> None:
    named = frozenset({"ops@example.com"})
    assert role_of(OPERATOR, frozenset()) is Role.OPERATOR
    assert role_of({"cognito:groups": "operators"}, frozenset()) is Role.OPERATOR  # one group, unlisted
    assert role_of(VIEWER, frozenset()) is Role.VIEWER
    assert role_of({"email": "Ops@Example.com"}, named) is Role.OPERATOR
    assert role_of({"email": "ops@example.com", "email_verified": False}, named) is Role.VIEWER
    assert role_of({"email": "someone@example.com", "cognito:groups": ["viewers"]}, named) is Role.VIEWER


def test_a_viewer_sees_every_read_only_page_and_no_action(aws: AwsClients) -> None:
    ingest_upload(aws, jpeg((64, 48)), "x.jpg", "a stored one", datetime.now(UTC))
    retryable_failure(aws)
    for page in READ_ONLY_PAGES:
        app = logged_in(aws, VIEWER, page)
        assert not ACTION_LABELS & {b.label for b in app.button}, page
    assert "Role: viewer (read-only)" in [c.value for c in app.sidebar.caption]
    for page in ("screens/upload.py", "screens/send.py"):  # not among the viewer's pages at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)
    gallery = logged_in(aws, VIEWER, "screens/gallery.py")
    for details in [b for b in gallery.button if b.label == "Details"]:
        details.click().run()
        assert not gallery.exception
        assert gallery.dataframe  # the trace: details are read-only, not hidden
        assert not ACTION_LABELS & {b.label for b in gallery.button}
        assert not any(c.label.startswith("Yes, delete") for c in gallery.checkbox)


def test_a_viewers_forged_retry_click_is_refused_and_recorded(aws: AwsClients) -> None:
    """The Retry button an operator's page showed, clicked in a viewer's session: Streamlit runs a button's
    callback for the click the browser sends, whatever the page would show now."""
    event_id = retryable_failure(aws)
    app = logged_in(aws, OPERATOR, "screens/gallery.py")
    next(b for b in app.button if b.label == "Details").click().run()
    app.user = dict(VIEWER)
    app.button(key="gallery_retry").click().run()
    assert not app.exception
    assert any("only operators may retry" in e.value for e in app.error)
    assert get_event(aws, event_id).status is EventStatus.FAILED  # type: ignore[union-attr]
    (refused,) = trail(aws)
    assert (refused.who, refused.role, refused.action, refused.outcome, refused.event_ids) == (
        "vera@example.com", "viewer", Action.RETRY, Outcome.REFUSED, (event_id,))


def forged_call(action: str, event_id: str) -> None:
    """A viewer's session calling an action's own function, as a forged request would reach it."""
    from core.store.reads import get_event
    from dashboard import gallery_view, replay_view, send_view, upload_view
    from dashboard.resources import aws_clients

    clients = aws_clients()
    event = get_event(clients, event_id)
    assert event is not None
    if action == "retry":
        gallery_view.retry(event)
    elif action == "delete":
        gallery_view.delete(event)
    elif action == "replay":
        replay_view.replay_failures(clients, 1)
    elif action == "send":
        send_view.send(clients, [b'{"ImageUrl": "https://example.com/a.jpg", "Description": "x"}'], None,
                       lambda _: None)
    else:
        upload_view.upload_all(clients, [], "forged", lambda _done, _total: None)


@pytest.mark.parametrize("action", ["upload", "send", "retry", "delete", "replay"])
def test_a_viewers_forged_call_of_each_action_is_refused_and_recorded(aws: AwsClients, action: str) -> None:
    event_id = retryable_failure(aws)
    if action == "replay":
        make.given_up(aws, [make.image_event(make.jpeg_in_bucket(aws, "given-up", "navy"), "given up")])
    app = AppTest.from_function(forged_call, default_timeout=30, args=(action, event_id))
    app.secrets["auth"] = AUTH
    app.user = dict(VIEWER)
    app.run()
    assert not app.exception, app.exception
    assert any(f"only operators may {action}" in e.value for e in app.error)
    assert get_event(aws, event_id).status is EventStatus.FAILED  # type: ignore[union-attr]
    assert action == "replay" or stream_records(aws) == []
    assert health.failure_queue(aws).waiting == (1 if action == "replay" else 0)  # left as it was
    (refused,) = trail(aws)
    assert (refused.who, refused.action.value, refused.outcome) == (VIEWER["email"], action, Outcome.REFUSED)


def test_each_operator_action_is_on_the_audit_page_with_its_user(aws: AwsClients) -> None:
    event_id = retryable_failure(aws)
    upload = logged_in(aws, OPERATOR, "screens/upload.py")
    upload.file_uploader[0].set_value([("good.jpg", jpeg((64, 48), "teal"), "image/jpeg")])
    upload.text_input[0].set_value("Holiday")
    upload.button[0].click().run()
    send = logged_in(aws, OPERATOR, "screens/send.py")
    send.text_input[0].set_value("https://example.com/a.jpg")
    send.button[0].click().run()
    gallery = logged_in(aws, OPERATOR, "screens/gallery.py")
    gallery.selectbox[1].set_value("Failed").run()
    next(b for b in gallery.button if b.label == "Details").click().run()
    gallery.button(key="gallery_retry").click().run()
    next(c for c in gallery.checkbox if c.label.startswith("Yes, delete")).check().run()
    next(b for b in gallery.button if b.label == "Delete event").click().run()
    assert not upload.exception and not send.exception and not gallery.exception

    page = logged_in(aws, VIEWER, "screens/audit.py")  # a viewer reads the trail too
    rows = page.dataframe[0].value.to_dict("records")
    assert [(r["action"], r["who"], r["role"], r["outcome"]) for r in rows] == [
        (action, "otto@example.com", "operator", "done") for action in ("delete", "retry", "send", "upload")]
    assert rows[0]["event ids"] == rows[1]["event ids"] == event_id
    (sent,) = stream_records(aws)
    assert rows[2]["events"] == 1
    assert rows[2]["event ids"] == stream_event_id(sent.shard_id, sent.sequence_number)
    assert rows[3]["events"] == 1 and "1 stored, 0 refused" in rows[3]["detail"]
    page.selectbox(key="audit_action").set_value("retry").run()
    assert [r["action"] for r in page.dataframe[0].value.to_dict("records")] == ["retry"]
    page.text_input(key="audit_who").set_value("VERA").run()
    assert "No actions match" in page.info[0].value


def test_the_audit_page_reads_an_action_whole_with_all_its_ids_and_detail(aws: AwsClients) -> None:
    ids = tuple(f"{n:032x}" for n in range(200))
    burst = audit.Entry(who="otto@example.com", action=Action.SEND, outcome=Outcome.DONE, event_ids=ids,
                        detail="200 record(s) to the stream, " + "a test of the burst form, " * 6 + "done",
                        role="operator")
    audit.record(aws, burst)
    page = logged_in(aws, VIEWER, "screens/audit.py")
    assert page.dataframe[0].value["events"].tolist() == [200]
    assert not page.text  # nothing read whole until chosen

    page.selectbox(key="audit_whole").set_value(burst.entry_id).run()

    assert not page.exception
    said = [t.value for t in page.text]
    assert said[0].endswith("send done, by otto@example.com (operator, via dashboard)")
    assert said[1] == burst.detail
    assert said[2] == "200 event(s): " + ", ".join(ids)


def test_a_viewer_sees_the_on_failure_queue_but_no_replay_and_an_operators_replay_is_audited(
    aws: AwsClients
) -> None:
    make.given_up(aws, [make.image_event(make.jpeg_in_bucket(aws, "given-up", "navy"), "given up")])
    viewer = logged_in(aws, VIEWER, "screens/health.py")
    assert [m.value for m in viewer.metric if m.label == "Waiting"] == ["1"]
    assert not any(b.key == "health_replay" for b in viewer.button)
    operator = logged_in(aws, OPERATOR, "screens/health.py")
    operator.button(key="health_replay").click().run()
    assert not operator.exception and operator.success and health.failure_queue(aws).waiting == 0
    (replayed,) = trail(aws)
    assert (replayed.who, replayed.action, replayed.outcome, replayed.event_count) == (
        "otto@example.com", Action.REPLAY, Outcome.DONE, 1)
    assert "1 record replayed (1 stored" in replayed.detail


def test_without_login_everyone_operates_and_is_recorded_as_anyone(aws: AwsClients) -> None:
    counted(aws)
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.switch_page("screens/send.py").run()
    app.text_input[0].set_value("https://example.com/a.jpg")
    app.button[0].click().run()
    assert not app.exception and not app.sidebar.caption  # `make run` looks as it did
    (sent,) = trail(aws)
    assert (sent.who, sent.role, sent.action, sent.outcome) == ("anyone (login off)", "operator", Action.SEND,
                                                               Outcome.DONE)
