"""The producer puts the exact wire payload on the stream and resends only what Kinesis refused."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from core.aws import AwsClients
from core.errors import StoreMisconfigured, StoreUnavailable
from core.stream.producer import Progress, SendFailed, encode_event, send_events, send_raw
from tests.awscalls import FailCalls
from tests.factories import stream_records


def stream_contents(aws: AwsClients) -> dict[str, bytes]:
    """Every record on the (single-shard) stream, by sequence number."""
    return {record.sequence_number: record.data for record in stream_records(aws)}


class PutRecordsFaults:
    """Kinesis refusing chosen records: they never reach the stream, and the answer marks them failed."""

    def __init__(self, aws: AwsClients, refuse: set[bytes], times: int) -> None:
        self.refuse, self.times_left = refuse, times
        self.calls: list[list[bytes]] = []
        self._refused_at: list[int] = []
        events = aws.kinesis.meta.events
        events.register("before-parameter-build.kinesis.PutRecords", self._drop_refused)
        # botocore-stubs type every hook as returning None; a before-call hook's answer replaces the call.
        events.register("before-call.kinesis.PutRecords", self._skip_if_all_refused)  # type: ignore[arg-type]
        events.register("after-call.kinesis.PutRecords", self._mark_refused_failed)

    def _drop_refused(self, params: dict[str, Any], **_: Any) -> None:
        sent = [r["Data"] for r in params["Records"]]
        self.calls.append(sent)
        refusing = self.times_left > 0
        self.times_left -= 1
        self._refused_at = [i for i, data in enumerate(sent) if refusing and data in self.refuse]
        kept = [r for i, r in enumerate(params["Records"]) if i not in self._refused_at]
        # A new list leaves the caller's own untouched; an empty one would not pass validation.
        params["Records"] = kept or params["Records"]

    def _skip_if_all_refused(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self._refused_at and len(self._refused_at) == len(self.calls[-1]):
            answer = {"FailedRecordCount": 0, "Records": []}
            return AWSResponse("http://fault", 200, HTTPHeaders(), None), answer
        return None

    def _mark_refused_failed(self, parsed: dict[str, Any], **_: Any) -> None:
        for index in self._refused_at:
            failure = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
            parsed["Records"].insert(index, failure)
        parsed["FailedRecordCount"] = len(self._refused_at)


def refuse_call_with(aws: AwsClients, operation: str, code: str, status: int = 400) -> None:
    """Every call to `operation` answers with this error, without reaching the emulator."""
    FailCalls(aws, "kinesis", operation, code, status, times=1_000)


def test_encoded_event_is_exactly_the_wire_json_with_unicode_kept() -> None:
    data = encode_event("https://example.com/café.jpg", "Crème brûlée ☕")
    assert data == '{"ImageUrl": "https://example.com/café.jpg", "Description": "Crème brûlée ☕"}'.encode()


def test_sent_event_lands_on_the_stream_as_the_wire_json(aws: AwsClients) -> None:
    sent = send_raw(aws, encode_event("s3://bucket/cat.png", "A cat"))
    assert sent.shard_id == "shardId-000000000000"
    payload = stream_contents(aws)[sent.sequence_number]
    assert json.loads(payload) == {"ImageUrl": "s3://bucket/cat.png", "Description": "A cat"}


def test_raw_bytes_land_unchanged_so_malformed_payloads_can_be_sent(aws: AwsClients) -> None:
    sent = send_raw(aws, b'{"ImageUrl": "https://exa')
    assert stream_contents(aws)[sent.sequence_number] == b'{"ImageUrl": "https://exa'


def test_each_record_gets_its_own_random_partition_key_unless_one_is_given(aws: AwsClients) -> None:
    keys = [send_raw(aws, b"x").partition_key for _ in range(3)]
    assert len(set(keys)) == 3 and all(len(k) == 32 for k in keys)
    assert {r.partition_key for r in send_events(aws, [b"a", b"b"], partition_key="camera-1")} == {"camera-1"}
    assert send_raw(aws, encode_event("s3://b/k", "d"), partition_key="camera-2").partition_key == "camera-2"


def test_many_events_come_back_in_input_order(aws: AwsClients) -> None:
    payloads = [encode_event(f"s3://bucket/{n}.png", f"image {n}") for n in range(20)]
    results = send_events(aws, payloads)
    on_stream = stream_contents(aws)
    assert [on_stream[r.sequence_number] for r in results] == payloads
    assert len({r.partition_key for r in results}) == 20


def test_only_the_records_kinesis_refused_are_resent_and_each_lands_once(aws: AwsClients) -> None:
    payloads = [f"event {n}".encode() for n in range(6)]
    faults = PutRecordsFaults(aws, refuse={b"event 1", b"event 4"}, times=1)
    results = send_events(aws, payloads)
    assert faults.calls == [payloads, [b"event 1", b"event 4"]]
    on_stream = stream_contents(aws)
    assert Counter(on_stream.values()) == Counter(payloads)
    assert [on_stream[r.sequence_number] for r in results] == payloads


def test_records_still_refused_after_max_attempts_raise_send_failed(aws: AwsClients) -> None:
    faults = PutRecordsFaults(aws, refuse={b"stuck"}, times=99)
    with pytest.raises(SendFailed, match=r"1 of 2 record\(s\) not sent \(records 2, counting from 1\): "
                       r"Kinesis refused them 3 times in a row") as raised:
        send_events(aws, [b"ok", b"stuck"], max_attempts=3)
    assert faults.calls == [[b"ok", b"stuck"], [b"stuck"], [b"stuck"]]
    assert raised.value.unsent == [1] and raised.value.sent[1] is None and raised.value.sent[0] is not None
    assert list(stream_contents(aws).values()) == [b"ok"]


def test_large_batches_go_in_calls_of_at_most_500_records_with_progress(aws: AwsClients) -> None:
    faults = PutRecordsFaults(aws, refuse=set(), times=0)
    progress: list[tuple[int, int]] = []
    send_events(aws, [b"%d" % n for n in range(1001)],
                on_progress=lambda p: progress.append((p.done, p.total)))
    assert [len(call) for call in faults.calls] == [500, 500, 1]
    assert progress == [(500, 1001), (1000, 1001), (1001, 1001)]


def test_large_payloads_go_in_calls_of_at_most_5_mib(unthrottled_kinesis: AwsClients) -> None:
    aws = unthrottled_kinesis
    faults = PutRecordsFaults(aws, refuse=set(), times=0)
    payloads = [bytes([n]) * 900 * 1024 for n in range(12)]  # 5 fit in 5 MiB with their keys, 6 do not
    send_events(aws, payloads)
    assert [len(call) for call in faults.calls] == [5, 5, 2]
    assert len(stream_contents(aws)) == 12


def test_missing_stream_says_to_provision_or_check_stream_name(aws: AwsClients) -> None:
    elsewhere = AwsClients(aws.settings.model_copy(update={"stream_name": "no-such-stream"}))
    for send in (lambda: send_raw(elsewhere, b"x"), lambda: send_events(elsewhere, [b"x"])):
        with pytest.raises(StoreMisconfigured, match=r"Stream no-such-stream does not exist.*STREAM_NAME"):
            send()


@pytest.mark.parametrize(
    ("code", "status"), [("ProvisionedThroughputExceededException", 400), ("InternalFailure", 500)]
)
def test_throttling_or_server_errors_raise_store_unavailable(aws: AwsClients, code: str, status: int) -> None:
    refuse_call_with(aws, "PutRecord", code, status)
    refuse_call_with(aws, "PutRecords", code, status)
    with pytest.raises(StoreUnavailable, match=code) as raised:
        send_raw(aws, b"x")
    assert not isinstance(raised.value, StoreMisconfigured)
    with pytest.raises(StoreUnavailable, match=code):
        send_events(aws, [b"x"])


def test_a_burst_past_a_shards_write_rate_is_resent_until_every_record_lands_once(aws: AwsClients) -> None:
    payloads = [b"burst %d" % n for n in range(1500)]  # one shard takes 1,000 at once, then 1,000 a second
    seen: list[Progress] = []
    results = send_events(aws, payloads, on_progress=lambda p: seen.append(replace(p)))
    assert seen[-1].done == 1500 and seen[-1].throttled > 0 and seen[-1].resent == seen[-1].throttled
    assert set(seen[-1].codes) == {"ProvisionedThroughputExceededException"}
    on_stream = stream_contents(aws)
    assert Counter(on_stream.values()) == Counter(payloads)
    assert [on_stream[r.sequence_number] for r in results] == payloads


def test_records_the_stream_keeps_refusing_are_named_with_why_when_the_send_gives_up(
    aws: AwsClients, moto_endpoint: str
) -> None:
    limits = {"records_per_second": 0.001}  # the first record, then none for the test's lifetime
    requests.post(f"{moto_endpoint}/_local/kinesis", json=limits, timeout=10).raise_for_status()
    with pytest.raises(SendFailed) as raised:
        send_events(aws, [b"a", b"b", b"c"], max_attempts=2)
    assert raised.value.unsent == [1, 2]
    message = str(raised.value)
    assert "2 of 3 record(s) not sent (records 2-3, counting from 1)" in message
    assert "ProvisionedThroughputExceededException ×4" in message and "Rate exceeded for shard" in message
    assert list(stream_contents(aws).values()) == [b"a"]
