"""`python -m core recount` (core/ops/recount.py): minute counters rebuilt from the events' time indexes,
exact also while the aggregator keeps counting a burst."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.aws import AwsClients
from core.models import EventSource, EventStatus, StoredEvent
from core.ops import cli
from core.ops.recount import recount
from core.store import keys
from core.store.reads import minute_counts
from core.store.writes import put_events
from local.event_source.table_stream import TableStreamSource

# Minutes well in the past: what the test writes stays in them whatever the clock does meanwhile.
FIRST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
MINUTES = [FIRST + timedelta(minutes=n) for n in range(3)]


def event(n: int, minute: datetime, failed: bool = False) -> StoredEvent:
    return StoredEvent(event_id=f"recount-{n:05d}", received_at=minute + timedelta(seconds=n % 60),
                       source=EventSource.STREAM, status=EventStatus.FAILED if failed else EventStatus.STORED,
                       description=f"event {n}", failure_reason="Not an image" if failed else None)


def counts(aws: AwsClients) -> dict[datetime, tuple[int, int]]:
    return {c.minute: (c.events, c.failed) for c in minute_counts(aws, MINUTES[0], MINUTES[-1])}


def set_counter(aws: AwsClients, minute: datetime, shard: int, events: int) -> None:
    aws.dynamodb.put_item(TableName=aws.settings.table_name,
                          Item={**keys.counter_key(minute, shard), "events": {"N": str(events)},
                                "failed": {"N": "0"}})


@pytest.fixture()
def source(aws: AwsClients) -> TableStreamSource:
    return TableStreamSource(aws, in_process=True)


def test_counters_made_wrong_come_back_exact_and_a_second_recount_changes_nothing(
    aws: AwsClients, source: TableStreamSource
) -> None:
    put_events(aws, [event(n, MINUTES[n % 3], failed=n % 5 == 0) for n in range(30)])
    source.poll_once()
    exact = counts(aws)
    assert exact == {MINUTES[0]: (10, 2), MINUTES[1]: (10, 2), MINUTES[2]: (10, 2)}
    set_counter(aws, MINUTES[0], 3, 500)  # edited by hand
    set_counter(aws, MINUTES[1], 15, -4)
    for shard in range(keys.COUNTER_SHARDS):  # every counter of the last minute gone
        aws.dynamodb.delete_item(TableName=aws.settings.table_name, Key=keys.counter_key(MINUTES[2], shard))
    assert counts(aws) != exact

    done = recount(aws, MINUTES[0], MINUTES[-1] + timedelta(seconds=59), settle_seconds=0.1)

    assert counts(aws) == exact
    assert [correction.minute for correction in done.corrected] == [clock.iso(minute) for minute in MINUTES]
    assert (done.minutes, done.exact, done.unsettled) == (3, 0, [])
    again = recount(aws, MINUTES[0], MINUTES[-1], settle_seconds=0.1)
    assert (again.exact, again.corrected) == (3, [])
    source.poll_once()  # what the recount wrote is no change the aggregator counts
    assert counts(aws) == exact


def test_a_recount_while_a_burst_is_counted_ends_exact(aws: AwsClients, source: TableStreamSource) -> None:
    put_events(aws, [event(n, MINUTES[0]) for n in range(20)])
    source.poll_once()
    set_counter(aws, MINUTES[0], 7, 1000)  # wrong before the burst starts
    stop = threading.Event()
    sent: list[int] = []

    def burst() -> None:  # events keep arriving for the minute, and the aggregator keeps counting them
        n = 20
        while not stop.is_set() and n < 200:
            put_events(aws, [event(n + k, MINUTES[0], failed=k == 0) for k in range(5)])
            n += 5
            sent.append(n)
            source.poll_once()

    sending = threading.Thread(target=burst)
    sending.start()
    try:
        threading.Timer(2.0, stop.set).start()
        done = recount(aws, MINUTES[0], MINUTES[0], settle_seconds=0.5, attempts=20)
    finally:
        stop.set()
        sending.join(30)
    source.poll_once()

    total = sent[-1]
    failed = (total - 20) // 5
    assert done.unsettled == [] and len(done.corrected) == 1
    assert counts(aws) == {MINUTES[0]: (total, failed)}


def test_the_command_line_recounts_a_range_and_says_what_it_corrected(
    aws: AwsClients, source: TableStreamSource, capsys: pytest.CaptureFixture[str]
) -> None:
    put_events(aws, [event(n, MINUTES[1]) for n in range(4)])
    source.poll_once()
    set_counter(aws, MINUTES[1], 2, 40)
    start = MINUTES[1].strftime("%Y-%m-%dT%H:%M")

    assert cli.main(["recount", "--from", start, "--to", start, "--settle", "0.1"]) == 0

    printed = capsys.readouterr()
    assert '"corrected"' in printed.out and '"events": 44' in printed.out and '"events": 4' in printed.out
    assert "minutes exact" in printed.err
    assert counts(aws) == {MINUTES[1]: (4, 0)}


def test_a_recount_refuses_a_range_that_ends_before_it_starts(aws: AwsClients) -> None:
    with pytest.raises(ValueError, match="before --from"):
        recount(aws, MINUTES[1], MINUTES[0])
