"""The consumer handler on real Kinesis events: put on the emulator's stream with core.producer, read
back with GetRecords, and turned into Lambda's event by the same builder the local runner uses."""

from __future__ import annotations

import base64
import threading

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from core.aws import AwsClients
from core.models import EventStatus
from core.store.reads import last_hour_count
from core.stream.producer import SentRecord
from lambda_consumer import handler as consumer
from tests.awscalls import CallCounter, FailCalls, ThrottleWritesOf
from tests.factories import (
    SEED_DESCRIPTION,
    counted,
    event_id,
    expect_stored,
    image_event,
    jpeg_in_bucket,
    lambda_context,
    put_and_read_back,
    stored,
)

pytestmark = pytest.mark.usefixtures("handler_aws")


def failures(*records: SentRecord) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": r.sequence_number} for r in records]}


@pytest.mark.parametrize("keys", [("ImageUrl", "Description"), ("imageUrl", "description"),
                                  ("image_url", "description")])
def test_the_seed_payload_and_its_other_spellings_are_stored(aws: AwsClients, keys: tuple[str, str]) -> None:
    url = jpeg_in_bucket(aws, "seed", (200, 120, 40))
    (record,), event = put_and_read_back(aws, [image_event(url, keys=keys)])
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}
    arrival = event["Records"][0]["kinesis"]["approximateArrivalTimestamp"]
    kept = stored(aws, record)
    assert kept is not None and kept.status is EventStatus.STORED
    assert (kept.description, kept.image_url, kept.shard_id) == (SEED_DESCRIPTION, url, record.shard_id)
    assert kept.received_at.timestamp() == pytest.approx(arrival)


def test_the_aws_cli_v1_form_base64_text_is_the_same_event(aws: AwsClients) -> None:
    url = jpeg_in_bucket(aws, "v1", (10, 120, 40))
    (record,), event = put_and_read_back(aws, [base64.b64encode(image_event(url))])
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}
    kept = stored(aws, record)
    assert kept is not None and (kept.status, kept.description) == (EventStatus.STORED, SEED_DESCRIPTION)


def test_a_mixed_batch_reports_exactly_the_transient_failure_and_loses_nothing(aws: AwsClients) -> None:
    good = [image_event(jpeg_in_bucket(aws, f"good{i}", (40 * i, 90, 200))) for i in range(3)]
    poison = [b"not json at all", image_event("ftp://example.com/a.jpg"),
              image_event(f"s3://{aws.settings.bucket_name}/missing.jpg")]
    batch = [good[0], poison[0], good[1], poison[1], good[2], poison[2], good[0]]
    sent, event = put_and_read_back(aws, batch)
    flaky = sent[-1]
    ThrottleWritesOf(consumer.aws_clients(), event_id(flaky))  # the function's own clients

    assert consumer.handler(event, lambda_context()) == failures(flaky)

    statuses = [(kept.status if (kept := stored(aws, r)) else None) for r in sent]
    assert statuses == [EventStatus.STORED, EventStatus.FAILED] * 3 + [None]
    assert all(expect_stored(aws, r).failure_reason for r in sent[1:6:2])
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}  # Lambda's redelivery
    assert expect_stored(aws, flaky).status is EventStatus.STORED
    assert last_hour_count(counted(aws)) == len(sent)


def test_the_same_batch_delivered_three_times_keeps_one_record_each(aws: AwsClients) -> None:
    urls = [jpeg_in_bucket(aws, f"again{i}", (i * 60, 30, 30)) for i in range(3)]
    sent, event = put_and_read_back(aws, [image_event(u) for u in urls] + [b"{}"])
    first = consumer.handler(event, lambda_context())
    kept = [stored(aws, r) for r in sent]
    for _ in range(2):
        assert consumer.handler(event, lambda_context()) == first == {"batchItemFailures": []}
    assert [stored(aws, r) for r in sent] == kept
    assert last_hour_count(counted(aws)) == len(sent)


def test_a_batch_that_fails_entirely_raises_so_lambda_retries_all_of_it(aws: AwsClients) -> None:
    url = jpeg_in_bucket(aws, "all", (1, 2, 3))
    sent, event = put_and_read_back(aws, [image_event(url), image_event(url, "second")])
    FailCalls(consumer.aws_clients(), "dynamodb", "BatchWriteItem", "InternalServerError", status=500,
              times=10)
    with pytest.raises(BatchProcessingError):
        consumer.handler(event, lambda_context())
    assert [stored(aws, r) for r in sent] == [None, None]


def test_record_data_that_is_not_base64_is_recorded_as_failed(aws: AwsClients) -> None:
    (record,), event = put_and_read_back(aws, [b"{}"])
    event["Records"][0]["kinesis"]["data"] = "%%% not base64 %%%"
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}
    assert "not base64" in (expect_stored(aws, record).failure_reason or "")


def test_the_records_of_a_batch_are_processed_concurrently(aws: AwsClients) -> None:
    urls = [jpeg_in_bucket(aws, f"c{i}", (i, i, 200)) for i in range(8)]
    _, event = put_and_read_back(aws, [image_event(u) for u in urls])
    threads: set[str] = set()
    consumer.aws_clients().s3.meta.events.register("before-call.s3.GetObject",
                                lambda **_: threads.add(threading.current_thread().name))
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}
    assert len(threads) > 1 and all(name.startswith("fetch") for name in threads)


def test_a_redelivered_batch_is_recognised_in_one_read_and_fetches_nothing(aws: AwsClients) -> None:
    urls = [jpeg_in_bucket(aws, f"once{i}", (i * 40, 90, 90)) for i in range(5)]
    _, event = put_and_read_back(aws, [image_event(u) for u in urls] + [b"not json"])
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}
    calls = CallCounter(consumer.aws_clients(), ("dynamodb", "s3", "kinesis", "logs"))
    assert consumer.handler(event, lambda_context()) == {"batchItemFailures": []}
    assert calls.calls == {"dynamodb.BatchGetItem": 1}  # no fetch, no decode, no upload, no write
