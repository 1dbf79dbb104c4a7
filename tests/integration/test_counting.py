"""Exact counts from the table's stream: the aggregator counts each change once, whatever is delivered
twice, at once, or cancelled by DynamoDB's transaction conflicts (which botocore does not retry)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from core.aws import AwsClients
from core.errors import RequestRefused, TransactionConflict
from core.models import EventSource, EventStatus, StoredEvent
from core.store import counting, keys, latest
from core.store.delete import delete_event
from core.store.items import item_size
from core.store.reads import minute_counts
from core.store.writes import put_events
from lambda_aggregator import handler as aggregator
from local.event_source.table_stream import TableStreamSource
from tests.factories import lambda_context

NOW = datetime.now(UTC).replace(second=30, microsecond=0)


def event(n: int, at: datetime = NOW, status: EventStatus = EventStatus.STORED) -> StoredEvent:
    reason = "Not an image" if status is EventStatus.FAILED else None
    return StoredEvent(event_id=f"count-{n:04d}", received_at=at, source=EventSource.STREAM, status=status,
                       description=f"event {n}", failure_reason=reason)


def counts(aws: AwsClients, start: datetime = NOW, end: datetime = NOW) -> list[tuple[int, int]]:
    return [(c.events, c.failed) for c in minute_counts(aws, start, end)]


class Conflicts:
    """Cancels the next `times` TransactWriteItems with TransactionConflict (or another cancellation reason),
    as DynamoDB answers them."""

    def __init__(self, clients: AwsClients, times: int, code: str = "TransactionConflict") -> None:
        self.times_left, self.code = times, code
        events = clients.client("dynamodb").meta.events
        events.register("before-call.dynamodb.TransactWriteItems", self._answer)

    def _answer(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.times_left <= 0:
            return None
        self.times_left -= 1
        reasons = [{"Code": self.code}, {"Code": "None"}]
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return AWSResponse("http://fault", 400, HTTPHeaders(), None), {
            "Error": error, "CancellationReasons": reasons, "ResponseMetadata": {"HTTPStatusCode": 400},
        }


@pytest.fixture()
def source(aws: AwsClients) -> TableStreamSource:
    return TableStreamSource(aws, in_process=True)


@pytest.fixture()
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff pauses are not what a test of injected conflicts looks at."""
    monkeypatch.setattr(counting, "pause", lambda *_: None)


@pytest.mark.usefixtures("no_pauses")
def test_a_cancelled_counter_transaction_is_retried_until_it_counts(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(n) for n in range(5)])
    conflicts = Conflicts(source.clients, times=counting.CONFLICT_ATTEMPTS - 1)
    source.poll_once()
    assert conflicts.times_left == 0 and counts(aws) == [(5, 0)]


@pytest.mark.usefixtures("no_pauses")
def test_conflicts_that_do_not_clear_fail_the_batch_and_its_redelivery_counts_it_once(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(n) for n in range(5)])
    Conflicts(source.clients, times=counting.CONFLICT_ATTEMPTS)
    with pytest.raises(TransactionConflict):
        source.poll_once()
    assert counts(aws) == []
    assert source.poll_once() == 5  # Lambda delivers the failed batch again, from its first record
    assert counts(aws) == [(5, 0)]


def test_a_batch_delivered_again_after_it_was_counted_changes_nothing(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(n) for n in range(5)])
    (batch,) = source.pending()
    assert counting.apply(source.clients, batch).counted == 5
    assert counting.apply(source.clients, batch).counted == 0  # the function failed after counting
    assert counts(aws) == [(5, 0)]


def test_two_deliveries_of_one_batch_at_once_count_it_once(
    aws: AwsClients, source: TableStreamSource, moto_endpoint: str
) -> None:
    requests.post(f"{moto_endpoint}/_local/transactions", json={"hold_seconds": 0.05}, timeout=10)
    put_events(aws, [event(n) for n in range(5)])
    (batch,) = source.pending()
    with ThreadPoolExecutor(2) as pool:
        applied = list(pool.map(lambda _: counting.apply(source.clients, batch).counted, range(2)))
    assert sorted(applied) == [0, 5] and counts(aws) == [(5, 0)]


def test_concurrent_batches_sharing_a_minute_are_all_counted(
    aws: AwsClients, source: TableStreamSource, moto_endpoint: str
) -> None:
    # Each transaction held 50 ms: long enough that, on a loaded machine too, others arrive meanwhile.
    requests.post(f"{moto_endpoint}/_local/transactions", json={"hold_seconds": 0.05}, timeout=10)
    put_events(aws, [event(n) for n in range(120)])
    (records,) = source.pending()
    batches = [records[i:i + 3] for i in range(0, len(records), 3)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda batch: counting.apply(source.clients, batch), batches))
    assert counts(aws) == [(120, 0)]
    assert requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["conflicts"] > 0  # it did happen


def test_a_retried_failure_that_succeeds_moves_the_failed_count_and_a_delete_uncounts(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(1, status=EventStatus.FAILED), event(2)])
    source.poll_once()
    assert counts(aws) == [(2, 1)]
    put_events(aws, [event(1)])  # the same event, stored this time
    source.poll_once()
    assert counts(aws) == [(2, 0)]
    assert delete_event(aws, event(2))
    source.poll_once()
    assert counts(aws) == [(1, 0)]


def test_a_batch_spanning_more_minutes_than_a_transaction_holds_is_counted_in_steps(
    aws: AwsClients, source: TableStreamSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "MAX_MINUTES", 2)
    put_events(aws, [event(n, NOW - timedelta(minutes=n)) for n in range(5)])
    (batch,) = source.pending()
    assert counting.apply(source.clients, batch).counted == 5
    assert counts(aws, NOW - timedelta(minutes=4)) == [(1, 0)] * 5
    first = str(batch[0]["dynamodb"]["SequenceNumber"])
    checkpoint = aws.dynamodb.get_item(TableName=aws.settings.table_name, Key=keys.checkpoint_key(first))
    assert checkpoint["Item"]["last_sequence"]["N"] == str(batch[-1]["dynamodb"]["SequenceNumber"])


def test_a_latest_item_of_phone_photos_and_long_failures_stays_within_three_write_units(
    aws: AwsClients,
) -> None:
    """Captions of a phone's length, failures that quote a long URL: a merge writes 3 WCU at most, and
    the newest events stay listed."""
    caption = "Harbour at dusk from the ferry terminal, main camera. " * 3
    events = [event(n, NOW + timedelta(seconds=n), EventStatus.FAILED if n % 3 == 0 else EventStatus.STORED)
              .model_copy(update={"description": caption, "sha256": "ab" * 32, "width": 1632, "height": 1224,
                                  "format": "JPEG", "size_bytes": 812_345, "frame_count": 1})
              for n in range(1, 13)]
    events = [e.model_copy(update={"failure_reason": "Fetch refused: " + "u" * 300, "sha256": None})
              if e.status is EventStatus.FAILED else e for e in events]
    latest.merge(aws, 0, [(e, n) for n, e in enumerate(events, start=1)], set())
    item = aws.dynamodb.get_item(TableName=aws.settings.table_name, Key=keys.latest_key(0))["Item"]
    assert item_size(item) <= latest.LATEST_BUDGET
    recent, newest_stored = latest.newest(aws)
    assert recent[0].event_id == events[-1].event_id
    assert newest_stored is not None and newest_stored.description == caption  # the newest stored, whole


def test_an_event_listed_by_two_latest_items_shows_as_its_later_change_left_it(aws: AwsClients) -> None:
    failed, stored = event(1, status=EventStatus.FAILED), event(1)
    latest.merge(aws, 2, [(stored, 9)], set())  # the retry's change, merged first by another batch
    latest.merge(aws, 1, [(failed, 5)], set())
    recent, newest_stored = latest.newest(aws)
    assert [(e.event_id, e.status) for e in recent] == [("count-0001", EventStatus.STORED)]
    assert newest_stored == latest.listed(stored)
    latest.merge(aws, 1, [(failed, 11)], set())  # and a later failure supersedes the stored version
    recent, newest_stored = latest.newest(aws)
    assert [e.status for e in recent] == [EventStatus.FAILED] and newest_stored is None


def test_an_item_that_is_no_event_this_version_reads_is_skipped_and_the_rest_counted(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(1)])
    # Written under an event's key by hand (or by a later version): no time received, no status.
    aws.dynamodb.put_item(TableName=aws.settings.table_name,
                          Item={**keys.event_key("by-hand"), "description": {"S": "typed in the console"}})
    put_events(aws, [event(2)])
    (batch,) = source.pending()

    applied = counting.apply(source.clients, batch)

    assert (applied.counted, counts(aws)) == (2, [(2, 0)])
    (skipped,) = applied.skipped
    assert skipped.key == " ".join(keys.event_key("by-hand")[k]["S"] for k in (keys.PK, keys.SK))
    assert "not an event this version reads" in skipped.reason
    assert counting.apply(source.clients, batch).counted == 0  # delivered again: nothing twice


def test_a_change_whose_counter_dynamodb_refuses_is_skipped_and_the_other_minutes_counted(
    aws: AwsClients, source: TableStreamSource
) -> None:
    earlier = NOW - timedelta(minutes=5)
    put_events(aws, [event(1, at=earlier), event(2), event(3, at=earlier), event(4)])
    (batch,) = source.pending()
    first = str(batch[0]["dynamodb"]["SequenceNumber"])
    # The counter this batch writes for the earlier minute, edited by hand into a string.
    shard = keys.shard_of(first, keys.COUNTER_SHARDS)
    aws.dynamodb.put_item(TableName=aws.settings.table_name,
                          Item={**keys.counter_key(earlier, shard), "events": {"S": "lots"}})

    applied = counting.apply(source.clients, batch)

    assert applied.counted == 2 and counts(aws) == [(2, 0)]
    sequences = [int(record["dynamodb"]["SequenceNumber"]) for record in batch]
    assert [skipped.sequence for skipped in applied.skipped] == [sequences[0], sequences[2]]
    assert all("DynamoDB refused its counter" in skipped.reason for skipped in applied.skipped)
    assert counting.apply(source.clients, batch).counted == 0


def test_our_store_refusing_even_the_checkpoint_is_raised_for_the_batch_to_be_retried(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(1), event(2)])
    (batch,) = source.pending()
    Conflicts(source.clients, times=100, code="ValidationError")  # every transaction refused, as a whole

    with pytest.raises(RequestRefused):
        counting.apply(source.clients, batch)
    assert counts(aws) == []


def test_the_aggregator_logs_a_skipped_change_with_its_key_and_counts_it_for_the_alarm(
    aws: AwsClients, source: TableStreamSource, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    aws.dynamodb.put_item(TableName=aws.settings.table_name,
                          Item={**keys.event_key("by-hand"), "description": {"S": "typed in the console"}})
    put_events(aws, [event(1)])
    (batch,) = source.pending()
    capsys.readouterr()

    aggregator.handler({"Records": batch}, lambda_context(aws.settings.aggregator_function_name))

    (logged,) = [r for r in caplog.records if r.getMessage() == "change skipped: it cannot be counted"]
    assert logged.levelname == "ERROR" and "by-hand" in logged.key and logged.reason  # type: ignore[attr-defined]
    printed = capsys.readouterr().out.splitlines()
    (figures,) = [json.loads(line) for line in printed if line.startswith('{"_aws"')]
    assert (figures["ChangesSkipped"], figures["ChangesCounted"]) == ([1.0], [1.0])
    assert counts(aws) == [(1, 0)]
