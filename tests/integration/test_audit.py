"""The audit trail in the table: entries read back newest first across days and filtered; kept as long as
events are; never counted, skipped or listed as events; and the CLI's actions recorded as STS names the
caller."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.aws import AwsClients
from core.ingest.origin import stream_event_id
from core.models import EventSource, EventStatus, FailureKind, StoredEvent
from core.ops import audit
from core.ops.audit import Action, Entry, Outcome
from core.ops.cli import main
from core.store import counting, keys
from core.store.browse import recent_events
from core.store.reads import get_event, last_hour_count
from core.store.writes import put_events
from local.event_source.table_stream import TableStreamSource
from local.roles import admin_session
from tests.factories import jpeg, stream_records

NOW = datetime.now(UTC)


def entry(who: str, action: Action, at: datetime, *event_ids: str) -> Entry:
    return Entry(who, action, Outcome.DONE, event_ids, detail="by a test", role="operator", at=at)


def test_entries_come_back_newest_first_across_days_and_filtered(aws: AwsClients) -> None:
    audit.record(aws, entry("otto@example.com", Action.DELETE, NOW - timedelta(days=3), "e-old"))
    audit.record(aws, entry("otto@example.com", Action.UPLOAD, NOW - timedelta(days=1), "e-1", "e-2"))
    audit.record(aws, entry("Ana@Example.com", Action.RETRY, NOW - timedelta(minutes=5), "e-3"))
    audit.record(aws, entry("otto@example.com", Action.SEND, NOW - timedelta(minutes=1)))

    week = audit.entries(aws, NOW - timedelta(days=7))
    assert [e.action for e in week] == [Action.SEND, Action.RETRY, Action.UPLOAD, Action.DELETE]
    assert week[2].event_ids == ("e-1", "e-2") and week[2].touched == 2 and week[2].detail == "by a test"
    assert [e.action for e in audit.entries(aws, NOW - timedelta(days=2))] == [
        Action.SEND, Action.RETRY, Action.UPLOAD]
    assert [e.action for e in audit.entries(aws, NOW - timedelta(days=7), who="ana@")] == [Action.RETRY]
    assert [e.who for e in audit.entries(aws, NOW - timedelta(days=7), action=Action.DELETE)] == [
        "otto@example.com"]
    assert len(audit.entries(aws, NOW - timedelta(days=7), limit=2)) == 2


def test_a_burst_keeps_its_first_thousand_ids_and_counts_them_all(aws: AwsClients) -> None:
    ids = tuple(f"event-{n:04d}" for n in range(1500))
    audit.record(aws, entry("otto@example.com", Action.SEND, NOW, *ids))
    (kept,) = audit.entries(aws, NOW - timedelta(minutes=1))
    assert kept.event_ids == ids[:audit.MOST_EVENT_IDS] and kept.touched == 1500


def test_entries_expire_with_the_events_retention_and_are_kept_without_one(aws: AwsClients) -> None:
    audit.record(aws, entry("otto@example.com", Action.SEND, NOW))
    week = aws.settings.model_copy(update={"event_retention_days": 7})
    retaining = AwsClients(week, session=admin_session())
    audit.record(retaining, entry("otto@example.com", Action.RETRY, NOW))
    items = aws.dynamodb.scan(TableName=aws.settings.table_name)["Items"]
    expiries = {item["action"]["S"]: item.get(keys.TTL_ATTRIBUTE, {}).get("N") for item in items}
    assert expiries == {"send": None, "retry": str(int((NOW + timedelta(days=7)).timestamp()))}


def test_the_aggregator_neither_counts_nor_skips_the_trail_and_no_page_lists_it(aws: AwsClients) -> None:
    event = StoredEvent(event_id="counted-once", received_at=NOW, source=EventSource.STREAM,
                        status=EventStatus.STORED, description="an event")
    audit.record(aws, entry("otto@example.com", Action.UPLOAD, NOW, event.event_id))
    put_events(aws, [event])
    source = TableStreamSource(aws, in_process=True)
    (filtered,) = source.pending()
    assert [r["dynamodb"]["Keys"][keys.SK]["S"] for r in filtered] == [keys.EVENT_SK]  # the template's filter
    unfiltered = TableStreamSource(aws, in_process=True, config=replace(source.config, filters=[]))
    (everything,) = unfiltered.pending()  # were the filter ever lost, the trail would be passed by quietly
    assert len(everything) == 2
    applied = counting.apply(unfiltered.clients, everything)
    assert (applied.changes, applied.counted, applied.skipped) == (1, 1, [])
    assert last_hour_count(aws) == 1
    assert [e.event_id for e in recent_events(aws).events] == ["counted-once"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    code = main(list(argv))
    capsys.readouterr()
    return code


def test_the_clis_send_and_retry_are_recorded_as_the_caller_sts_names(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = aws.sts.get_caller_identity()["Arn"]
    assert run(capsys, "send", "--url", "https://example.com/a.jpg", "--description", "x",
               "--count", "2") == 0
    key = "incoming/back.jpg"
    aws.s3.put_object(Bucket=aws.settings.bucket_name, Key=key, Body=jpeg((64, 48)))
    put_events(aws, [StoredEvent(event_id="cli-retry", received_at=NOW, source=EventSource.STREAM,
                                 status=EventStatus.FAILED, failure_kind=FailureKind.RETRYABLE,
                                 image_url=f"s3://{aws.settings.bucket_name}/{key}", description="back")])
    assert run(capsys, "retry", "cli-retry") == 0
    assert get_event(aws, "cli-retry").status is EventStatus.STORED  # type: ignore[union-attr]
    assert run(capsys, "retry", "no-such-event") == 1

    missing, retried, sent = audit.entries(aws, NOW - timedelta(minutes=1))
    assert {e.who for e in (missing, retried, sent)} == {caller}
    assert {e.via for e in (missing, retried, sent)} == {"cli"}
    assert (missing.action, missing.outcome, missing.event_ids) == (Action.RETRY, Outcome.FAILED,
                                                                    ("no-such-event",))
    assert (retried.outcome, retried.event_ids, retried.detail) == (Outcome.DONE, ("cli-retry",),
                                                                    "the event is stored now")
    on_stream = [stream_event_id(record.shard_id, record.sequence_number) for record in stream_records(aws)]
    assert (sent.action, sent.touched, list(sent.event_ids)) == (Action.SEND, 2, on_stream)
