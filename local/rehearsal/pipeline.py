"""The pipeline run against a created stack: events sent from the dashboard's Send path and an upload from its
Upload path, the consumer and the aggregator played by the local event sources with the configurations
Lambda holds for them, each function in its own process under its role, then the dashboard's pages' reads.

Every name comes from the stack: the functions' environments and the dashboard task's, the log groups from the
stack's resources. Each role's calls are decided by the policies IAM holds for it (created.grant).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests

from core.aws import AwsClients
from core.ingest.origin import stream_event_id
from core.ingest.upload import ingest_upload
from core.logs.reader import log_groups, read_logs
from core.models import StoredEvent
from core.ops import health
from core.settings import Settings
from core.store import keys
from core.store.browse import failed_events, recent_events
from core.store.objects import presigned_url
from core.store.reads import get_events, last_hour_count
from core.stream.producer import encode_event, send_events
from local.event_source.runner import EventSourceConfig, LocalEventSource
from local.event_source.table_stream import TableStreamSource
from local.rehearsal.created import Deployed
from local.roles import admin_session, role_session
from local.samples import NOT_AN_IMAGE, sample_images, upload_samples
from local.template import FunctionSettings, TableStreamSettings

CAUGHT_UP_SECONDS = 60
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Run:
    """What the dashboard's role read back after the events went through."""

    sent: list[str]  # event ids, in the order sent; the upload last
    found: dict[str, StoredEvent]  # those the store holds, as the Send page follows them
    counted: int  # events in the last hour, as the Live page counts them
    recent: list[str]  # the Gallery's first page (event ids)
    failed: list[str]  # the Gallery's failed events (event ids)
    health: list[health.ResourceCheck]
    queue_depth: int
    consumer_log_lines: int  # lines the Logs page reads from the consumer's group
    log_groups: list[str]
    thumbnail_link_status: int  # a presigned link to the newest thumbnail, opened


def payloads(settings: Settings, source_bucket: str | None) -> list[bytes]:
    """The samples `make run` sends, a text that is not an image, a record that is not JSON, and (with
    SourceBuckets) an image from the other bucket."""
    bucket = settings.bucket_name
    sent = [encode_event(f"s3://{bucket}/{s.key}", s.description) for s in sample_images()]
    sent += [encode_event(f"s3://{bucket}/{NOT_AN_IMAGE.key}", "not an image"), b"not json"]
    if source_bucket:
        sent.append(encode_event(f"s3://{source_bucket}/sunset.jpg", "from the other bucket"))
    return sent


def exercise(admin: AwsClients, deployed: Deployed, source_bucket: str | None) -> Run:
    """Send events and an upload, deliver them, count them, and read them as the dashboard does."""
    images = AwsClients(dashboard_settings(deployed), session=admin_session())
    upload_samples(images)  # as a producer puts images before their events
    if source_bucket:
        images.s3.put_object(Bucket=source_bucket, Key="sunset.jpg", Body=sample_images()[0].data)
    app = dashboard(deployed)
    ids = deliver(admin, deployed, lambda: send_ids(app, payloads(app.settings, source_bucket)))
    upload = ingest_upload(app, sample_images()[1].data, "mountains.jpg", "an upload", datetime.now(UTC))
    count(admin, deployed)
    return read_back(app, deployed, [*ids, upload.event_id])


def deliver(admin: AwsClients, deployed: Deployed, send: Callable[[], list[str]]) -> list[str]:
    """Start the consumer's event source (its shards opened at the mapping's starting position), run `send`
    (the ids of the events it sent), and wait until the source has delivered everything."""
    consumer = consumer_source(admin, deployed)
    consumer.start()
    try:
        sent = send()
        if not consumer.wait_until_caught_up(CAUGHT_UP_SECONDS):
            raise TimeoutError(f"the consumer did not take the events in {CAUGHT_UP_SECONDS} s")
    finally:
        consumer.stop()
    return sent


def send_ids(app: AwsClients, sent: list[bytes]) -> list[str]:
    return [stream_event_id(r.shard_id, r.sequence_number) for r in send_events(app, sent)]


def count(admin: AwsClients, deployed: Deployed) -> None:
    """Deliver the table's stream to the aggregator, as its mapping does, until nothing is left."""
    aggregator = aggregator_source(admin, deployed)
    try:
        aggregator.check_access()
        while aggregator.poll_once():
            pass
    finally:
        aggregator.stop()


def read_back(app: AwsClients, deployed: Deployed, ids: list[str]) -> Run:
    now = datetime.now(UTC)
    found = get_events(app, ids)
    thumbnails = [e.thumbnail_key for e in found.values() if e.thumbnail_key]
    link = requests.get(presigned_url(app, thumbnails[-1]), timeout=10).status_code if thumbnails else 0
    logs = read_logs(app, app.settings.consumer_log_group, now - timedelta(hours=1), now)
    return Run(ids, found, last_hour_count(app), [e.event_id for e in recent_events(app).events],
               [e.event_id for e in failed_events(app)], health.check_resources(app),
               health.failure_queue(app).waiting, len(logs), log_groups(app), link)


def follow_up(admin: AwsClients, deployed: Deployed) -> tuple[Run, bool]:
    """One more event, after a stack update: delivered by event sources configured anew from what Lambda
    now holds (as new execution environments would be), counted, and read back; whether its item expires."""
    app = dashboard(deployed)
    sent = deliver(admin, deployed, lambda: send_ids(app, payloads(app.settings, None)[:1]))
    count(admin, deployed)
    return read_back(app, deployed, sent), expires(admin, deployed, sent[0])


def expires(admin: AwsClients, deployed: Deployed, event_id: str) -> bool:
    """Whether the event's item carries the time DynamoDB's TTL deletes it at."""
    table = deployed.outputs["TableName"]
    item = admin.dynamodb.get_item(TableName=table, Key=keys.event_key(event_id), ConsistentRead=True)
    return keys.TTL_ATTRIBUTE in item.get("Item", {})


# --- the parts, configured from what the stack created ---------------------------------------------------


def dashboard_settings(deployed: Deployed) -> Settings:
    """The dashboard's settings: the variables ECS gives its task."""
    return Settings(**deployed.dashboard_environment)  # type: ignore[arg-type]  # by their variable names


def dashboard(deployed: Deployed) -> AwsClients:
    return AwsClients(dashboard_settings(deployed), session=role_session("dashboard"))


def consumer_source(admin: AwsClients, deployed: Deployed) -> LocalEventSource:
    function, mapping = deployed.consumer, deployed.consumer.mapping
    variables = function.environment | {"CONSUMER_FUNCTION_NAME": function.name,
                                        "CONSUMER_LOG_GROUP": deployed.outputs["ConsumerLogGroup"]}
    config = EventSourceConfig(
        batch_size=mapping["BatchSize"], starting_position=mapping["StartingPosition"],
        maximum_retry_attempts=mapping["MaximumRetryAttempts"],
        bisect_on_error=mapping["BisectBatchOnFunctionError"],
        maximum_record_age_seconds=mapping["MaximumRecordAgeInSeconds"], handler=function.handler,
        timeout_seconds=function.timeout_seconds, memory_mb=function.memory_mb,
        function_environment=function.environment, poll_seconds=POLL_SECONDS)
    return LocalEventSource(AwsClients(_settings(admin, variables), session=admin_session()), config)


def aggregator_source(admin: AwsClients, deployed: Deployed) -> TableStreamSource:
    function, mapping = deployed.aggregator, deployed.aggregator.mapping
    variables = function.environment | {"AGGREGATOR_FUNCTION_NAME": function.name,
                                        "AGGREGATOR_LOG_GROUP": deployed.aggregator_log_group}
    config = TableStreamSettings(
        batch_size=mapping["BatchSize"], batching_window_seconds=mapping["MaximumBatchingWindowInSeconds"],
        starting_position=mapping["StartingPosition"], maximum_retry_attempts=mapping["MaximumRetryAttempts"],
        bisect_on_error=mapping["BisectBatchOnFunctionError"],
        filters=[json.loads(f["Pattern"]) for f in mapping.get("FilterCriteria", {}).get("Filters", [])])
    settings = FunctionSettings(function.handler, function.timeout_seconds, function.memory_mb,
                                function.environment)
    clients = AwsClients(_settings(admin, variables), session=admin_session())
    return TableStreamSource(clients, poll_seconds=POLL_SECONDS, config=config, function=settings)


def _settings(admin: AwsClients, variables: dict[str, str]) -> Settings:
    return Settings(**variables, AWS_REGION=admin.settings.region)  # type: ignore[arg-type]
