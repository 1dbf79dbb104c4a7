"""AWS's own example Kinesis events (tests/golden, in the shape Lambda's documentation gives) through the
real handler: none crashes it or is reported for retry, and each record is kept as what its data says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from core.aws import AwsClients
from core.ingest.origin import stream_event_id
from core.models import EventStatus, StoredEvent
from core.store.reads import get_event, last_hour_count
from lambda_consumer import handler as consumer
from tests.factories import counted, golden_event, image_in_bucket, jpeg, lambda_context, record_data

TEXT_EVENTS = ["kinesis_lambda_guide", "kinesis_without_arrival_time", "kinesis_encrypted"]  # data: text
GOLDEN_EVENTS = [*TEXT_EVENTS, "kinesis_image_event"]
NO_RETRY: dict[str, list[dict[str, str]]] = {"batchItemFailures": []}

pytestmark = pytest.mark.usefixtures("handler_aws")


def kept(aws: AwsClients, record: dict[str, Any]) -> StoredEvent:
    """The event stored for a golden record: its id is its shard (from eventID) and sequence number."""
    shard = record["eventID"].partition(":")[0]
    found = get_event(aws, stream_event_id(shard, record["kinesis"]["sequenceNumber"]))
    assert found is not None, f"nothing is stored for {record['eventID']}"
    return found


def put_the_golden_image(aws: AwsClients, event: dict[str, Any]) -> str:
    """Put a JPEG at the s3:// URL the golden image event names (in the test's own bucket); the URL."""
    url = str(json.loads(record_data(event["Records"][0]))["ImageUrl"])
    where = urlsplit(url)
    assert where.netloc == aws.settings.bucket_name, f"{url} is not in the test's bucket"
    assert image_in_bucket(aws, where.path.removeprefix("/incoming/"), jpeg((640, 480))) == url
    return url


@pytest.mark.parametrize("name", GOLDEN_EVENTS)
def test_a_golden_event_is_answered_with_no_record_to_retry(aws: AwsClients, name: str) -> None:
    event = golden_event(name)
    if name == "kinesis_image_event":
        put_the_golden_image(aws, event)
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    assert all(kept(aws, record) for record in event["Records"])


@pytest.mark.parametrize("name", TEXT_EVENTS)
def test_a_record_whose_data_is_not_json_is_stored_as_failed_saying_so(aws: AwsClients, name: str) -> None:
    event = golden_event(name)
    assert record_data(event["Records"][0]).startswith(b"Hello, this is a test")
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    for record in event["Records"]:
        failed = kept(aws, record)
        assert failed.status is EventStatus.FAILED
        assert "not JSON" in (failed.failure_reason or ""), failed.failure_reason


def test_a_record_is_dated_by_its_approximate_arrival_timestamp(aws: AwsClients) -> None:
    event = golden_event("kinesis_lambda_guide")
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    arrivals = [record["kinesis"]["approximateArrivalTimestamp"] for record in event["Records"]]
    received = [kept(aws, record).received_at.timestamp() for record in event["Records"]]
    assert received == pytest.approx(arrivals)  # 1545084650.987 and 1545084711.166: December 2018


def test_a_record_without_an_arrival_time_is_dated_when_its_batch_was_handled(aws: AwsClients) -> None:
    event = golden_event("kinesis_without_arrival_time")
    (record,) = event["Records"]
    assert "approximateArrivalTimestamp" not in record["kinesis"]
    before = datetime.now(UTC)
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    after = datetime.now(UTC)
    received = kept(aws, record).received_at
    assert before - timedelta(seconds=2) <= received <= after + timedelta(seconds=2)


def test_a_second_delivery_of_a_golden_event_without_an_arrival_time_changes_nothing(
    aws: AwsClients,
) -> None:
    event = golden_event("kinesis_without_arrival_time")
    (record,) = event["Records"]
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    first, count = kept(aws, record), last_hour_count(counted(aws))
    # Delivered again later, the batch is dated later; the event is the first one all the same.
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    assert kept(aws, record) == first
    assert last_hour_count(counted(aws)) == count == 1


def test_a_golden_image_event_is_stored_with_its_image(aws: AwsClients) -> None:
    event = golden_event("kinesis_image_event")
    url = put_the_golden_image(aws, event)
    assert consumer.handler(event, lambda_context()) == NO_RETRY
    stored = kept(aws, event["Records"][0])
    assert stored.status is EventStatus.STORED, stored.failure_reason
    assert (stored.image_url, stored.description) == (url, "Test image event from Kinesis")
    assert (stored.width, stored.height, stored.format) == (640, 480, "JPEG")
    assert stored.shard_id == "shardId-000000000006"
