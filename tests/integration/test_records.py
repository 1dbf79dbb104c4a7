"""Event records and their counters in DynamoDB, over HTTP to moto's server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.aws import AwsClients
from core.delete import delete_event
from core.models import EventSource, EventStatus, StoredEvent
from core.store import keys
from core.store.browse import EventFilter, failed_events, recent_events
from core.store.reads import get_event, get_events, last_hour_count, latest_event, minute_counts
from core.store.writes import advance_latest, save_event
from tests.awscalls import CallCounter

T0 = datetime(2026, 11, 25, 9, 58, 30, tzinfo=UTC)


def event(n: int, at: datetime = T0, status: EventStatus = EventStatus.STORED, text: str = "") -> StoredEvent:
    return StoredEvent(
        event_id=f"e{n:05d}", received_at=at, source=EventSource.STREAM, status=status,
        description=text or f"event {n}", thumbnail_key=f"thumbnails/{n}.webp",
        failure_reason="Not an image" if status is EventStatus.FAILED else None,
        width=640, height=480, exif={"Make": "Canon"},
    )


def store(clients: AwsClients, *events: StoredEvent) -> None:
    for item in events:
        save_event(clients, item)
        advance_latest(clients, item)


def test_saving_the_same_event_twice_keeps_one_record_and_counts_it_once(aws: AwsClients) -> None:
    assert save_event(aws, event(1)) is True
    assert save_event(aws, event(1)) is False
    assert [c.events for c in minute_counts(aws, T0, T0)] == [1]
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
    # 152 distinct ids: two calls for their id pointers, two for the 150 events they point to
    assert counter.calls == {"dynamodb.BatchGetItem": 4}


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
    counts = minute_counts(aws, T0 - timedelta(minutes=5), T0 + timedelta(minutes=5))
    assert [(c.minute.strftime("%H:%M"), c.events) for c in counts] == [
        ("09:58", 1), ("09:59", 1), ("10:00", 1)
    ]
    assert last_hour_count(aws, now=T0 + timedelta(minutes=2)) == 3
    assert last_hour_count(aws, now=T0 + timedelta(minutes=60)) == 2  # 9:58 has left the hour
    assert last_hour_count(aws, now=T0 + timedelta(minutes=62)) == 0


def test_last_hour_count_spans_midnight(aws: AwsClients) -> None:
    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    store(aws, event(1, midnight - timedelta(minutes=10)), event(2, midnight + timedelta(minutes=5)))
    assert last_hour_count(aws, now=midnight + timedelta(minutes=10)) == 2


def test_failed_events_are_counted_and_listed(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    store(aws, event(1, now), event(2, now, EventStatus.FAILED))
    assert [(c.events, c.failed) for c in minute_counts(aws, now, now)] == [(2, 1)]
    assert [e.event_id for e in failed_events(aws)] == ["e00002"]


def test_failed_filter_reads_only_the_failed_index_so_stored_events_cost_nothing(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    failures = [event(n, now - timedelta(hours=n * 20), EventStatus.FAILED) for n in range(1, 4)]
    store(aws, *failures, *(event(n, now - timedelta(minutes=n)) for n in range(10, 40)))
    queries: list[dict[str, Any]] = []
    aws.dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.Query", lambda params, **_: queries.append(dict(params))
    )
    page = recent_events(aws, EventFilter(since=now - timedelta(days=3), status=EventStatus.FAILED))
    assert [e.event_id for e in page.events] == ["e00001", "e00002", "e00003"] and page.next_cursor is None
    assert queries and all(q.get("IndexName") == keys.FAILED_INDEX for q in queries)
    assert len(queries) <= 4  # one per day of the window, whatever the number of stored events


def test_failed_events_page_back_across_days_with_a_cursor_from_a_start_time(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    store(aws, *(event(n, now - timedelta(hours=9 * n), EventStatus.FAILED, f"broken {n}") for n in range(8)))
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
    latest = latest_event(aws)
    assert latest is not None and latest.event_id == "e00002"


def test_latest_is_none_on_an_empty_store(aws: AwsClients) -> None:
    assert latest_event(aws) is None


def test_recent_events_page_backwards_through_hours_with_a_cursor(aws: AwsClients) -> None:
    store(aws, *(event(n, T0 - timedelta(minutes=17 * n)) for n in range(10)))
    window = EventFilter(since=T0 - timedelta(days=1), until=T0 + timedelta(minutes=1))
    seen, cursor = [], None
    while True:
        page = recent_events(aws, window, limit=4, cursor=cursor)
        seen += [e.event_id for e in page.events]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"e{n:05d}" for n in range(10)]


def test_recent_events_filter_by_status_and_description(aws: AwsClients) -> None:
    store(aws, event(1, T0, text="A red Fox"), event(2, T0, EventStatus.FAILED, "fox, failed"),
          event(3, T0, text="a dog"))
    window = EventFilter(since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=1))
    foxes = recent_events(aws, EventFilter(window.since, window.until, contains="FOX"))
    assert sorted(e.event_id for e in foxes.events) == ["e00001", "e00002"]
    failed = recent_events(aws, EventFilter(window.since, window.until, status=EventStatus.FAILED))
    assert [e.event_id for e in failed.events] == ["e00002"]


def test_latest_and_last_hour_cost_the_same_calls_at_100_and_5000_events(aws: AwsClients) -> None:
    now = datetime.now(UTC)

    def calls_for_reads() -> int:
        counter = CallCounter(aws)
        latest_event(aws)
        last_hour_count(aws, now=now)
        return counter.total

    store(aws, *(event(n, now - timedelta(seconds=n)) for n in range(100)))
    small = calls_for_reads()
    bulk_store(aws, 100, 5000, now)
    assert calls_for_reads() == small <= 3


def bulk_store(clients: AwsClients, start: int, stop: int, now: datetime) -> None:
    """Many events through the real transaction, a few threads at a time, as consumers would."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: save_event(clients, event(n, now - timedelta(seconds=n % 3000))),
                      range(start, stop)))


def test_deleting_an_event_removes_it_and_its_count(aws: AwsClients) -> None:
    store(aws, event(1, T0), event(2, T0 + timedelta(seconds=1)))
    assert delete_event(aws, event(2, T0 + timedelta(seconds=1))) is True
    assert delete_event(aws, event(2, T0 + timedelta(seconds=1))) is False
    assert get_event(aws, "e00002") is None
    assert [c.events for c in minute_counts(aws, T0, T0)] == [1]


def test_deleting_the_latest_event_hands_latest_to_the_next_newest(aws: AwsClients) -> None:
    now = datetime.now(UTC)
    older, newer = event(1, now - timedelta(minutes=3)), event(2, now)
    store(aws, older, newer)
    delete_event(aws, newer)
    assert latest_event(aws) == older
    delete_event(aws, older)
    assert latest_event(aws) is None
