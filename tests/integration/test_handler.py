"""The consumer handler on real Kinesis events: put on the emulator's stream with core.producer, read
back with GetRecords, and turned into Lambda's event by the same builder the local runner uses."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from PIL import Image

from core.aws import AwsClients
from core.ingest import stream_event_id
from core.models import EventStatus, StoredEvent
from core.producer import SentRecord, send_raw
from core.store.objects import put_once
from core.store.reads import get_event, last_hour_count
from lambda_consumer import handler as consumer
from local.event_source.events import lambda_event
from local.event_source.invoke import LocalContext
from local.event_source.shards import stream_source
from tests.awscalls import FailCalls

SEED_DESCRIPTION = "Test image event from Kinesis"


class FailWritesOf(FailCalls):
    """FailCalls on TransactWriteItems, for one event only: records of a batch run concurrently."""

    def __init__(self, clients: AwsClients, event_id: str, times: int = 1) -> None:
        self.event_id = event_id
        super().__init__(clients, "dynamodb", "TransactWriteItems", "ThrottlingException", times=times)

    def _answer(self, **kwargs: Any) -> Any:
        if self.event_id not in str(kwargs.get("params", {}).get("body", "")):
            return None
        return super()._answer(**kwargs)


@pytest.fixture(autouse=True)
def handler_uses_the_test_clients(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer, "aws_clients", lambda: aws)


def jpeg_in_bucket(aws: AwsClients, name: str, colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    put_once(aws, f"incoming/{name}.jpg", buffer.getvalue(), "image/jpeg")
    return f"s3://{aws.settings.bucket_name}/incoming/{name}.jpg"


def payload(
    url: str, description: str = SEED_DESCRIPTION, keys: tuple[str, str] = ("ImageUrl", "Description")
) -> bytes:
    return json.dumps({keys[0]: url, keys[1]: description}).encode()


def put_and_read_back(aws: AwsClients, payloads: list[bytes]) -> tuple[list[SentRecord], dict[str, Any]]:
    """Put each payload on the stream, then read them back as the Lambda event of their batch."""
    sent = [send_raw(aws, data, partition_key="testKey") for data in payloads]
    iterator = aws.kinesis.get_shard_iterator(
        StreamName=aws.settings.stream_name, ShardId=sent[0].shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=sent[0].sequence_number,
    )["ShardIterator"]
    records = aws.kinesis.get_records(ShardIterator=iterator, Limit=len(sent))["Records"]
    assert [r["SequenceNumber"] for r in records] == [s.sequence_number for s in sent]
    return sent, lambda_event(records, sent[0].shard_id, stream_source(aws))


def context() -> LocalContext:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:image-processor-consumer"
    return LocalContext("image-processor-consumer", arn, 1024, str(uuid.uuid4()), "/aws/lambda/x",
                        "2026/01/01/[$LATEST]0", time.monotonic() + 60)


def stored(aws: AwsClients, record: SentRecord) -> StoredEvent | None:
    return get_event(aws, stream_event_id(record.shard_id, record.sequence_number))


def failures(*records: SentRecord) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": r.sequence_number} for r in records]}


@pytest.mark.parametrize("keys", [("ImageUrl", "Description"), ("imageUrl", "description"),
                                  ("image_url", "description")])
def test_the_seed_payload_and_its_other_spellings_are_stored(aws: AwsClients, keys: tuple[str, str]) -> None:
    url = jpeg_in_bucket(aws, "seed", (200, 120, 40))
    (record,), event = put_and_read_back(aws, [payload(url, keys=keys)])
    assert consumer.handler(event, context()) == {"batchItemFailures": []}
    arrival = event["Records"][0]["kinesis"]["approximateArrivalTimestamp"]
    kept = stored(aws, record)
    assert kept is not None and kept.status is EventStatus.STORED
    assert (kept.description, kept.image_url, kept.shard_id) == (SEED_DESCRIPTION, url, record.shard_id)
    assert kept.received_at.timestamp() == pytest.approx(arrival)


def test_the_aws_cli_v1_form_base64_text_is_the_same_event(aws: AwsClients) -> None:
    url = jpeg_in_bucket(aws, "v1", (10, 120, 40))
    (record,), event = put_and_read_back(aws, [base64.b64encode(payload(url))])
    assert consumer.handler(event, context()) == {"batchItemFailures": []}
    kept = stored(aws, record)
    assert kept is not None and (kept.status, kept.description) == (EventStatus.STORED, SEED_DESCRIPTION)


def test_a_mixed_batch_reports_exactly_the_transient_failure_and_loses_nothing(aws: AwsClients) -> None:
    good = [payload(jpeg_in_bucket(aws, f"good{i}", (40 * i, 90, 200))) for i in range(3)]
    poison = [b"not json at all", payload("ftp://example.com/a.jpg"),
              payload(f"s3://{aws.settings.bucket_name}/missing.jpg")]
    batch = [good[0], poison[0], good[1], poison[1], good[2], poison[2], good[0]]
    sent, event = put_and_read_back(aws, batch)
    flaky = sent[-1]
    FailWritesOf(aws, stream_event_id(flaky.shard_id, flaky.sequence_number))

    assert consumer.handler(event, context()) == failures(flaky)

    statuses = [(kept.status if (kept := stored(aws, r)) else None) for r in sent]
    assert statuses == [EventStatus.STORED, EventStatus.FAILED] * 3 + [None]
    assert all(stored(aws, r).failure_reason for r in sent[1:6:2])  # type: ignore[union-attr]
    assert consumer.handler(event, context()) == {"batchItemFailures": []}  # Lambda's redelivery
    assert stored(aws, flaky).status is EventStatus.STORED  # type: ignore[union-attr]
    assert last_hour_count(aws) == len(sent)


def test_the_same_batch_delivered_three_times_keeps_one_record_each(aws: AwsClients) -> None:
    urls = [jpeg_in_bucket(aws, f"again{i}", (i * 60, 30, 30)) for i in range(3)]
    sent, event = put_and_read_back(aws, [payload(u) for u in urls] + [b"{}"])
    first = consumer.handler(event, context())
    kept = [stored(aws, r) for r in sent]
    for _ in range(2):
        assert consumer.handler(event, context()) == first == {"batchItemFailures": []}
    assert [stored(aws, r) for r in sent] == kept
    assert last_hour_count(aws) == len(sent)


def test_a_batch_that_fails_entirely_raises_so_lambda_retries_all_of_it(aws: AwsClients) -> None:
    url = jpeg_in_bucket(aws, "all", (1, 2, 3))
    sent, event = put_and_read_back(aws, [payload(url), payload(url, "second")])
    FailCalls(aws, "dynamodb", "TransactWriteItems", "InternalServerError", status=500, times=2)
    with pytest.raises(BatchProcessingError):
        consumer.handler(event, context())
    assert [stored(aws, r) for r in sent] == [None, None]


def test_record_data_that_is_not_base64_is_recorded_as_failed(aws: AwsClients) -> None:
    (record,), event = put_and_read_back(aws, [b"{}"])
    event["Records"][0]["kinesis"]["data"] = "%%% not base64 %%%"
    assert consumer.handler(event, context()) == {"batchItemFailures": []}
    assert "not base64" in (stored(aws, record).failure_reason or "")  # type: ignore[union-attr]


def test_the_records_of_a_batch_are_processed_concurrently(aws: AwsClients) -> None:
    urls = [jpeg_in_bucket(aws, f"c{i}", (i, i, 200)) for i in range(8)]
    _, event = put_and_read_back(aws, [payload(u) for u in urls])
    threads: set[str] = set()
    aws.s3.meta.events.register("before-call.s3.GetObject",
                                lambda **_: threads.add(threading.current_thread().name))
    assert consumer.handler(event, context()) == {"batchItemFailures": []}
    assert len(threads) > 1 and all(name.startswith("record") for name in threads)
