"""An event as DynamoDB items: under 1 KB (1 WCU) however long its fields, and back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from core.aws.clients import QUERIES_AT_ONCE
from core.imaging.renditions import renditions
from core.models import (
    MAX_DESCRIPTION_CHARS,
    MAX_URL_CHARS,
    EventSource,
    EventStatus,
    FailureKind,
    StoredEvent,
)
from core.settings import Settings
from core.store import keys
from core.store.items import (
    ITEM_BUDGET,
    LISTED_CHARS,
    PREVIEW_CHARS,
    from_items,
    item_size,
    summary,
    to_items,
)
from tests.factories import PHONE_URL, phone_jpeg

SHA = "ab" * 32


def event(**fields: object) -> StoredEvent:
    base: dict[str, object] = dict(
        event_id="0123456789abcdef0123456789abcdef", received_at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
        source=EventSource.STREAM, status=EventStatus.STORED, description="A cat",
        image_url="s3://bucket/cat.jpg", sha256=SHA, original_key=keys.original_key(SHA, "jpg"),
        thumbnail_key=keys.thumbnail_key(SHA), width=800, height=600, format="JPEG", size_bytes=51234,
        shard_id="shardId-000000000000", sequence_number="4" * 56, request_id="c9ae800a-99e6-4899-b35f",
    )
    return StoredEvent.model_validate(base | fields)


def test_a_typical_event_is_one_item_under_a_kilobyte() -> None:
    (item,) = to_items(event())
    assert item_size(item) <= ITEM_BUDGET
    assert from_items([item]) == event()


def phone_event(description: str) -> StoredEvent:
    """A phone photo's event as the consumer makes it: the camera's Exif as read, a 120-character URL."""
    made = renditions(phone_jpeg(), Settings())
    return event(description=description, image_url=PHONE_URL, exif=made.info.exif, width=made.info.width,
                 height=made.info.height, frame_count=1, preview_key=keys.preview_key(SHA),
                 request_id="c9ae800a-99e6-4899-b35f-1d3e5b7c9a0b", shard_id="shardId-000000000007",
                 sequence_number="49" + "6" * 54)


def test_a_phone_photo_with_a_long_url_and_a_captions_length_of_text_is_one_item() -> None:
    """Phone Exif, a 120-character URL and a description as long as a list shows (PREVIEW_CHARS cut at
    200: captions are mostly shorter) fit one item: 1 WCU, and 1 more in the time index, no detail item."""
    phone = phone_event("Harbour at dusk from the ferry terminal. " * 3)
    (item,) = to_items(phone)
    assert item_size(item) <= ITEM_BUDGET
    assert from_items([item]) == phone


def test_the_id_and_the_time_are_read_from_the_keys_not_stored_twice() -> None:
    (item,) = to_items(event())
    assert "event_id" not in item and "received_at" not in item
    assert from_items([item]).received_at == event().received_at


def test_an_item_written_before_the_ids_left_it_still_reads_back() -> None:
    (item,) = to_items(event())
    older = item | {"event_id": {"S": event().event_id}, "received_at": {"S": "2026-11-26T09:30:00Z"}}
    assert from_items([older]) == event()


def test_long_fields_move_to_a_detail_item_and_both_stay_under_a_kilobyte() -> None:
    long = event(image_url="https://example.com/" + "p" * (MAX_URL_CHARS - 40),
                 exif={f"Tag{n}": "v" * 40 for n in range(30)}, description="é" * MAX_DESCRIPTION_CHARS)
    main, detail = to_items(long)
    assert item_size(main) <= ITEM_BUDGET
    assert detail[keys.SK]["S"] == keys.DETAIL_SK and main[keys.PK] == detail[keys.PK]
    assert from_items([detail, main]) == long  # either order
    assert len(from_items([main]).description) == PREVIEW_CHARS  # what a list shows without the detail


def test_failed_events_carry_the_sparse_index_key_and_stored_ones_do_not() -> None:
    (stored,) = to_items(event())
    (failed,) = to_items(event(status=EventStatus.FAILED, failure_reason="Not an image", sha256=None,
                               original_key=None, thumbnail_key=None))
    assert keys.FAILED_PK not in stored and failed[keys.FAILED_PK]["S"].startswith("F#2026-11-26#")
    assert stored[keys.TIME_PK]["S"] == keys.time_partition(event().received_at, event().event_id)


def test_a_summary_keeps_what_the_live_page_shows_and_cuts_texts_to_a_preview() -> None:
    long = event(description="x" * 400)
    listed = summary(long)
    assert "image_url" not in listed and "exif" not in listed
    assert len(listed["description"]["S"]) == LISTED_CHARS
    assert len(summary(long, whole_text=True)["description"]["S"]) == 400


def test_a_failure_kind_round_trips_and_an_item_from_before_kinds_reads_as_none() -> None:
    failed = event(status=EventStatus.FAILED, failure_reason="503", failure_kind=FailureKind.RETRYABLE,
                   sha256=None, original_key=None, thumbnail_key=None)
    (item,) = to_items(failed)
    assert from_items([item]).failure_kind is FailureKind.RETRYABLE
    before_kinds = {name: value for name, value in item.items() if name != "failure_kind"}
    assert from_items([before_kinds]).failure_kind is None


def test_a_gallery_page_has_a_connection_for_each_time_partition_it_queries_at_once() -> None:
    assert keys.TIME_SHARDS <= QUERIES_AT_ONCE
