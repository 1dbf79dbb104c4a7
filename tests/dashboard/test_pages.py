"""Every dashboard page under AppTest: widgets, empty state, data state, store-down state."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.aws import AwsClients
from core.ingest import ingest_payload, ingest_upload
from local.samples import upload_samples
from tests.dashboard.app_path import APP
from tests.factories import Colour, counted, jpeg, stream_origin, stream_records

Open = Callable[[str], AppTest]
HOSTILE = "<script>alert(1)</script> **not bold** [link](http://x)"
SIZE = (640, 480)


def upload(aws: AwsClients, description: str, ago: timedelta = timedelta(0), colour: Colour = "teal") -> None:
    ingest_upload(aws, jpeg(SIZE, colour), "x.jpg", description, datetime.now(UTC) - ago)


def failed_event(aws: AwsClients, sequence: str = "1") -> None:
    ingest_payload(aws, b"not json at all", stream_origin(sequence))


def texts(app: AppTest) -> list[str]:
    return [t.value for t in app.text]


# Live -------------------------------------------------------------------------------------------

def test_live_shows_a_clear_empty_state(open_page: Open) -> None:
    app = open_page("screens/live.py")
    assert "No images yet" in app.info[0].value
    assert app.metric[0].value == "0"


def test_live_shows_the_latest_image_its_text_literally_and_the_count(
    open_page: Open, aws: AwsClients
) -> None:
    upload(aws, "older", timedelta(minutes=2), "red")
    upload(aws, HOSTILE)
    failed_event(aws)
    app = open_page("screens/live.py")
    assert [m.value for m in app.metric] == ["3", "2", "1"]
    assert HOSTILE in texts(app)  # st.text: shown as typed, never rendered as HTML or markdown
    assert "Next refresh in" in app.caption[-1].value
    assert any(b.label == "Refresh now" for b in app.button)


def test_live_refresh_now_reloads_the_data(open_page: Open, aws: AwsClients) -> None:
    app = open_page("screens/live.py")
    upload(aws, "arrived after the page loaded")
    counted(aws)
    next(b for b in app.button if b.label == "Refresh now").click().run()
    assert "arrived after the page loaded" in texts(app)


@pytest.mark.access_denied_expected  # as in AWS: the role may not read a table the template did not make
def test_live_says_what_to_check_when_the_store_is_down(
    open_page: Open, aws: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "missing-table")
    app = open_page("screens/live.py")
    assert "missing-table" in app.error[0].value
    assert any(b.label == "Retry" for b in app.button)


# Gallery ----------------------------------------------------------------------------------------

def test_gallery_empty_state(open_page: Open) -> None:
    assert "No events match" in open_page("screens/gallery.py").info[0].value


def test_gallery_pages_with_a_cursor(open_page: Open, aws: AwsClients) -> None:
    for n in range(14):
        upload(aws, f"picture {n}", timedelta(minutes=n), colour=(n * 15, 100, 100))
    app = open_page("screens/gallery.py")
    assert len(app.get("image")) == 12
    next_button = next(b for b in app.button if b.label == "Next →")
    next_button.click().run()
    assert len(app.get("image")) == 2 and "Page 2" in [c.value for c in app.caption]
    next(b for b in app.button if b.label == "← Previous").click().run()
    assert len(app.get("image")) == 12


def test_gallery_filters_by_status_and_description(open_page: Open, aws: AwsClients) -> None:
    upload(aws, "a red fox")
    upload(aws, "a blue whale", colour="blue")
    failed_event(aws)
    app = open_page("screens/gallery.py")
    app.selectbox[1].set_value("Failed").run()
    assert len(app.get("image")) == 0 and any(e.value == "Failed" for e in app.error)
    app.selectbox[1].set_value("All").run()
    app.text_input[0].set_value("WHALE").run()
    assert texts(app)[:1] == ["a blue whale"]


def test_gallery_details_show_the_trace_and_delete_asks_first(open_page: Open, aws: AwsClients) -> None:
    upload(aws, "to be deleted")
    app = open_page("screens/gallery.py")
    next(b for b in app.button if b.label == "Details").click().run()
    trace = app.dataframe[0].value
    assert "Event id" in list(trace["field"]) and "upload" in list(trace["value"])
    delete = next(b for b in app.button if b.label == "Delete event")
    assert delete.disabled
    next(c for c in app.checkbox if c.label.startswith("Yes, delete")).check().run()
    next(b for b in app.button if b.label == "Delete event").click().run()
    assert not app.exception
    assert "No events match" in open_page("screens/gallery.py").info[0].value


# Upload -----------------------------------------------------------------------------------------

def test_upload_stores_good_files_and_refuses_bad_ones_with_a_reason(
    open_page: Open, aws: AwsClients
) -> None:
    app = open_page("screens/upload.py")
    app.file_uploader[0].set_value([("good.jpg", jpeg(SIZE, "teal"), "image/jpeg"),
                                    ("notes.jpg", b"plain text", "image/jpeg")])
    app.text_input[0].set_value("Holiday")
    app.button[0].click().run()
    assert "1 stored, 1 refused." in app.success[0].value
    rows = app.dataframe[0].value.to_dict("records")
    assert [r["result"] for r in rows] == ["stored", "refused"]
    assert "Not an image" in rows[1]["detail"]


def test_upload_without_a_description_writes_nothing(open_page: Open, aws: AwsClients) -> None:
    app = open_page("screens/upload.py")
    app.file_uploader[0].set_value(("good.jpg", jpeg(SIZE, "teal"), "image/jpeg"))
    app.button[0].click().run()
    assert "Add a description" in app.warning[0].value
    assert aws.s3.list_objects_v2(Bucket=aws.settings.bucket_name).get("KeyCount", 0) == 0


# Send test event --------------------------------------------------------------------------------

def test_send_puts_the_event_on_the_stream_and_shows_its_result(open_page: Open, aws: AwsClients) -> None:
    upload_samples(aws)
    app = open_page("screens/send.py")
    assert app.selectbox[1].options[0].startswith("s3://") and app.selectbox[1].options[-1] == "Other URL…"
    app.selectbox[0].set_value("Malformed JSON")
    app.button[0].click().run()
    rows = app.dataframe[0].value.to_dict("records")
    assert rows[0]["status"] == "waiting for the consumer…"
    consume_stream(aws)
    app.run()
    row = app.dataframe[0].value.to_dict("records")[0]
    assert row["status"] == "failed" and "not JSON" in row["reason"]


def consume_stream(aws: AwsClients) -> None:
    """Play the consumer's part for the records on the stream (the handler has its own tests)."""
    for record in stream_records(aws):
        origin = stream_origin(record.sequence_number, record.arrived, record.shard_id)
        ingest_payload(aws, record.data, origin)


# Logs -------------------------------------------------------------------------------------------

def put_logs(aws: AwsClients, lines: list[str]) -> None:
    group, stream = aws.settings.consumer_log_group, "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef"
    aws.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(datetime.now(UTC).timestamp() * 1000)
    aws.logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": now - 1000 + i, "message": line}
                                       for i, line in enumerate(lines)])


LINES = [
    "START RequestId: req-1 Version: $LATEST",
    json.dumps({"level": "INFO", "message": "record processed", "event_id": "ev-1", "status": "stored"}),
    json.dumps({"level": "ERROR", "message": "record failed", "event_id": "ev-2", "status": "failed"}),
    "END RequestId: req-1",
    "REPORT RequestId: req-1\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 88 MB",
]


def test_logs_empty_state(open_page: Open) -> None:
    assert "No log lines" in open_page("screens/logs.py").info[0].value


def test_logs_table_filters_chart_and_csv(open_page: Open, aws: AwsClients) -> None:
    put_logs(aws, LINES)
    app = open_page("screens/logs.py")
    assert len(app.dataframe[0].value) == 5
    assert app.get("download_button") and app.get("vega_lite_chart")  # CSV and the durations chart
    app.selectbox[2].set_value("ERROR").run()
    assert list(app.dataframe[0].value["event id"]) == ["ev-2"]
    app.selectbox[2].set_value("All").run()
    app.text_input(key="logs_search").set_value("ev-1").run()
    assert list(app.dataframe[0].value["message"]) == ["record processed"]


# Health -----------------------------------------------------------------------------------------

def test_health_names_the_emulator_and_checks_every_resource(open_page: Open, aws: AwsClients) -> None:
    app = open_page("screens/health.py")
    assert "embedded emulator" in app.markdown[0].value
    checks = app.dataframe[0].value
    assert list(checks["state"]) == ["ok"] * 5


def test_health_flags_a_missing_resource(open_page: Open, aws: AwsClients) -> None:
    url = aws.sqs.get_queue_url(QueueName=aws.settings.failure_queue_name)["QueueUrl"]
    aws.sqs.delete_queue(QueueUrl=url)
    app = open_page("screens/health.py")
    assert "FAILING" in list(app.dataframe[0].value["state"])
    assert "Some resources do not answer" in app.warning[0].value


# Login ------------------------------------------------------------------------------------------

def test_every_page_requires_login_when_oidc_is_configured(aws: AwsClients) -> None:
    app = AppTest.from_file(APP, default_timeout=30)
    app.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s",
                           "client_id": "id", "client_secret": "secret",
                           "server_metadata_url": "https://example.com/.well-known/openid-configuration"}
    app.run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Log in"]
    assert not app.metric
