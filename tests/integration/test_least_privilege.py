"""Least privilege, exercised: each role's paths run with exactly the template's permissions and are denied
nothing, and taking any one action away from a role makes one of its paths fail.

The roles' statements are read from infra/template.yaml (local/template.py); the strict emulator enforces
them (local/strict/iam.py). A granted action no path needs would show up here as one whose removal
changes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from core.aws import AwsClients
from core.ingest.retry import retry_event
from core.ingest.upload import ingest_upload
from core.logs.reader import log_groups, read_logs
from core.models import EventSource, EventStatus, FailureKind, StoredEvent
from core.ops import audit, health
from core.ops.replay import replay
from core.settings import Settings
from core.store.browse import EventFilter, failed_events, recent_events
from core.store.delete import delete_event
from core.store.objects import list_keys, presigned_url
from core.store.reads import get_events, last_hour_minutes, latest_event
from core.store.writes import put_events, remove_event
from core.stream.producer import encode_event, send_events
from local.event_source.runner import EventSourceConfig, LocalEventSource
from local.event_source.table_stream import TableStreamSource
from local.roles import role_session
from local.template import Template
from tests import factories as make
from tests.factories import counted


def actions(role: str) -> list[str]:
    statements = Template(Settings()).role_statements(role)
    return sorted({action for statement in statements for action in statement.actions})


def denied_actions(endpoint: str) -> set[str]:
    return {d["action"] for d in requests.get(f"{endpoint}/_local/state", timeout=10).json()["denials"]}


def take_away(endpoint: str, role: str, action: str) -> None:
    answer = requests.post(f"{endpoint}/_local/iam/remove", json={"role": role, "action": action}, timeout=10)
    answer.raise_for_status()


def consumer_paths(aws: AwsClients) -> None:
    """What the function and its event source do: read the stream, store an image, record two failures,
    write the logs, and give a batch up to the on-failure queue."""
    image = make.jpeg_in_bucket(aws, "least", "olive")
    missing = f"s3://{aws.settings.bucket_name}/not-there.jpg"
    make.put_on_stream(aws, [make.image_event(image, "ok"), b"not json", make.image_event(missing, "gone")])
    config = EventSourceConfig.from_template(aws.settings, starting_position="TRIM_HORIZON",
                                             poll_seconds=0.05)
    _drain(LocalEventSource(aws, config))
    _drain(LocalEventSource(aws, config))  # Lambda's redelivery of the same records: nothing changes
    make.put_on_stream(aws, [b"never done"])
    never_done = replace(config, maximum_retry_attempts=0, handler="tests.event_source_handlers.never_done")
    _drain(LocalEventSource(aws, never_done))


def _drain(source: LocalEventSource) -> None:
    try:
        source.check_access()
        for _ in range(50):
            if not source.poll_once() and not source.reader.retrying():
                return
    finally:
        source.stop()


def aggregator_paths(aws: AwsClients) -> None:
    """What the aggregator and its event source do: check and read the table's stream, count new events
    (one failed) and a delete, keep the LATEST items, write the logs."""
    now = datetime.now(UTC)
    events = [StoredEvent(event_id=f"least-{n}", received_at=now, source=EventSource.STREAM,
                          status=EventStatus.FAILED if n else EventStatus.STORED, description="counted")
              for n in range(2)]
    put_events(aws, events)
    source = TableStreamSource(aws)  # the function in its own process, under its role
    try:
        source.check_access()
        source.poll_once()
        remove_event(aws, "least-1")
        source.poll_once()
    finally:
        source.stop()


def dashboard_paths(aws: AwsClients) -> None:
    """What the dashboard's pages call: Live, Gallery (a link opened, an event retried, one deleted),
    Upload, Send, Logs, Health (the on-failure queue looked at and replayed), and the audit trail (an
    action recorded, the Audit page read)."""
    sample = make.jpeg_in_bucket(aws, "dash", "maroon")
    app = AwsClients(aws.settings, session=role_session("dashboard"))
    down = StoredEvent(event_id="least-retry", received_at=datetime.now(UTC), source=EventSource.STREAM,
                       status=EventStatus.FAILED, failure_kind=FailureKind.RETRYABLE, image_url=sample,
                       description="its source was down")
    put_events(aws, [down])
    assert retry_event(app, "least-retry").status is EventStatus.STORED
    stored = ingest_upload(app, make.jpeg(colour="plum"), "plum.jpg", "an upload", datetime.now(UTC))
    latest_event(counted(app)), last_hour_minutes(counted(app))
    assert stored.event_id in get_events(app, [stored.event_id, "not-stored-yet"])  # Send's results
    page = recent_events(app, EventFilter(), limit=12)
    failed_events(app, limit=5)
    assert stored.thumbnail_key and requests.get(presigned_url(app, stored.thumbnail_key), timeout=10).ok
    delete_event(app, page.events[0])
    list_keys(app, "samples/")
    send_events(app, [encode_event(sample, "from the dashboard")])
    now = datetime.now(UTC)
    log_groups(app)
    read_logs(app, app.settings.consumer_log_group, now - timedelta(hours=1), now)
    health.check_resources(app), health.consumer_lag_seconds(app)
    deleted = audit.Entry("otto@example.com", audit.Action.DELETE, audit.Outcome.DONE, ("least-retry",))
    audit.record(app, deleted)
    assert audit.entries(app, now - timedelta(days=1))
    replay_paths(aws, app)


def replay_paths(aws: AwsClients, app: AwsClients) -> None:
    """The Health page's queue and Replay: one batch stored and its message deleted, one the stream no
    longer holds left on the queue (visible again)."""
    make.given_up(aws, [make.image_event(make.jpeg_in_bucket(aws, "replayed", "navy"), "given up")])
    make.lost_batch(aws, datetime.now(UTC) - timedelta(days=2))
    assert health.failure_queue(app).looked_at == 2
    done = replay(app)
    assert (done.messages, len(done.left)) == (1, 1) and done.stored == done.records


PATHS: dict[str, Callable[[AwsClients], None]] = {
    "consumer": consumer_paths, "aggregator": aggregator_paths, "dashboard": dashboard_paths,
}


@pytest.mark.parametrize("role", PATHS)
def test_each_roles_paths_need_no_more_than_the_template_grants(
    aws: AwsClients, moto_endpoint: str, role: str
) -> None:
    PATHS[role](aws)
    assert denied_actions(moto_endpoint) == set()


@pytest.mark.access_denied_expected
@pytest.mark.parametrize(("role", "action"), [(r, a) for r in PATHS for a in actions(r)])
def test_taking_away_any_one_granted_action_makes_a_path_fail(
    aws: AwsClients, moto_endpoint: str, role: str, action: str
) -> None:
    take_away(moto_endpoint, role, action)
    with contextlib.suppress(Exception):  # a path may fail outright when denied; the denial is what counts
        PATHS[role](aws)
    unneeded = f"{role} never needed {action}: remove it from the template"
    assert action in denied_actions(moto_endpoint), unneeded
