"""Event records, their counters and the LATEST items in DynamoDB, over HTTP to the strict local AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.aws import AwsClients
from core.models import EventSource, EventStatus, StoredEvent
from core.store import keys
from core.store.browse import EventFilter, failed_events, recent_events
from core.store.delete import delete_event
from core.store.latest import listed
from core.store.reads import (
    get_event,
    get_events,
    last_hour_count,
    latest_event,
    minute_counts,
    newest_events,
)
from core.store.writes import put_events
from tests.awscalls import CallCounter
from tests.factories import counted

T0 = datetime(2026, 11, 25, 9, 58, 30, tzinfo=UTC)


def event(n: int, at: datetime = T0, status: EventStatus = EventStatus.STORED, text: str = "") -> StoredEvent:
    sha256 = f"{n:064x}"
    return StoredEvent(
        event_id=f"e{n:05d}", received_at=at, source=EventSource.STREAM, status=status,
        description=text or f"event {n}", sha256=sha256, thumbnail_key=keys.thumbnail_key(sha256),
        original_key=keys.original_key(sha256, "jpg"),
        failure_reason="Not an image" if status is EventStatus.FAILED else None,
        width=640, height=480, exif={"Make": "Canon"},
    )


def store(clients: AwsClients, *events: StoredEvent) -> None:
    assert put_events(clients, list(events)) == set()


def test_writing_the_same_event_twice_keeps_one_record_and_counts_it_once(aws: AwsClients) -> None:
    store(aws, event(1))
    counted(aws)
    store(aws, event(1))
    assert [c.events for c in minute_counts(counted(aws), T0, T0)] == [1]
    assert get_event(aws, "e00001") == event(1)


def test_a_stored_event_reads_back_equal_including_exif_and_numbers(aws: AwsClients) -> None:
    store(aws, event(7))
    assert get_event(aws, "e00007") == event(7)
    assert get_event(aws, "missing") is None


def test_many_events_are_read_in_batches_of_100_keys_not_one_call_per_event(aws: AwsClients) -> None:
    stored = [event(n, T0 + timedelta(milliseconds=n)) for n in range(150)]
    store(aws, *stored)
    counter = CallCounter(aws, services=("dynamodb",))
    found = get_events(aws, [e.event_id for e in stored] + ["missing-1", "missing-2", "e00003"])
    assert found == {e.event_id: e for e in stored}
    # 152 distinct ids: two calls of at most 100 keys (none of these events has a detail item)
    assert counter.calls == {"dynamodb.BatchGetItem": 2}


def test_keys_dynamodb_leaves_unprocessed_are_asked_for_again(aws: AwsClients) -> None:
    stored = [event(n, T0 + timedelta(milliseconds=n)) for n in range(5)]
    store(aws, *stored)
    table, deferred = aws.settings.table_name, [2]  # the first two answers leave keys unprocessed

    def leave_some_unprocessed(parsed: dict[str, Any], **_: Any) -> None:
        items = parsed.get("Responses", {}).get(table, [])
        if deferred[0] and len(items) > 1:
            deferred[0] -= 1
            parsed["Responses"][table] = items[:1]
            parsed["UnprocessedKeys"] = {
                table: {"Keys": [{keys.PK: i[keys.PK], keys.SK: i[keys.SK]} for i in items[1:]]}
            }

    aws.dynamodb.meta.events.register("after-call.dynamodb.BatchGetItem", leave_some_unprocessed)
    assert get_events(aws, [e.event_id for e in stored]) == {e.event_id: e for e in stored}
    assert deferred == [0]


def test_counts_follow_minute_and_hour_boundaries(aws: AwsClients) -> None:
    moments = [T0, T0 + timedelta(seconds=40), T0 + timedelta(minutes=1, seconds=45)]  # 9:58, 9:59, 10:00
    store(aws, *(event(n, at) for n, at in enumerate(moments)))
    counts = minute_counts(counted(aws), T0 - timedelta(minutes=5), T0 + timedelta(minutes=5))
    assert [(c.minute.strftime("%H:%M"), c.events) for c in counts] == [
        ("09:58", 1), ("09:59", 1), ("10:00", 1)
    ]
    assert last_hour_count(counted(aws), now=T0 + timedelta(minutes=2)) == 3
    assert last_hour_count(counted(aws), now=T0 + timedelta(minutes=60)) == 2  # 9:58 has left the hour
    assert last_hour_count(counted(aws), now=T0 + timedelta(minutes=62)) == 0


def test_last_hour_count_spans_midnight(aws: AwsClients) -> None:
    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    store(aws, event(1, midnight - timedelta(minutes=10)), event(2, midnight + timedelta(minutes=5)))
    assert last_hour_count(counted(aws), now=midnight + timedelta(minutes=10)) == 2


def test_failed_events_are_counted_and_listed(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    store(aws, event(1, now), event(2, now, EventStatus.FAILED))
    assert [(c.events, c.failed) for c in minute_counts(counted(aws), now, now)] == [(2, 1)]
    assert [e.event_id for e in failed_events(aws)] == ["e00002"]


def test_failed_filter_reads_only_the_failed_index_so_stored_events_cost_nothing(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    failures = [event(n, now - timedelta(hours=n * 20), EventStatus.FAILED) for n in range(1, 4)]
    store(aws, *failures, *(event(n, now - timedelta(minutes=n)) for n in range(10, 40)))
    counted(aws)  # earlier days are looked for in the counters
    queries: list[dict[str, Any]] = []
    aws.dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.Query", lambda params, **_: queries.append(dict(params))
    )
    page = recent_events(aws, EventFilter(since=now - timedelta(days=3), status=EventStatus.FAILED))
    assert [e.event_id for e in page.events] == ["e00001", "e00002", "e00003"] and page.next_cursor is None
    # The failed index's shards, and the counters to skip empty days: never the stored events.
    on_counters = [q for q in queries if q["ExpressionAttributeValues"][":pk"]["S"].startswith("COUNT#")]
    assert all(q.get("IndexName") == keys.FAILED_INDEX for q in queries if q not in on_counters)
    assert len(queries) <= 4 * (keys.TIME_SHARDS + 1)  # per day of the window, whatever stored events


def test_failed_events_page_back_across_days_with_a_cursor_from_a_start_time(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    store(aws, *(event(n, now - timedelta(hours=9 * n), EventStatus.FAILED, f"broken {n}") for n in range(8)))
    counted(aws)
    window = EventFilter(since=now - timedelta(hours=50), status=EventStatus.FAILED)
    seen, cursor = [], None
    while True:
        page = recent_events(aws, window, limit=2, cursor=cursor)
        seen += [e.event_id for e in page.events]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"e{n:05d}" for n in range(6)]  # 0 h to 45 h ago; 54 h ago is before `since`
    since = now - timedelta(hours=20)
    assert [e.event_id for e in failed_events(aws, since=since)] == ["e00000", "e00001", "e00002"]
    assert [e.event_id for e in failed_events(aws, days=30, contains="BROKEN 7")] == ["e00007"]


def test_latest_is_the_newest_stored_event_whatever_the_write_order(aws: AwsClients) -> None:
    store(aws, event(2, T0 + timedelta(seconds=5)), event(1, T0))
    store(aws, event(3, T0 + timedelta(seconds=9), EventStatus.FAILED))
    latest = latest_event(counted(aws))
    assert latest is not None and latest.event_id == "e00002"


def test_latest_is_none_on_an_empty_store(aws: AwsClients) -> None:
    assert latest_event(counted(aws)) is None


def every_page(aws: AwsClients, window: EventFilter, limit: int) -> list[str]:
    """The ids of every page, following the cursors to the end."""
    seen: list[str] = []
    cursor = None
    while True:
        page = recent_events(aws, window, limit=limit, cursor=cursor)
        seen += [e.event_id for e in page.events]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_recent_events_page_backwards_with_a_cursor(aws: AwsClients) -> None:
    store(aws, *(event(n, T0 - timedelta(minutes=17 * n)) for n in range(10)))
    window = EventFilter(since=T0 - timedelta(days=1), until=T0 + timedelta(minutes=1))
    assert every_page(aws, window, limit=4) == [f"e{n:05d}" for n in range(10)]


def test_pages_cross_days_skipping_the_empty_ones_in_order(aws: AwsClients) -> None:
    moments = [T0, T0 - timedelta(minutes=1), T0 - timedelta(days=1), T0 - timedelta(days=3, hours=2)]
    store(aws, *(event(n, at) for n, at in enumerate(moments)))
    counted(aws)  # earlier days are looked for in the counters
    window = EventFilter(since=T0 - timedelta(days=5), until=T0 + timedelta(minutes=1))
    calls = CallCounter(aws)
    assert every_page(aws, window, limit=3) == [f"e{n:05d}" for n in range(4)]
    # Two pages, each: the newest day's shards at once, the earlier days checked, their shards.
    assert calls.calls["dynamodb.Query"] <= 2 * (keys.TIME_SHARDS * 3 + 5)


def test_recent_events_filter_by_status_and_description(aws: AwsClients) -> None:
    store(aws, event(1, T0, text="A red Fox"), event(2, T0, EventStatus.FAILED, "fox, failed"),
          event(3, T0, text="a dog"))
    window = EventFilter(since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=1))
    foxes = recent_events(aws, EventFilter(window.since, window.until, contains="FOX"))
    assert sorted(e.event_id for e in foxes.events) == ["e00001", "e00002"]
    failed = recent_events(aws, EventFilter(window.since, window.until, status=EventStatus.FAILED))
    assert [e.event_id for e in failed.events] == ["e00002"]


def test_the_live_pages_reads_cost_the_same_calls_at_100_and_5000_events_and_one_more_for_a_failure(
    aws: AwsClients,
) -> None:
    now = datetime.now(UTC)

    def calls_for_reads() -> int:
        counted(aws)
        counter = CallCounter(aws)
        newest_events(aws)
        last_hour_count(aws, now=now)
        return counter.total

    store(aws, *(event(n, now - timedelta(seconds=n)) for n in range(100)))
    small = calls_for_reads()
    store(aws, *(event(n, now - timedelta(seconds=n % 3000)) for n in range(100, 5000)))
    assert calls_for_reads() == small <= 3
    reason = "x" * 1500  # longer than LATEST keeps of it
    failed = event(5000, now + timedelta(seconds=1), EventStatus.FAILED)
    failed = failed.model_copy(update={"failure_reason": reason})
    store(aws, failed)
    assert calls_for_reads() == small + 1 <= 5  # the newest event's whole reason, from its own partition
    newest = newest_events(aws)
    assert newest.event is not None and newest.event.failure_reason == reason
    assert newest.recent[0].event_id == failed.event_id and newest.stored == latest_event(aws)


def test_deleting_an_event_removes_it_and_its_count(aws: AwsClients) -> None:
    store(aws, event(1, T0), event(2, T0 + timedelta(seconds=1)))
    assert delete_event(aws, event(2, T0 + timedelta(seconds=1))) is True
    assert delete_event(aws, event(2, T0 + timedelta(seconds=1))) is False
    assert get_event(aws, "e00002") is None
    assert [c.events for c in minute_counts(counted(aws), T0, T0)] == [1]


def test_deleting_the_latest_event_hands_latest_to_the_next_newest(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    older, newer = event(1, now - timedelta(minutes=3)), event(2, now)
    store(aws, older, newer)
    delete_event(aws, newer)
    assert latest_event(counted(aws)) == listed(older)
    delete_event(aws, older)
    assert latest_event(counted(aws)) is None
