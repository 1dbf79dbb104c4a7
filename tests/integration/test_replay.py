"""Replaying the on-failure queue (`python -m core replay`): the local event source gives a batch up as
Lambda does (its metadata to the SQS queue), and replay reads the records back from the stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.aws import AwsClients
from core.models import EventStatus
from core.ops.cli import main
from core.store.reads import last_hour_minutes
from tests import factories as make
from tests.factories import ingest_record


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out if code == 0 else captured.err), captured.err


def test_replay_stores_a_given_up_batch_deletes_its_message_and_a_second_replay_does_nothing(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [make.jpeg_in_bucket(aws, f"lost{n}", colour) for n, colour in enumerate(("red", "green"))]
    payloads = [make.image_event(url, f"lost {n}") for n, url in enumerate(images)] + [b"not json"]
    sent = make.given_up(aws, payloads)
    assert make.on_failure_queue(aws) == 1
    assert [make.stored(aws, record) for record in sent] == [None, None, None]
    first = sent[0]  # kept meanwhile (the consumer got to it on a later try, say): left as it is
    ingest_record(aws, make.image_event(images[0], "lost 0"), make.stream_origin(first.sequence_number))

    code, result, progress = run(capsys, "replay")

    assert code == 0
    assert "3 records replayed (1 stored, 1 failed, 1 kept already); 1 message done" in progress
    assert result == {"replayed": {"messages": 1, "records": 3, "stored": 1, "failed": 1, "already_kept": 1,
                                   "left": []}}
    kept = [make.expect_stored(aws, record) for record in sent]
    assert [event.status for event in kept] == [EventStatus.STORED, EventStatus.STORED, EventStatus.FAILED]
    assert [event.request_id for event in kept[1:]] == ["replay", "replay"]
    assert make.on_failure_queue(aws) == 0
    minutes = last_hour_minutes(make.counted(aws))
    assert (sum(m.events for m in minutes), sum(m.failed for m in minutes)) == (3, 1)

    nothing = {"messages": 0, "records": 0, "stored": 0, "failed": 0, "already_kept": 0, "left": []}
    assert run(capsys, "replay")[:2] == (0, {"replayed": nothing})


def test_a_message_whose_records_are_gone_is_left_on_the_queue_visible_and_reported_again(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    (record,) = make.given_up(aws, [make.image_event(make.jpeg_in_bucket(aws, "gone", "blue"), "gone")])
    assert make.on_failure_queue(aws) == 1
    aws.kinesis.delete_stream(StreamName=aws.settings.stream_name)  # its records with it, as retention would

    code, result, _ = run(capsys, "replay")

    assert code == 0 and result["replayed"]["messages"] == result["replayed"]["records"] == 0
    (why,) = result["replayed"]["left"]
    sequence = record.sequence_number
    assert why.startswith(f"{record.shard_id} {sequence}…{sequence}: 0 of 1 records are still on the stream")
    assert why.endswith("the message is left on the queue")
    assert make.on_failure_queue(aws) == 1 and make.stored(aws, record) is None
    again = run(capsys, "replay")[1]["replayed"]  # visible at once, not after replay's visibility timeout
    assert again["left"] == [why]
