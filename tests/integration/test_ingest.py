"""core.ingest end to end against moto's server: fetch, image, store; failures kept with reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from core.aws import AwsClients
from core.errors import ImageError, InvalidEvent, StoreUnavailable
from core.ingest import batch
from core.ingest.origin import Origin, stream_event_id
from core.ingest.upload import ingest_upload
from core.models import EventSource, EventStatus, FailureKind
from core.store.latest import listed
from core.store.reads import get_event, last_hour_count, latest_event, minute_counts
from tests import factories as make
from tests.awscalls import CallCounter, FailCalls
from tests.factories import counted, ingest_record

NOW = datetime.now(UTC).replace(microsecond=0)


def origin(sequence: str) -> Origin:
    """Record `sequence` of the first shard, arrived at NOW."""
    return make.stream_origin(sequence, NOW)


@pytest.fixture()
def cat_url(aws: AwsClients) -> str:
    """An 800×600 JPEG in the bucket at incoming/cat.jpg; its s3:// URL."""
    return make.image_in_bucket(aws, "cat.jpg", make.jpeg((800, 600)))


def object_keys(aws: AwsClients) -> list[str]:
    listing = aws.s3.list_objects_v2(Bucket=aws.settings.bucket_name)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def read_object(aws: AwsClients, key: str) -> bytes:
    return bytes(aws.s3.get_object(Bucket=aws.settings.bucket_name, Key=key)["Body"].read())


def test_an_event_is_stored_with_its_image_preview_thumbnail_and_metadata(
    aws: AwsClients, cat_url: str
) -> None:
    stored = ingest_record(aws, make.image_event(cat_url), origin("1"))
    assert stored.status is EventStatus.STORED
    assert (stored.width, stored.height, stored.format) == (800, 600, "JPEG")
    assert stored.original_key and stored.thumbnail_key and stored.preview_key
    assert max(make.decoded(read_object(aws, stored.thumbnail_key)).size) == aws.settings.thumbnail_size
    assert make.decoded(read_object(aws, stored.preview_key)).size == (800, 600)  # never scaled up
    assert object_keys(aws) == sorted(
        ["incoming/cat.jpg", stored.original_key, stored.thumbnail_key, stored.preview_key])
    assert stored == get_event(aws, stored.event_id)
    assert latest_event(counted(aws)) == listed(stored)  # what the Live page shows, without the detail


def test_an_original_named_by_its_own_key_in_our_bucket_is_not_uploaded_again(aws: AwsClients) -> None:
    data = make.jpeg((800, 600))
    first = ingest_record(aws, make.image_event(make.image_in_bucket(aws, "cat.jpg", data)), origin("4"))
    assert first.original_key
    calls = CallCounter(aws)
    again = ingest_record(aws, make.image_event(f"s3://{aws.settings.bucket_name}/{first.original_key}"),
                          origin("5"))
    assert again.original_key == first.original_key and again.status is EventStatus.STORED
    assert calls.calls["s3.PutObject"] == 2  # its thumbnail and preview (conditional: kept as they are)
    assert read_object(aws, first.original_key) == data


def test_a_batch_of_phone_photos_costs_four_calls_a_stored_event_and_one_write_call(
    aws: AwsClients, moto_endpoint: str
) -> None:
    """Phone Exif, a 120-character URL, a caption: each event is one item, so 25 events are one
    BatchWriteItem; a stored event costs its GET and three PUTs, the batch one lookup and one write.
    The events show one image: its workers take turns on its keys rather than race (S3 would answer 409)."""
    key = "incoming/uploads/2026/11/26/user-4821/IMG_4821-7f3c9a2e-5b1d-4c8e-9f2a-1d3e5b7c9a0b.jpeg"
    url = make.image_in_bucket(aws, key.removeprefix("incoming/"), make.phone_jpeg())
    assert len(url) >= 110
    caption = "Harbour at dusk from the ferry terminal. " * 3
    # Kinesis sequence numbers are 56 digits; Lambda names each invocation with a 36-character request id.
    origins = [replace(origin(f"4961{n:052d}"), request_id="c9ae800a-99e6-4899-b35f-1d3e5b7c9a0b")
               for n in range(25)]
    jobs = [batch.stream_job(make.image_event(url, caption), at) for at in origins]
    calls = CallCounter(aws)
    outcomes = batch.run(aws, jobs)
    assert batch.counts(outcomes)["stored"] == 25
    assert requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["s3_conflicts"] == 0
    assert dict(calls.calls) == {"dynamodb.BatchGetItem": 1, "s3.GetObject": 25, "s3.PutObject": 75,
                                 "dynamodb.BatchWriteItem": 1}


def test_an_image_no_larger_than_the_thumbnail_gets_no_preview(aws: AwsClients) -> None:
    url = make.image_in_bucket(aws, "small.jpg", make.jpeg((200, 150)))
    stored = ingest_record(aws, make.image_event(url), origin("3"))
    assert stored.thumbnail_key and stored.preview_key is None
    assert not [key for key in object_keys(aws) if key.startswith("previews/")]
    assert get_event(aws, stored.event_id) == stored


def test_ingesting_the_same_event_twice_keeps_one_record_and_a_count_of_one(
    aws: AwsClients, cat_url: str
) -> None:
    first = ingest_record(aws, make.image_event(cat_url), origin("7"))
    again = ingest_record(aws, make.image_event(cat_url), origin("7"))
    assert again == first
    assert last_hour_count(counted(aws)) == 1


def test_a_malformed_record_is_stored_as_failed_with_its_reason(aws: AwsClients) -> None:
    failed = ingest_record(aws, b'{"ImageUrl": "ftp://x/y.jpg", "Description": "old"}', origin("2"))
    assert failed.status is EventStatus.FAILED
    assert "must start with http://, https:// or s3://" in (failed.failure_reason or "")
    assert failed.description == "old"
    assert [(c.events, c.failed) for c in minute_counts(counted(aws), NOW, NOW)] == [(1, 1)]
    assert latest_event(counted(aws)) is None  # latest shows images; a failure has none


def test_a_missing_image_is_stored_as_failed_and_writes_no_objects(aws: AwsClients) -> None:
    url = f"s3://{aws.settings.bucket_name}/nowhere.jpg"
    failed = ingest_record(aws, make.image_event(url), origin("3"))
    assert failed.status is EventStatus.FAILED and failed.image_url == url
    assert "does not exist" in (failed.failure_reason or "")
    assert object_keys(aws) == []
    kept = get_event(aws, failed.event_id)
    assert kept is not None and kept.failure_kind is FailureKind.PERMANENT


def test_bytes_that_are_not_an_image_are_stored_as_failed(aws: AwsClients) -> None:
    url = make.image_in_bucket(aws, "notes.jpg", b"just some text, renamed")
    failed = ingest_record(aws, make.image_event(url), origin("4"))
    assert failed.status is EventStatus.FAILED and failed.failure_reason


def test_a_minimized_heif_is_stored_like_any_heic(aws: AwsClients) -> None:
    data = make.minimized_heic(make.asymmetric((300, 200)))
    url = make.image_in_bucket(aws, "minimized.heic", data, "image/heic")
    stored = ingest_record(aws, make.image_event(url), origin("6"))
    assert stored.status is EventStatus.STORED, stored.failure_reason
    assert (stored.width, stored.height, stored.format) == (300, 200, "HEIF")
    assert stored.original_key and stored.original_key.endswith(".heic") and stored.thumbnail_key
    assert read_object(aws, stored.original_key) == data
    thumbnail = make.decoded(read_object(aws, stored.thumbnail_key)).convert("RGB")
    assert make.is_red(make.pixel(thumbnail, (thumbnail.width // 8, thumbnail.height // 3)))


def test_an_avif_over_the_pixel_limit_is_stored_as_failed_too_large_with_its_size(aws: AwsClients) -> None:
    url = make.image_in_bucket(aws, "huge.avif", make.claiming_size("AVIF", 17_000, 17_000), "image/avif")
    failed = ingest_record(aws, make.image_event(url), origin("7"))
    assert failed.status is EventStatus.FAILED and object_keys(aws) == ["incoming/huge.avif"]
    reason = failed.failure_reason or ""
    assert "Image is 17000×17000 = 289 MP; the limit is 50 MP (MAX_IMAGE_PIXELS)" in reason


def test_a_transient_store_failure_raises_so_the_caller_retries(
    aws: AwsClients, cat_url: str
) -> None:
    FailCalls(aws, "dynamodb", "BatchWriteItem", "ProvisionedThroughputExceededException", times=1)
    with pytest.raises(StoreUnavailable):
        ingest_record(aws, make.image_event(cat_url), origin("5"))
    assert get_event(aws, origin("5").event_id) is None
    retried = ingest_record(aws, make.image_event(cat_url), origin("5"))
    assert retried.status is EventStatus.STORED and last_hour_count(counted(aws)) == 1


def test_an_upload_goes_through_the_same_store(aws: AwsClients) -> None:
    stored = ingest_upload(aws, make.jpeg((300, 200)), "holiday.jpg", "From the upload widget", NOW)
    assert stored.source is EventSource.UPLOAD and stored.filename == "holiday.jpg"
    assert stored.status is EventStatus.STORED and latest_event(counted(aws)) == listed(stored)


@pytest.mark.parametrize(
    ("data", "description", "refusal"),
    [(b"not an image at all", "text file", ImageError), (make.jpeg((800, 600)), "", InvalidEvent)],
)
def test_a_bad_upload_is_refused_and_writes_nothing(
    aws: AwsClients, data: bytes, description: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        ingest_upload(aws, data, "bad.jpg", description, NOW)
    assert object_keys(aws) == []
    assert last_hour_count(counted(aws)) == 0


def test_stream_event_ids_are_stable_and_distinct() -> None:
    assert stream_event_id("shard-1", "42") == stream_event_id("shard-1", "42")
    assert stream_event_id("shard-1", "42") != stream_event_id("shard-2", "42")
    assert make.stream_origin("9", NOW - timedelta(seconds=1)).event_id == origin("9").event_id
