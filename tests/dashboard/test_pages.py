"""Every dashboard page under AppTest: widgets, empty state, data state, store-down state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from streamlit.testing.v1 import AppTest

from core.aws import AwsClients
from core.ingest.origin import stream_event_id
from core.ingest.upload import ingest_upload
from core.models import EventStatus, FailureKind, StoredEvent
from core.store.browse import recent_events
from core.store.reads import get_events
from core.store.writes import put_events
from dashboard.resources import aws_clients
from local.samples import upload_samples
from tests.awscalls import CallCounter
from tests.dashboard.app_path import APP
from tests.factories import (
    Colour,
    counted,
    expect_stored,
    given_up,
    image_event,
    ingest_record,
    jpeg,
    jpeg_in_bucket,
    lost_batch,
    on_failure_queue,
    photo_jpeg,
    stream_origin,
    stream_records,
)

Open = Callable[[str], AppTest]
HOSTILE = "<script>alert(1)</script> **not bold** [link](http://x)"
SIZE = (640, 480)


def upload(aws: AwsClients, description: str, ago: timedelta = timedelta(0), colour: Colour = "teal") -> None:
    ingest_upload(aws, jpeg(SIZE, colour), "x.jpg", description, datetime.now(UTC) - ago)


def failed_event(aws: AwsClients, sequence: str = "1") -> None:
    ingest_record(aws, b"not json at all", stream_origin(sequence))


def texts(app: AppTest) -> list[str]:
    return [t.value for t in app.text]


def upload_rows(app: AppTest) -> list[dict[str, str]]:
    """The Upload page's results: a row of three texts per file (file, result, detail)."""
    shown = texts(app)
    return [dict(zip(("file", "result", "detail"), shown[n:n + 3], strict=True))
            for n in range(0, len(shown), 3)]


# Live -------------------------------------------------------------------------------------------

def test_live_shows_a_clear_empty_state(open_page: Open) -> None:
    app = open_page("screens/live.py")
    assert "No images yet" in app.info[0].value
    assert app.metric[0].value == "0"


def test_live_shows_the_latest_image_its_text_literally_and_the_count(
    open_page: Open, aws: AwsClients
) -> None:
    upload(aws, "older", timedelta(minutes=2), "red")
    failed_event(aws)
    upload(aws, HOSTILE)
    app = open_page("screens/live.py")
    assert [m.value for m in app.metric] == ["3", "2", "1"]
    assert HOSTILE in texts(app)  # st.text: shown as typed, never rendered as HTML or markdown
    assert "Next refresh in" in app.caption[-1].value
    assert any(b.label == "Refresh now" for b in app.button)


def test_live_recent_events_show_every_row_and_no_none_for_a_failed_events_image_or_description(
    open_page: Open, aws: AwsClients
) -> None:
    for n in range(7):
        upload(aws, f"upload {n}", timedelta(minutes=10 - n))
    failed_event(aws)
    app = open_page("screens/live.py")
    table = app.dataframe[0]
    rows = table.value.to_dict("records")
    assert len(rows) == 8 and rows[0]["status"] == "failed"
    assert (rows[0]["image"], rows[0]["description"]) == ("", "(no description)")  # as the panel says
    assert "(no description)" in texts(app)  # the browser test checks that all eight rows are in view


def test_live_shows_a_failed_newest_event_with_its_whole_reason_and_the_recent_strip(
    open_page: Open, aws: AwsClients
) -> None:
    upload(aws, "stored before", timedelta(seconds=30))
    ingest_record(aws, b'{"ImageUrl": "http://127.0.0.1/' + b"a" * 300 + b'", "Description": "blocked"}',
                   stream_origin("7"))
    app = open_page("screens/live.py")
    failed = recent_events(aws).events[0]
    assert failed.failure_reason and len(failed.failure_reason) > 200  # longer than LATEST keeps
    assert failed.failure_reason in texts(app) and "blocked" in texts(app)
    assert "Why it failed" in [h.value for h in app.subheader]
    recent = app.dataframe[0].value
    assert list(recent["status"]) == ["failed", "stored"]
    assert list(recent["description"]) == ["blocked", "stored before"]


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
    trace: dict[str, str] = dict(app.dataframe[0].value.itertuples(index=False))
    assert trace["Source"] == "upload" and trace["Dimensions"] == "640 × 480 px"
    assert trace["File size"].endswith(" KB") and "Bytes" not in trace
    assert list(trace)[:3] == ["Dimensions", "Format", "File size"] and "SHA-256" in list(trace)[:5]
    delete = next(b for b in app.button if b.label == "Delete event")
    assert delete.disabled
    next(c for c in app.checkbox if c.label.startswith("Yes, delete")).check().run()
    next(b for b in app.button if b.label == "Delete event").click().run()
    assert not app.exception
    assert "No events match" in open_page("screens/gallery.py").info[0].value


HOSTILE_URL = ("s3://image-processor-local/[phish](https://evil.example/login)"
               "![pixel](http://tracker.example/p.png)<img src=x onerror=alert(1)>.jpg")


def test_gallery_failed_filter_shows_a_hostile_reason_literally_in_the_tile_and_the_dialog(
    open_page: Open, aws: AwsClients
) -> None:
    upload(aws, "a stored one")
    payload = json.dumps({"ImageUrl": HOSTILE_URL, "Description": "[click](https://evil.example) **now**"})
    ingest_record(aws, payload.encode(), stream_origin("9"))
    app = open_page("screens/gallery.py")
    app.selectbox[1].set_value("Failed").run()
    (shown,) = [t.value for t in app.text if t.value.startswith(HOSTILE_URL[:60])]  # the tile's, as text
    assert shown.endswith("… (whole in Details)") and len(app.get("image")) == 0  # cut with a cue
    next(b for b in app.button if b.label == "Details").click().run()
    (reason,) = [t.value for t in app.text if HOSTILE_URL in t.value]  # in the dialog, whole
    assert "does not exist" in reason and "[click](https://evil.example) **now**" in texts(app)
    assert not any("evil.example" in m.value for m in app.markdown)  # nothing went through Markdown
    assert all("evil.example" not in e.value for e in app.error)


def failed_at_its_source(aws: AwsClients, url: str, kind: FailureKind) -> str:
    """A failed event of the stream pointing at `url`, as the consumer keeps one; its id."""
    origin = stream_origin("5")
    failed = StoredEvent(event_id=origin.event_id, received_at=origin.received_at, source=origin.source,
                         status=EventStatus.FAILED, image_url=url, description="a photo",
                         failure_reason=f"{url} answered 503 Service Unavailable", failure_kind=kind)
    put_events(aws, [failed])
    return origin.event_id


def test_gallery_retry_stores_a_retryable_failure_and_says_so(open_page: Open, aws: AwsClients) -> None:
    url = f"s3://{aws.settings.bucket_name}/incoming/back.jpg"
    event_id = failed_at_its_source(aws, url, FailureKind.RETRYABLE)
    aws.s3.put_object(Bucket=aws.settings.bucket_name, Key="incoming/back.jpg", Body=jpeg(SIZE))  # it is back
    app = open_page("screens/gallery.py")
    next(b for b in app.button if b.label == "Details").click().run()
    trace = dict(zip(app.dataframe[0].value["field"], app.dataframe[0].value["value"], strict=True))
    assert trace["Retry could help"].startswith("yes")
    app.button(key="gallery_retry").click().run()
    assert not app.exception
    assert [s.value for s in app.success] == ["Retried: the image is stored now."]
    assert not any(b.key == "gallery_retry" for b in app.button)  # stored: nothing left to retry
    assert get_events(aws, [event_id])[event_id].status is EventStatus.STORED


def test_gallery_offers_no_retry_for_a_permanent_failure(open_page: Open, aws: AwsClients) -> None:
    failed_at_its_source(aws, f"s3://{aws.settings.bucket_name}/nowhere.jpg", FailureKind.PERMANENT)
    app = open_page("screens/gallery.py")
    next(b for b in app.button if b.label == "Details").click().run()
    assert "answered 503" in " ".join(texts(app))
    assert not any(b.key == "gallery_retry" for b in app.button)
    trace = dict(zip(app.dataframe[0].value["field"], app.dataframe[0].value["value"], strict=True))
    assert trace["Retry could help"].startswith("no")


def test_an_events_logs_open_with_its_id_searched_over_a_range_that_reaches_back_to_it(
    open_page: Open, aws: AwsClients
) -> None:
    upload(aws, "three hours old", ago=timedelta(hours=3))
    (event,) = recent_events(counted(aws)).events  # a day before today is found by its counters
    put_logs(aws, [record("INFO", event.event_id, "stored")], at=event.received_at)
    app = open_page("screens/gallery.py")
    next(b for b in app.button if b.label == "Details").click().run()
    next(b for b in app.button if b.label == "Show this event's logs").click().run()
    assert app.text_input(key="logs_search").value == event.event_id
    assert app.selectbox(key="logs_range").value == "Last 24 hours"
    assert list(app.dataframe[0].value["event id"]) == [event.event_id]


# Upload -----------------------------------------------------------------------------------------

def test_upload_stores_good_files_and_refuses_bad_ones_with_a_reason(
    open_page: Open, aws: AwsClients
) -> None:
    app = open_page("screens/upload.py")
    app.file_uploader[0].set_value([("good.jpg", jpeg(SIZE, "teal"), "image/jpeg"),
                                    ("notes.jpg", b"plain text", "image/jpeg")])
    app.text_input[0].set_value("Holiday")
    app.button[0].click().run()
    assert "1 stored, 1 refused." in app.warning[0].value  # not all went well: not a success
    rows = upload_rows(app)
    assert [r["result"] for r in rows] == ["stored", "refused"]
    assert "Not an image" in rows[1]["detail"]


def test_upload_that_stores_nothing_says_so_in_an_error_with_every_reason_whole(
    open_page: Open, aws: AwsClients
) -> None:
    app = open_page("screens/upload.py")
    app.file_uploader[0].set_value([("notes.jpg", b"plain text, " * 40, "image/jpeg"),
                                    ("empty.png", b"", "image/png")])
    app.text_input[0].set_value("Two bad files")
    app.button[0].click().run()
    assert not app.success and not app.warning
    assert app.error[0].value == "0 stored, 2 refused."
    rows = upload_rows(app)
    assert [(r["file"], r["result"]) for r in rows] == [("notes.jpg", "refused"), ("empty.png", "refused")]
    assert rows[0]["detail"].startswith("Not an image") and rows[0]["detail"].endswith("HTML or SVG?")
    assert rows[1]["detail"] == "The file is empty (0 bytes), not an image"


def test_upload_states_the_same_limit_in_its_caption_and_its_file_picker(
    open_page: Open, aws: AwsClients
) -> None:
    app = open_page("screens/upload.py")
    assert "up to 20 MB and" in app.caption[0].value
    assert app.file_uploader[0].proto.max_upload_size_mb == 20  # the widget says "20MB per file"


def test_upload_without_a_description_writes_nothing_and_keeps_the_chosen_files(
    open_page: Open, aws: AwsClients
) -> None:
    app = open_page("screens/upload.py")
    app.file_uploader[0].set_value(("good.jpg", jpeg(SIZE, "teal"), "image/jpeg"))
    app.button[0].click().run()
    assert "Add a description" in app.warning[0].value
    assert aws.s3.list_objects_v2(Bucket=aws.settings.bucket_name).get("KeyCount", 0) == 0
    assert [f.name for f in app.file_uploader[0].value] == ["good.jpg"]  # still chosen
    app.text_input[0].set_value("Holiday")
    app.button[0].click().run()
    assert "1 stored, 0 refused." in app.success[0].value
    assert not app.file_uploader[0].value  # stored: the form is fresh for the next files


def test_upload_lists_a_file_over_the_limit_as_refused_with_its_size(
    open_page: Open, aws: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_IMAGE_BYTES", "10000")
    big = photo_jpeg()
    assert len(big) > 10_000
    app = open_page("screens/upload.py")
    app.file_uploader[0].set_value([(f"small-{n}.jpg", jpeg(SIZE, (n * 60, 90, 90)), "image/jpeg")
                                    for n in range(3)] + [("big.jpg", big, "image/jpeg")])
    app.text_input[0].set_value("Four files")
    app.button[0].click().run()
    rows = upload_rows(app)
    assert [(r["file"], r["result"]) for r in rows] == [
        ("small-0.jpg", "stored"), ("small-1.jpg", "stored"), ("small-2.jpg", "stored"),
        ("big.jpg", "refused")]
    assert rows[3]["detail"].endswith("KB is over the 10 KB limit (MAX_IMAGE_BYTES)")
    assert "3 stored, 1 refused." in app.warning[0].value


# Send test event --------------------------------------------------------------------------------

def test_send_shows_a_failed_records_reason_in_full(open_page: Open, aws: AwsClients) -> None:
    upload_samples(aws)
    app = open_page("screens/send.py")
    assert app.selectbox[1].options[0].startswith("s3://") and app.selectbox[1].options[-1] == "Other URL…"
    app.selectbox(key="send_template").set_value("Not an image").run()
    app.button[0].click().run()
    rows = app.dataframe[0].value.to_dict("records")
    assert rows[0]["status"] == "waiting for the consumer…"
    consume_stream(aws)
    app.run()
    (row,) = app.dataframe[0].value.to_dict("records")
    (event,) = get_events(aws, [stream_event_id(row["shard"], row["sequence number"])]).values()
    assert row["status"] == "failed" and row["reason"] == event.failure_reason and len(row["reason"]) > 40
    assert event.failure_reason in texts(app)  # in full, as text


def test_send_caption_and_fields_follow_the_template_before_sending(open_page: Open, aws: AwsClients) -> None:
    app = open_page("screens/send.py")
    app.selectbox(key="send_template").set_value("Blocked URL").run()
    assert "SSRF guard" in app.caption[0].value
    url = next(t for t in app.text_input if t.label.startswith("Image URL"))
    assert url.value == "http://169.254.169.254/latest/meta-data/" and url.disabled
    app.selectbox(key="send_template").set_value("Description too long").run()
    assert "501-character" in app.caption[0].value
    assert [t.value for t in app.text_area] == ["x" * 501]


def test_send_refuses_an_empty_other_url_and_sends_nothing(open_page: Open, aws: AwsClients) -> None:
    app = open_page("screens/send.py")  # no samples: "Other URL…" is the only choice
    assert app.selectbox[1].value == "Other URL…"
    app.button[0].click().run()
    assert "Nothing sent" in app.error[0].value
    assert stream_records(aws) == []


def test_send_follows_every_record_of_a_burst_with_batched_reads(open_page: Open, aws: AwsClients) -> None:
    upload_samples(aws)
    app = open_page("screens/send.py")
    app.number_input[0].set_value(120)
    app.button[0].click().run()
    consume_stream(aws)
    counter = CallCounter(aws_clients(), services=("dynamodb",))  # the app's own clients
    app.run()
    assert app.subheader[0].value == "Sent 120 · 120 processed: 120 stored, 0 failed"
    assert set(app.dataframe[0].value["status"]) == {"stored"}
    assert counter.calls == {"dynamodb.BatchGetItem": 2}  # 120 ids: two calls of at most 100 keys
    counter.reset()
    app.run()
    assert counter.total == 0  # every record has its result: nothing is read again


def test_send_reports_a_burst_the_shard_throttled_and_resent_whole(
    open_page: Open, aws: AwsClients, moto_endpoint: str
) -> None:
    kinesis_limits(moto_endpoint, records_per_second=40)  # a 100-record burst outruns the shard's rate
    upload_samples(aws)
    app = open_page("screens/send.py")
    app.number_input[0].set_value(100)
    app.button[0].click().run()
    assert not app.error and len(stream_records(aws)) == 100
    said = app.success[0].value
    assert re.search(r"^Sent 100 record\(s\) to .*refused \d+ on the way; they were resent", said)
    assert len(app.dataframe[0].value) == 100


def test_send_names_the_records_it_gave_up_on_and_follows_the_rest(
    open_page: Open, aws: AwsClients, moto_endpoint: str
) -> None:
    kinesis_limits(moto_endpoint, records_per_second=0.001)  # the first record, then none for the test
    upload_samples(aws)
    app = open_page("screens/send.py")
    app.number_input[0].set_value(3)
    app.button[0].click().run()
    assert "Not all sent: 2 of 3 record(s) not sent (records 2-3" in app.error[0].value
    assert "ProvisionedThroughputExceededException" in app.error[0].value
    assert len(app.dataframe[0].value) == 1 and len(stream_records(aws)) == 1


def kinesis_limits(endpoint: str, **limits: float) -> None:
    requests.post(f"{endpoint}/_local/kinesis", json=limits, timeout=10).raise_for_status()


def consume_stream(aws: AwsClients) -> None:
    """Play the consumer's part for the records on the stream (the handler has its own tests)."""
    for record in stream_records(aws):
        origin = stream_origin(record.sequence_number, record.arrived, record.shard_id)
        ingest_record(aws, record.data, origin)


# Logs -------------------------------------------------------------------------------------------

LOG_STREAM = "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef"
EVENT_ID = "0f3c9a4e2b7d4c61a8e5f90213b4c7d2"  # 32 characters, as the consumer's ids are
REQUEST_ID = "8f5c2e1a-7b3d-4c1e-9a2f-0123456789ab"
REASON = ("s3://image-processor-local/uploads/a-rather-long-key-name/holiday.jpg is not an image: "
          "it starts with '%PDF-1.7' (a PDF document); send a JPEG, PNG, GIF, WebP or TIFF")


def put_logs(aws: AwsClients, lines: list[str], at: datetime | None = None) -> None:
    """`lines` one millisecond apart from a second before `at` (default now)."""
    group = aws.settings.consumer_log_group
    aws.logs.create_log_stream(logGroupName=group, logStreamName=LOG_STREAM)
    end = int((at or datetime.now(UTC)).timestamp() * 1000)
    aws.logs.put_log_events(logGroupName=group, logStreamName=LOG_STREAM,
                            logEvents=[{"timestamp": end - 1000 + i, "message": line}
                                       for i, line in enumerate(lines)])


def record(level: str, event_id: str, status: str, reason: str = "") -> str:
    return json.dumps({"level": level, "message": "record processed", "event_id": event_id, "status": status,
                       "reason": reason, "duration_ms": 41.5, "function_request_id": REQUEST_ID})


LINES = [
    f"START RequestId: {REQUEST_ID} Version: $LATEST",
    record("INFO", "ev-1", "stored"),
    record("WARNING", EVENT_ID, "failed", REASON),
    json.dumps({"level": "INFO", "message": "batch processed", "records": 2, "stored": 1, "failed": 1,
                "function_request_id": REQUEST_ID}),
    f"END RequestId: {REQUEST_ID}",
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 88 MB",
]


def test_logs_empty_state(open_page: Open) -> None:
    assert "No log lines" in open_page("screens/logs.py").info[0].value


def test_logs_newest_first_with_reason_duration_whole_ids_and_csv(open_page: Open, aws: AwsClients) -> None:
    put_logs(aws, LINES)
    app = open_page("screens/logs.py")
    frame = app.dataframe[0].value
    assert list(frame["level"]) == ["REPORT", "END", "INFO", "WARNING", "INFO", "START"]
    failed = frame.iloc[3]
    assert (failed["reason"], failed["event id"], failed["request id"]) == (REASON, EVENT_ID, REQUEST_ID)
    assert failed["duration (ms)"] == 41.5 and frame.iloc[0]["duration (ms)"] == 102.25
    assert app.get("download_button") and app.get("vega_lite_chart")  # CSV and the durations chart


def test_logs_show_a_missing_duration_as_empty_and_chart_durations_on_the_24_hour_clock(
    open_page: Open, aws: AwsClients
) -> None:
    evening = (datetime.now(UTC) - timedelta(days=1)).replace(hour=19, minute=57, second=0, microsecond=0)
    put_logs(aws, LINES, at=evening)
    app = open_page("screens/logs.py")
    app.selectbox[1].set_value("Last 7 days").run()
    assert app.dataframe[0].proto.placeholder == "–"  # Streamlit draws a missing value as "None" otherwise
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    x = spec["encoding"]["x"]
    assert x["axis"]["format"] == "%H:%M:%S"
    assert app.dataframe[0].value.iloc[0]["time"].startswith(f"{evening:%Y-%m-%d} 19:56:59")


def test_logs_level_warning_lists_only_the_failed_records(open_page: Open, aws: AwsClients) -> None:
    put_logs(aws, LINES)
    app = open_page("screens/logs.py")
    app.selectbox[2].set_value("WARNING").run()
    assert list(app.dataframe[0].value["event id"]) == [EVENT_ID]


def test_logs_search_by_event_id_and_text_that_is_not_a_field_name(open_page: Open, aws: AwsClients) -> None:
    put_logs(aws, LINES)
    app = open_page("screens/logs.py")
    app.text_input(key="logs_search").set_value("ev-1").run()
    assert list(app.dataframe[0].value["message"]) == ["record processed"]
    app.text_input(key="logs_search").set_value("").run()
    app.text_input[0].set_value("FAILED").run()  # the batch line's `failed` count is a name, not text
    assert list(app.dataframe[0].value["event id"]) == [EVENT_ID]


def test_logs_times_are_in_the_viewers_time_zone(aws: AwsClients) -> None:
    at = datetime.now(UTC).replace(microsecond=0)
    put_logs(aws, ["a line"], at=at + timedelta(seconds=1))  # written at `at`
    app = AppTest.from_file(APP, default_timeout=30)
    app.context["timezone"] = "Asia/Kolkata"  # UTC+05:30 all year
    app.run()
    app.switch_page("screens/logs.py").run()
    shown = app.dataframe[0].value.iloc[0]["time"]
    assert shown == f"{at + timedelta(hours=5, minutes=30):%Y-%m-%d %H:%M:%S}.000"
    assert any("Asia/Kolkata" in c.value for c in app.caption)


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


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def queue_row(app: AppTest) -> str:
    """The Health page's resource table, its on-failure queue row's detail."""
    table = app.dataframe[0].value
    (detail,) = table.loc[table["resource"] == "On-failure queue", "detail"]
    return str(detail)


def test_health_shows_an_empty_on_failure_queue_and_nothing_to_replay(open_page: Open) -> None:
    app = open_page("screens/health.py")
    assert any("on-failure queue is empty" in i.value for i in app.info)
    assert app.button(key="health_replay").disabled


def test_health_replays_a_given_up_batch_to_an_empty_queue_with_progress_and_the_clis_summary(
    open_page: Open, aws: AwsClients
) -> None:
    images = [jpeg_in_bucket(aws, f"lost{n}", colour) for n, colour in enumerate(("red", "green"))]
    sent = given_up(aws, [image_event(url, f"lost {n}") for n, url in enumerate(images)])
    app = open_page("screens/health.py")
    shown = metrics(app)
    assert (shown["Waiting"], shown["Being replayed"]) == ("1", "0")
    assert queue_row(app) == "1 message(s) waiting"
    assert re.fullmatch(r"\d+ s", shown["Oldest message"])
    assert any("the stream keeps records 24 h, so replay them before" in c.value for c in app.caption)

    app.button(key="health_replay").click().run()

    assert not app.exception
    said = "2 records replayed (2 stored, 0 failed, 0 kept already); 1 message done, 0 left"
    (bar,) = app.progress
    assert (bar.value, bar.text) == (100, said)
    assert [s.value for s in app.success] == [f"Replayed: {said}."]
    assert any("on-failure queue is empty" in i.value for i in app.info)
    assert queue_row(app) == "0 message(s) waiting"  # the table above the replay, read again after it
    assert on_failure_queue(aws) == 0
    assert [expect_stored(aws, record).status for record in sent] == [EventStatus.STORED] * 2


def test_health_reports_records_the_stream_no_longer_holds_and_leaves_their_message_waiting(
    open_page: Open, aws: AwsClients
) -> None:
    lost_batch(aws, arrived=datetime.now(UTC) - timedelta(days=2))
    app = open_page("screens/health.py")
    assert "longer than the stream keeps records (24 h)" in app.warning[0].value

    app.button(key="health_replay").click().run()

    assert not app.exception
    (left,) = [w.value for w in app.warning if "stay on the queue" in w.value]
    assert left.startswith("Replayed: 0 records replayed (0 stored, 0 failed, 0 kept already); 0 messages "
                           "done, 1 left. 1 message(s) stay on the queue")
    assert "send those events again" in left
    (why,) = [t for t in texts(app) if t.startswith("shardId-000000000099 ")]
    assert "0 of 2 records are still on the stream" in why
    assert metrics(app)["Waiting"] == "1"  # visible again at once, for the next replay and the alarm
    assert on_failure_queue(aws) == 1


@pytest.mark.access_denied_expected
def test_health_says_what_to_do_when_a_replay_is_refused(
    open_page: Open, aws: AwsClients, moto_endpoint: str
) -> None:
    given_up(aws, [image_event(jpeg_in_bucket(aws, "refused", "blue"), "refused")])
    taken = {"role": "dashboard", "action": "kinesis:GetRecords"}
    requests.post(f"{moto_endpoint}/_local/iam/remove", json=taken, timeout=10).raise_for_status()
    app = open_page("screens/health.py")

    app.button(key="health_replay").click().run()

    assert not app.exception
    said = app.error[0].value
    assert said.startswith("Replay stopped: Not allowed to call GetRecords on Stream ")
    assert "check the IAM permissions" in said and "press Replay again" in said
    assert (metrics(app)["Waiting"], metrics(app)["Being replayed"]) == ("0", "1")  # hidden, as it says


# Login ------------------------------------------------------------------------------------------

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s", "client_id": "id",
        "client_secret": "secret", "server_metadata_url": "https://example.com/.well-known/openid-configuration"}


def test_every_page_requires_login_when_oidc_is_configured(aws: AwsClients) -> None:
    app = AppTest.from_file(APP, default_timeout=30)
    app.secrets["auth"] = AUTH
    app.run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Log in"]
    assert not app.metric


# Icons ------------------------------------------------------------------------------------------

def test_every_icon_is_a_material_symbol_not_an_emoji() -> None:
    """Streamlit ships the Material Symbols font; emoji draw as empty boxes without an emoji font."""
    sources = Path(APP).parent.rglob("*.py")
    icons = [icon for source in sources for icon in re.findall(r'icon=("[^"]*")', source.read_text())]
    assert icons and all(icon.startswith('":material/') for icon in icons), icons


def test_a_logged_in_visitor_sees_the_pages_and_a_logout_button(aws: AwsClients) -> None:
    app = AppTest.from_file(APP, default_timeout=30)
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": True, "email": "ana@example.com"}
    app.run()
    assert not app.exception
    assert app.metric  # the Live page
    assert [b.label for b in app.sidebar.button] == ["Log out"]
    assert "ana@example.com" in app.sidebar.caption[0].value


def test_nothing_is_shown_when_login_is_required_but_not_configured(
    aws: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRE_LOGIN", "true")
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    assert "REQUIRE_LOGIN" in app.error[0].value
    assert not app.metric and not app.button
