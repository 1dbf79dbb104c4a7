"""The dashboard in Debian's Chromium, against `make run`'s embedded stack.

The tests share one app process, so they run in file order: the first sees only the sample images.
Every page's screenshot lands in test-artifacts/screenshots/<page>.png.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from core.aws import AwsClients
from core.ingest.origin import stream_event_id
from core.models import EventSource, EventStatus, FailureKind, StoredEvent
from core.ops import audit
from core.ops.audit import Action, Outcome
from core.store.reads import get_event, last_hour_count, last_hour_minutes
from core.store.writes import put_events
from dashboard.gallery_view import tile_reason
from dashboard.views import human_size
from local.samples import sample_images
from tests import factories as make
from tests.e2e.browser import SCREENSHOTS, Tab, column, grid, wait_idle
from tests.factories import photo_jpeg, stream_records
from tests.hosts import recovering_host

pytestmark = pytest.mark.e2e

# Script and markdown in one: shown literally, it proves the description is never HTML nor markdown.
HOSTILE_DESCRIPTION = "<script>alert(1)</script> **bold?**"
SOON_MS = 10_000  # "within 10 s" on the pages
# page -> (URL path, title). Live is the default page: Streamlit serves it at the root, whatever its url_path.
PAGES = {"live": ("", "Live"), "gallery": ("gallery", "Gallery"), "upload": ("upload", "Upload"),
         "send": ("send", "Send test event"), "logs": ("logs", "Logs"), "health": ("health", "Health"),
         "audit": ("audit", "Audit")}


# -- helpers: open a page the way a person does, and read what Streamlit drew ---------------------------

def open_page(tab: Tab, name: str) -> Page:
    """Load the page by its URL and wait until Streamlit has drawn its title and is idle, with no error."""
    path, title = PAGES[name]
    page = tab.page
    page.goto(f"{tab.app.url}/{path}")
    expect(page.get_by_test_id("stApp")).to_be_visible()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    return page


def screenshot(page: Page, name: str) -> None:
    """The whole page: Streamlit scrolls its main area (and an open dialog) inside the window, so the window
    is made as tall as what scrolls for the picture (a full-page screenshot alone stops at its height)."""
    size = page.viewport_size
    tall = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const dialog = document.querySelector('[role="dialog"]');  // drawn below the window's top edge
        return Math.max(main?.scrollHeight ?? 0,
                        dialog ? dialog.getBoundingClientRect().top * 2 + dialog.scrollHeight : 0);
    }""")
    if size and tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(tall), 6000)})
        wait_idle(page)
    try:
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    finally:
        if size:
            page.set_viewport_size(size)


def wait_images_loaded(page: Page, some: bool = True) -> None:
    """Images are presigned links to the emulator: the browser itself must be able to load them. `some`:
    the page must show one at least."""
    if some:
        expect(page.get_by_test_id("stImage").first).to_be_visible()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stImage"] img')]
                 .every(img => img.complete && img.naturalWidth > 0)"""
    )


def metric(page: Page, label: str) -> Locator:
    """The value of the st.metric labelled exactly `label`."""
    label_element = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_element).get_by_test_id("stMetricValue")


def latest_panel(page: Page) -> Locator:
    """The Live page's newest event (the strip of recent events below it shows texts too)."""
    return page.locator(".st-key-latest")


def last_hour_metric(page: Page) -> Locator:
    return metric(page, "Events in the last hour")


def upload_result(page: Page, number: int) -> Locator:
    """The texts of the Upload page's result row `number`: file, result, detail."""
    return page.locator(f".st-key-upload-result-{number}").get_by_test_id("stText")


def record_on_stream(store: AwsClients, description: str, timeout: float = 10) -> tuple[str, str]:
    """(shard id, sequence number) of the record whose payload carries `description`, read from Kinesis."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in stream_records(store):
            if description.encode() in record.data:
                return record.shard_id, record.sequence_number
        time.sleep(0.5)
    pytest.fail(f"No record with {description!r} reached the stream within {timeout} s")


# -- the tests, in the order a person would try the dashboard --------------------------------------------

def test_a_link_to_a_page_opened_first_on_a_fresh_server_runs_the_app_with_its_navigation(tab: Tab) -> None:
    """Must run first: a deep link that bypassed app.py would skip its login gate and page config."""
    page = open_page(tab, "upload")

    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link")).to_have_text([re.compile(title) for _, title in PAGES.values()])
    expect(page).to_have_title(re.compile("Image Processor"))


def test_live_shows_a_sample_image_and_the_sample_count(tab: Tab) -> None:
    samples = sample_images()
    page = open_page(tab, "live")

    expect(last_hour_metric(page)).to_have_text(str(len(samples)))
    expect(metric(page, "Stored")).to_have_text(str(len(samples)))
    expect(metric(page, "Failed")).to_have_text("0")
    descriptions = "|".join(re.escape(sample.description) for sample in samples)
    expect(latest_panel(page).get_by_test_id("stText")).to_have_text(re.compile(f"^({descriptions})$"))
    expect(column(grid(page, "status"), "status")).to_have_text(["stored"] * len(samples))
    wait_images_loaded(page)
    screenshot(page, "live-samples")


def test_an_uploaded_image_shows_on_live_with_its_description_as_plain_text(
    tab: Tab, app_store: AwsClients, tmp_path: Path
) -> None:
    before = last_hour_count(app_store)
    image = tmp_path / "e2e-upload.jpg"
    image.write_bytes(photo_jpeg())
    page = open_page(tab, "upload")

    page.locator('input[type="file"]').set_input_files(image)
    # The browser sends the file to the server as soon as it is chosen; it is listed once it arrived.
    expect(page.get_by_role("button", name=f"Remove {image.name}")).to_be_visible()
    page.get_by_label("Description").fill(HOSTILE_DESCRIPTION)
    page.get_by_role("button", name="Store images", exact=True).click()

    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("1 stored, 0 refused.")
    expect(upload_result(page, 0)).to_have_text([image.name, "stored", re.compile(r" px JPEG, ")])
    screenshot(page, "upload-result")

    page = open_page(tab, "live")
    shown = latest_panel(page).get_by_text(HOSTILE_DESCRIPTION, exact=True)
    expect(shown).to_be_visible(timeout=SOON_MS)
    expect(latest_panel(page).get_by_test_id("stText")).to_have_text(HOSTILE_DESCRIPTION)
    expect(last_hour_metric(page)).to_have_text(str(before + 1), timeout=SOON_MS)
    expect(page.locator("strong", has_text="bold?")).to_have_count(0)
    expect(page.locator("script", has_text="alert(1)")).to_have_count(0)

    page = open_page(tab, "gallery")
    expect(page.get_by_text(HOSTILE_DESCRIPTION, exact=True)).to_be_visible()
    expect(page.locator("strong", has_text="bold?")).to_have_count(0)
    assert tab.dialogs == [], f"the description ran as script: {tab.dialogs}"


def test_a_sent_event_is_processed_then_shows_on_live_and_in_the_consumer_logs(
    tab: Tab, app_store: AwsClients
) -> None:
    before = last_hour_count(app_store)
    description = f"Test image event from the browser test {uuid.uuid4().hex[:8]}"
    page = open_page(tab, "send")

    # The default template (a good event) and the default sample image; only the description is ours.
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Send", exact=True).click()
    shard, sequence = record_on_stream(app_store, description)
    results = grid(page, "sequence number")
    expect(column(results, "sequence number")).to_have_text([sequence])
    expect(column(results, "status")).to_have_text(["stored"], timeout=SOON_MS)
    screenshot(page, "send-result")

    page = open_page(tab, "live")
    expect(latest_panel(page).get_by_test_id("stText")).to_have_text(description, timeout=SOON_MS)
    expect(last_hour_metric(page)).to_have_text(str(before + 1), timeout=SOON_MS)

    event_id = stream_event_id(shard, sequence)
    page = open_page(tab, "logs")
    search = page.get_by_role("textbox", name="Request id or event id")
    search.fill(event_id)
    search.press("Enter")
    # Filtered to the event, the consumer's one line for it is left.
    expect(column(grid(page, "message"), "message")).to_have_text(["record processed"], timeout=SOON_MS)
    wait_idle(page)
    screenshot(page, "logs-event")
    # The grid draws only the columns in view; the CSV has them all, the event id among them.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
    assert [(row["message"], row["event id"]) for row in rows] == [("record processed", event_id)]


def test_health_shows_the_embedded_emulator_and_every_resource_answering(tab: Tab) -> None:
    page = open_page(tab, "health")

    expect(page.get_by_text("embedded emulator")).to_be_visible()
    resources = grid(page, "resource")
    names = column(resources, "resource")
    expect(names).to_have_text(["S3 bucket", "DynamoDB table", "Kinesis stream", "Log group",
                                "On-failure queue"])
    expect(column(resources, "state")).to_have_text(["ok"] * names.count())
    expect(page.get_by_text("Some resources do not answer")).to_have_count(0)
    expect(page.get_by_text("The on-failure queue is empty")).to_be_visible()
    expect(page.get_by_role("button", name="Replay")).to_be_disabled()


FAILURE_TEMPLATES = ["Malformed JSON", "Description too long", "Blocked URL", "Not an image"]


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the st.selectbox labelled `label`, as a person does: open it, click the option."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def sent_event(page: Page, store: AwsClients, timeout: float = 10) -> StoredEvent:
    """The stored event of the one record the Send page just sent, once the consumer has handled it."""
    results = grid(page, "sequence number")
    expect(column(results, "status")).not_to_have_text(["waiting for the consumer…"], timeout=timeout * 1000)
    sequence = column(results, "sequence number").first.inner_text().strip()
    shard = column(results, "shard").first.inner_text().strip()
    event = get_event(store, stream_event_id(shard, sequence))
    assert event is not None, f"record {sequence} on {shard} has no event"
    return event


def test_health_replays_a_filled_on_failure_queue_to_empty_with_its_summary(
    tab: Tab, app_store: AwsClients
) -> None:
    for n in range(2):
        make.batch_given_up_on(app_store, [make.image_event(f"s3://{app_store.settings.bucket_name}/"
                                                            f"{sample_images()[0].key}", f"given up {n}")])
    page = open_page(tab, "health")
    expect(metric(page, "Waiting")).to_have_text("2")
    screenshot(page, "health-queue")
    page.get_by_role("button", name="Replay", exact=True).click()
    done = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Replayed:")
    expect(done).to_contain_text("2 messages done, 0 left", timeout=30_000)
    expect(page.get_by_test_id("stProgress")).to_contain_text("2 messages done")
    expect(page.get_by_text("The on-failure queue is empty")).to_be_visible()
    assert make.on_failure_queue(app_store) == 0
    screenshot(page, "health-replayed")


def test_each_failure_template_shows_its_full_reason_on_send_live_and_in_the_gallery(
    tab: Tab, app_store: AwsClients
) -> None:
    reasons = []
    for template in FAILURE_TEMPLATES:
        page = open_page(tab, "send")
        choose(page, "Template", template)
        page.get_by_role("button", name="Send", exact=True).click()
        event = sent_event(page, app_store)
        assert event.status.value == "failed" and event.failure_reason
        expect(page.get_by_test_id("stText").filter(has_text=event.failure_reason)).to_have_text(
            event.failure_reason)
        reasons.append(event.failure_reason)
        if template == FAILURE_TEMPLATES[-1]:
            screenshot(page, "send-failure-reason")
        page = open_page(tab, "live")  # the newest event, failed: its whole reason within 10 s
        shown = latest_panel(page).get_by_text(event.failure_reason, exact=True)
        expect(shown).to_be_visible(timeout=SOON_MS)

    page = open_page(tab, "gallery")
    choose(page, "Status", "Failed")
    for reason in reasons:  # the newest failures, each tile with its reason as text (cut with a cue)
        on_tile = tile_reason(reason)
        expect(page.get_by_test_id("stText").filter(has_text=on_tile).first).to_have_text(on_tile)
    screenshot(page, "gallery-failed")


def failed_and_total_last_hour(store: AwsClients) -> tuple[int, int]:
    minutes = last_hour_minutes(store)
    return sum(m.failed for m in minutes), sum(m.events for m in minutes)


def test_a_source_that_answers_503_then_recovers_is_stored_by_retry_and_counted_once(
    tab: Tab, app_store: AwsClients
) -> None:
    description = f"retry me {uuid.uuid4().hex[:8]}"
    with recovering_host() as host:
        page = open_page(tab, "send")
        choose(page, "Sample image in the bucket", "Other URL…")
        page.get_by_role("textbox", name="Other URL").fill(host.url)
        page.get_by_label("Description").fill(description)
        page.get_by_role("button", name="Send", exact=True).click()
        event = sent_event(page, app_store)
        assert event.failure_kind is FailureKind.RETRYABLE and "503" in (event.failure_reason or "")
        expect(latest_panel(open_page(tab, "live")).get_by_text(event.failure_reason or "", exact=True)
               ).to_be_visible(timeout=SOON_MS)
        failed, total = failed_and_total_last_hour(app_store)

        page = open_page(tab, "gallery")
        choose(page, "Status", "Failed")
        tiles = page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text(description, exact=True))
        tiles.filter(has=page.get_by_role("button", name="Details")).last.get_by_role(
            "button", name="Details").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("button", name="Retry").click()
        expect(dialog.get_by_text("Retried: the image is stored now.")).to_be_visible(timeout=SOON_MS)
        wait_idle(page)
        screenshot(page, "gallery-retried")
    assert host.asked == 2
    stored = get_event(app_store, event.event_id)
    assert stored is not None and stored.status is EventStatus.STORED and stored.failure_reason is None
    deadline = time.monotonic() + SOON_MS / 1000
    while failed_and_total_last_hour(app_store) != (failed - 1, total) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert failed_and_total_last_hour(app_store) == (failed - 1, total)  # moved to stored, not counted again


def test_a_burst_of_200_is_followed_to_200_results(tab: Tab) -> None:
    page = open_page(tab, "send")
    page.get_by_label("How many (a burst)").fill("200")
    page.get_by_role("button", name="Send", exact=True).click()
    heading = page.get_by_role("heading", name=re.compile(r"^Sent 200 · "))
    expect(heading).to_have_text("Sent 200 · 200 processed: 200 stored, 0 failed", timeout=90_000)
    wait_idle(page)
    screenshot(page, "send-burst")


# A producer's URL and description, and so the reason that names the URL, with Markdown links and images
# and HTML in them: shown as text they put nothing clickable on the page and load nothing.
TRAP = "trap.invalid"
HOSTILE_URL = (f"s3://image-processor-local/missing/[sign in](https://login.{TRAP}/)"
               f"![pixel](http://img.{TRAP}/p.png)<img src=http://html.{TRAP}/h.png>.jpg")
HOSTILE_TEXT = f"[click me](https://login.{TRAP}/) ![x](http://img.{TRAP}/d.png) **bold?** <b>html</b>"


def no_trap_on(page: Page) -> None:
    expect(page.locator(f'a[href*="{TRAP}"]')).to_have_count(0)
    expect(page.locator(f'img[src*="{TRAP}"]')).to_have_count(0)
    expect(page.locator("strong", has_text="bold?")).to_have_count(0)


def test_a_hostile_url_description_and_reason_show_literally_and_load_nothing(
    tab: Tab, app_store: AwsClients
) -> None:
    requested: list[str] = []
    tab.page.on("request", lambda request: requested.append(request.url))
    page = open_page(tab, "send")
    choose(page, "Sample image in the bucket", "Other URL…")
    page.get_by_role("textbox", name="Other URL").fill(HOSTILE_URL)
    page.get_by_label("Description").fill(HOSTILE_TEXT)
    page.get_by_role("button", name="Send", exact=True).click()
    event = sent_event(page, app_store)
    reason = event.failure_reason or ""
    assert HOSTILE_URL in reason, reason
    expect(page.get_by_test_id("stText").filter(has_text=reason)).to_have_text(reason)
    no_trap_on(page)
    screenshot(page, "send-hostile")

    page = open_page(tab, "live")  # the newest event, though it failed: its reason in full, as text
    expect(latest_panel(page).get_by_test_id("stText").filter(has_text=reason)).to_have_text(reason,
                                                                                             timeout=SOON_MS)
    expect(latest_panel(page).get_by_text(HOSTILE_TEXT, exact=True)).to_be_visible()
    no_trap_on(page)
    screenshot(page, "live-failed-hostile")

    page = open_page(tab, "gallery")
    choose(page, "Status", "Failed")
    details = page.get_by_role("button", name="Details")
    on_tile = page.get_by_text(tile_reason(reason), exact=True)
    tiles = page.get_by_test_id("stVerticalBlock").filter(has=on_tile)
    tiles.filter(has=details).last.get_by_role("button", name="Details").click()  # the innermost: its tile
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("stText").filter(has_text=reason)).to_have_text(reason)
    expect(dialog.get_by_text(HOSTILE_TEXT, exact=True)).to_be_visible()
    no_trap_on(page)
    wait_idle(page)
    screenshot(page, "gallery-details-hostile")

    page = open_page(tab, "logs")
    search = page.get_by_role("textbox", name="Request id or event id")
    search.fill(event.event_id)
    search.press("Enter")
    expect(column(grid(page, "reason"), "reason")).to_have_text([reason], timeout=SOON_MS)
    expect(page.get_by_test_id("stCode")).to_contain_text(reason)  # the event's one line, in full
    no_trap_on(page)
    screenshot(page, "logs-hostile")
    assert not [url for url in requested if TRAP in url], "the page asked for a producer's URL"
    assert tab.dialogs == []


def warning_lines_newest_first(store: AwsClients, since: datetime) -> list[str]:
    """The event ids of every WARNING line of the consumer's group since `since`, read the plain way."""
    found = []
    request: dict[str, Any] = {"logGroupName": store.settings.consumer_log_group,
                               "startTime": int(since.timestamp() * 1000)}
    while True:
        page = store.logs.filter_log_events(**request)
        for line in page["events"]:
            document = json.loads(line["message"]) if line["message"].startswith("{") else {}
            if str(document.get("level", "")).upper() in ("WARN", "WARNING"):
                found.append((line["timestamp"], str(document.get("event_id", ""))))
        if "nextToken" not in page:
            return [event_id for _, event_id in sorted(found, reverse=True)]
        request["nextToken"] = page["nextToken"]


def test_logs_at_level_warning_list_exactly_the_failed_records_newest_first_among_10000_lines(
    tab: Tab, app_store: AwsClients
) -> None:
    group, stream = app_store.settings.consumer_log_group, f"2026/01/01/[$LATEST]{uuid.uuid4().hex}"
    app_store.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = datetime.now(UTC)
    start = int((now - timedelta(minutes=55)).timestamp() * 1000)
    lines = [{"timestamp": start + n * 330, "message": json.dumps(
        {"level": "WARNING", "message": "record processed", "status": "failed", "reason": "Not an image",
         "event_id": f"written-{n:05d}"} if n % 500 == 17 else
        {"level": "INFO", "message": "record processed", "status": "stored", "event_id": f"written-{n:05d}"})}
        for n in range(10_000)]
    for first in range(0, len(lines), 2_000):
        app_store.logs.put_log_events(logGroupName=group, logStreamName=stream,
                                      logEvents=lines[first:first + 2_000])  # type: ignore[arg-type]
    expected = warning_lines_newest_first(app_store, now - timedelta(hours=1))
    assert len(expected) >= 20

    page = open_page(tab, "logs")
    choose(page, "Level", "WARNING")
    expect(column(grid(page, "level"), "level").first).to_have_text("WARNING", timeout=SOON_MS)
    wait_idle(page)
    screenshot(page, "logs-warning")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
    assert [row["event id"] for row in rows] == expected
    assert {row["level"] for row in rows} == {"WARNING"}
    assert [row["time"] for row in rows] == sorted((row["time"] for row in rows), reverse=True)


# -- every page as a newcomer meets it: nothing cut, hidden, mislabelled or fetched from elsewhere -------

def afternoon_zone() -> ZoneInfo:
    """A time zone whose clock reads 14:00-15:59 now: a 12-hour axis would show 02 or 03 there."""
    hour = datetime.now(UTC).hour
    offset = (14 - hour + 12) % 24 - 12  # in -12..11, as Etc/GMT zones go (their sign is reversed)
    return ZoneInfo(f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT")


def report_times(store: AwsClients) -> list[datetime]:
    """When the consumer's REPORT lines of the last hour were written."""
    start = int((datetime.now(UTC) - timedelta(hours=1)).timestamp() * 1000)
    found = store.logs.filter_log_events(logGroupName=store.settings.consumer_log_group, startTime=start,
                                         filterPattern='"REPORT RequestId"', limit=1000)
    return [datetime.fromtimestamp(e["timestamp"] / 1000, UTC) for e in found["events"]]


def no_inner_scroll(table: Locator) -> None:
    """The st.dataframe shows all its rows and no more: its scroller has nothing below what is in view,
    and no blank strip under its last row (the scroller's first child is as tall as header and rows)."""
    scroller = table.locator(".dvn-scroller").first
    overflow = scroller.evaluate("s => s.scrollHeight - s.clientHeight")
    assert overflow <= 1, f"{overflow} px of the table are hidden behind its scroll bar"
    blank = scroller.evaluate("s => s.clientHeight - s.firstElementChild.getBoundingClientRect().height")
    assert blank <= 2, f"a blank strip of {blank} px under the table's last row"


def text_box(locator: Locator) -> dict[str, float]:
    """Where the text itself is drawn (its element may be wider, the text aligned to one side of it)."""
    found: dict[str, float] = locator.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " const b = r.getBoundingClientRect(); return {x: b.x, width: b.width}; }")
    return found


def box(locator: Locator) -> FloatRect:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not drawn"
    return found


def test_a_walk_through_every_page_finds_nothing_cut_hidden_mislabelled_or_fetched_from_elsewhere(
    tab: Tab, app_store: AwsClients, tmp_path: Path
) -> None:
    requested: list[str] = []
    tab.page.on("request", lambda request: requested.append(request.url))

    # Live: every recent event in view, no "None" for a failed one's image or description.
    page = open_page(tab, "live")
    recent = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("th", has_text="reason"))
    expect(recent).to_be_visible()
    no_inner_scroll(recent)
    expect(recent.locator("td", has_text=re.compile(r"^None$"))).to_have_count(0)
    screenshot(page, "walk-live")

    # Gallery: thumbnails in boxes of one size, the pager on the grid's edges, the details' facts first.
    put_events(app_store, [StoredEvent(
        event_id=uuid.uuid4().hex, received_at=datetime.now(UTC), source=EventSource.STREAM,
        status=EventStatus.FAILED, failure_kind=FailureKind.PERMANENT, image_url="https://example.com/a.jpg",
        description="a long description that a tile must fit in its box " * 3,
        failure_reason="The image host answered 404 Not Found: " + "the path names no file there, " * 8)])
    page = open_page(tab, "gallery")
    wait_images_loaded(page)
    thumbnails = page.locator('[class*="st-key-tile-"] [data-testid="stImage"] img')
    sizes = {(round(b["width"]), round(b["height"])) for b in map(box, thumbnails.all())}
    assert len(sizes) == 1, f"thumbnails of {len(sizes)} sizes: {sizes}"
    boxes = page.locator('[class*="st-key-tile-"], [class*="st-key-thumb-"]')
    cut = "boxes => boxes.filter(b => b.scrollHeight > b.clientHeight + 1).map(b => b.innerText)"
    assert not boxes.evaluate_all(cut), "tiles whose text is cut or scrolls inside them"
    first, last = (box(page.get_by_test_id("stSelectbox").filter(has_text=label)) for label in
                   ("Time range", "Per page"))  # the filter bar spans the grid
    left, right = first["x"], last["x"] + last["width"]
    following = box(page.get_by_role("button", name="Next →"))
    previous = box(page.get_by_role("button", name="← Previous"))
    number = text_box(page.get_by_text(re.compile(r"^Page \d+$")))
    assert abs(previous["x"] - left) <= 2 and abs(following["x"] + following["width"] - right) <= 2
    assert abs(number["x"] + number["width"] / 2 - (left + right) / 2) <= 2, "the page number is off-centre"
    screenshot(page, "walk-gallery")
    choose(page, "Status", "Failed")
    expect(page.get_by_test_id("stImage")).to_have_count(0)
    expect(page.locator('[class*="st-key-tile-"]').first).to_contain_text("(whole in Details)")
    assert not boxes.evaluate_all(cut), "failed tiles whose reason is cut or scrolls inside them"
    screenshot(page, "walk-gallery-failed")
    choose(page, "Status", "All")
    page.locator('[class*="st-key-tile-"]').filter(has=page.get_by_test_id("stImage")).first.get_by_role(
        "button", name="Details").click()
    dialog = page.get_by_role("dialog")
    trace = dialog.locator('[data-testid="stDataFrame"]')
    expect(column(trace.locator('table[role="grid"]'), "field").first).to_have_text("Dimensions")
    no_inner_scroll(trace)
    screenshot(page, "walk-gallery-details")

    # Upload: nothing stored is an error, reasons whole, one unit in the caption and the file picker.
    page = open_page(tab, "upload")
    expect(page.get_by_test_id("stCaptionContainer").first).to_contain_text("up to 20 MB and")
    expect(page.get_by_test_id("stFileUploaderDropzoneInstructions")).to_contain_text("20MB per file")
    photo = tmp_path / "walk-photo.jpg"
    photo.write_bytes(photo_jpeg())
    page.locator('input[type="file"]').set_input_files(photo)
    expect(page.get_by_role("button", name=f"Remove {photo.name}")).to_be_visible()
    size = human_size(photo.stat().st_size)  # the chip's units are the results' (it writes no space)
    expect(page.get_by_test_id("stFileUploader")).to_contain_text(size.replace(" ", ""))
    page.get_by_label("Description").fill("one photo")
    page.get_by_role("button", name="Store images", exact=True).click()
    expect(upload_result(page, 0).nth(2)).to_contain_text(f", {size}, event ")
    text, empty = tmp_path / "notes.jpg", tmp_path / "empty.png"
    text.write_text("plain text, not an image " * 40)
    empty.write_bytes(b"")
    page.locator('input[type="file"]').set_input_files([text, empty])
    expect(page.get_by_role("button", name=f"Remove {empty.name}")).to_be_visible()
    page.get_by_label("Description").fill("two bad files")
    page.get_by_role("button", name="Store images", exact=True).click()
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("0 stored, 2 refused.")
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_count(0)
    reason = upload_result(page, 0).nth(2)
    expect(reason).to_have_text(re.compile(r"^Not an image .*HTML or SVG\?$"))
    assert reason.evaluate("e => e.scrollWidth <= e.clientWidth"), "the reason is cut at the column's edge"
    screenshot(page, "walk-upload-refused")

    # Logs: the durations chart on the table's 24-hour clock, for a viewer whose clock is past noon now.
    zone = afternoon_zone()
    afternoon = tab.page.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 1400, "height": 1000}, timezone_id=zone.key)
    try:
        page = afternoon.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page = open_page(Tab(page, tab.app), "logs")
        lines = grid(page, "duration (ms)")
        expect(lines.locator("td", has_text=re.compile(r"^None$"))).to_have_count(0)
        labels = page.locator('[data-testid="stVegaLiteChart"] svg g[aria-label*="X-axis"] text')
        expect(labels.first).to_be_visible()
        screenshot(page, "walk-logs")
        ticks = [label for label in labels.all_text_contents() if not label.startswith("time (")]  # title
        reports = {moment.astimezone(zone).hour for moment in report_times(app_store)}
        assert reports and all(hour >= 12 for hour in reports), reports
        assert ticks and all(re.fullmatch(r"\d{2}:\d{2}:\d{2}", tick) for tick in ticks), ticks
        assert {int(tick[:2]) for tick in ticks} <= reports | {hour + 1 for hour in reports}, (ticks, reports)
    finally:
        afternoon.close()

    # Audit: every row in view; an action read whole, its 200 ids wrapping rather than cut.
    burst = audit.Entry(who="walker@example.com", action=Action.SEND, outcome=Outcome.DONE, role="operator",
                        event_ids=tuple(f"{n:032x}" for n in range(200)),
                        detail="200 record(s) to the stream")
    for n in range(12):
        audit.record(app_store, dataclasses.replace(burst, who="stroller@example.com", entry_id=f"walk{n}",
                                                     at=burst.at - timedelta(seconds=1 + n),
                                                     event_ids=(f"e{n}",), detail="1 record(s)"))
    audit.record(app_store, burst)
    page = open_page(tab, "audit")
    trail = page.locator('[data-testid="stDataFrame"]')
    expect(trail).to_be_visible()
    no_inner_scroll(trail)
    whole_box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Read whole", exact=True))
    whole_box.click()
    whole_box.locator("input").fill("walker")  # as a person finds one among many: the list is drawn lazily
    page.get_by_role("option", name=re.compile(r"send by walker@example\.com$")).click()
    whole = page.locator('[class*="st-key-audit-whole"] [data-testid="stText"]')
    expect(whole.last).to_contain_text(f"200 event(s): {burst.event_ids[0]}, ")
    assert not whole.evaluate_all("ts => ts.filter(t => t.scrollWidth > t.clientWidth + 1).length"), "cut"
    screenshot(page, "walk-audit")

    # Send and Health open too; no page asked any host but the dashboard and the emulator's image links.
    for name in ("send", "health"):
        open_page(tab, name)
    ours = {urlsplit(tab.app.url).netloc, urlsplit(tab.app.endpoint).netloc}
    elsewhere = sorted({urlsplit(url).netloc for url in requested} - ours - {""})
    assert not elsewhere, f"the pages asked {elsewhere}"


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_without_an_error(tab: Tab, name: str) -> None:
    page = open_page(tab, name)
    if name == "gallery":
        wait_images_loaded(page)
    if name == "live":  # its newest event may be a failure, which has no image
        expect(latest_panel(page)).to_be_visible()
        wait_images_loaded(page, some=False)
    if name == "live":
        expect(page.get_by_test_id("stVegaLiteChart").locator("svg, canvas").first).to_be_visible()
    wait_idle(page)
    screenshot(page, name)
