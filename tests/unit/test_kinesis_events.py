"""Lambda's Kinesis event shape, built from GetRecords records and read back; where retries resume."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from lambda_consumer.contract import received_at, shard_of
from local.event_source.events import (
    StreamSource,
    arrival_seconds,
    first_failed_index,
    lambda_event,
)
from local.event_source.on_failure import failure_record
from local.event_source.shards import ShardCursor
from tests.factories import golden_event

SHARD = "shardId-000000000003"
SOURCE = StreamSource("arn:aws:kinesis:eu-west-1:123456789012:stream/images", "eu-west-1",
                      "arn:aws:iam::123456789012:role/consumer-role")
ARRIVED = datetime(2026, 11, 25, 7, 0, 1, 234567, tzinfo=UTC)
SEQUENCE = "49590338271490256608559692538361571095921575989136588898"


def get_records_record(sequence: str = SEQUENCE, data: bytes = b'{"ImageUrl": "s3://b/k"}') -> dict[str, Any]:
    return {"SequenceNumber": sequence, "ApproximateArrivalTimestamp": ARRIVED, "Data": data,
            "PartitionKey": "testKey"}


def test_a_get_records_record_becomes_lambdas_kinesis_event_record() -> None:
    (record,) = lambda_event([get_records_record()], SHARD, SOURCE)["Records"]
    assert record == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0", "partitionKey": "testKey", "sequenceNumber": SEQUENCE,
            "data": base64.b64encode(b'{"ImageUrl": "s3://b/k"}').decode(),
            "approximateArrivalTimestamp": 1795590001.235,
        },
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"{SHARD}:{SEQUENCE}",
        "eventName": "aws:kinesis:record", "invokeIdentityArn": SOURCE.role_arn,
        "awsRegion": "eu-west-1", "eventSourceARN": SOURCE.stream_arn,
    }


def shape(value: Any) -> Any:
    """The keys of every object and the type of every other value: what a reader of the event relies on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value)


def test_records_have_exactly_the_keys_and_value_types_of_the_lambda_guides_example() -> None:
    (documented, _) = golden_event("kinesis_lambda_guide")["Records"]
    built = lambda_event([get_records_record(), get_records_record("7")], SHARD, SOURCE)["Records"]
    assert [shape(record) for record in built] == [shape(documented)] * 2


def test_the_lambda_guides_example_is_rebuilt_exactly_from_its_own_records() -> None:
    documented = golden_event("kinesis_lambda_guide")
    first = documented["Records"][0]
    records = [
        {"SequenceNumber": k["sequenceNumber"], "PartitionKey": k["partitionKey"],
         "Data": base64.b64decode(k["data"]),
         "ApproximateArrivalTimestamp": datetime.fromtimestamp(k["approximateArrivalTimestamp"], UTC)}
        for k in (record["kinesis"] for record in documented["Records"])
    ]
    source = StreamSource(first["eventSourceARN"], first["awsRegion"], first["invokeIdentityArn"])
    assert lambda_event(records, "shardId-000000000006", source) == documented


def test_the_handler_reads_back_the_shard_and_the_arrival_time() -> None:
    (record,) = lambda_event([get_records_record()], SHARD, SOURCE)["Records"]
    assert shard_of(record["eventID"]) == SHARD
    arrived = received_at(record["kinesis"]["approximateArrivalTimestamp"])
    assert arrived == ARRIVED.replace(microsecond=235000) and arrived.tzinfo is UTC


def test_a_naive_arrival_time_is_taken_as_utc() -> None:
    assert arrival_seconds(ARRIVED.replace(tzinfo=None)) == arrival_seconds(ARRIVED)


SEQUENCES = ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (None, None),
        ({}, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, 1),
        ({"batchItemFailures": [{"itemIdentifier": "4"}]}, 3),
        ({"batchItemFailures": [{"itemIdentifier": "99"}]}, 0),  # not in the batch: all of it again
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, 0),
        ({"batchItemFailures": [{}]}, 0),
        ({"batchItemFailures": ["2"]}, 0),
    ],
)
def test_delivery_resumes_where_lambda_would(response: object, expected: int | None) -> None:
    assert first_failed_index(response, SEQUENCES) == expected


def test_a_cursor_counts_attempts_only_while_the_same_record_fails() -> None:
    cursor = ShardCursor(SHARD, "TRIM_HORIZON")
    assert [cursor.retry_from("5"), cursor.retry_from("5"), cursor.retry_from("7")] == [1, 2, 1]
    assert (cursor.kind, cursor.sequence, cursor.iterator) == ("AT_SEQUENCE_NUMBER", "7", None)
    cursor.advance("9", "next-iterator")
    assert (cursor.kind, cursor.sequence, cursor.iterator, cursor.failing, cursor.attempts) == (
        "AFTER_SEQUENCE_NUMBER", "9", "next-iterator", None, 0)
    cursor.advance("10", None)
    assert cursor.closed


def test_the_on_failure_record_names_the_batch_like_lambdas() -> None:
    records = [get_records_record("7"), get_records_record("9")]
    record = failure_record(records, SHARD, SOURCE, request_id="r-1", function_arn="arn:f",
                            attempts=3, function_error=False)
    assert record["KinesisBatchInfo"] == {
        "shardId": SHARD, "startSequenceNumber": "7", "endSequenceNumber": "9",
        "approximateArrivalOfFirstRecord": "2026-11-25T07:00:01.234Z",
        "approximateArrivalOfLastRecord": "2026-11-25T07:00:01.234Z",
        "batchSize": 2, "streamArn": SOURCE.stream_arn,
    }
    assert record["requestContext"] == {"requestId": "r-1", "functionArn": "arn:f",
                                        "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3}
    assert "functionError" not in record["responseContext"]
