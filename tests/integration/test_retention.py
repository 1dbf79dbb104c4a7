"""Event retention (EVENT_RETENTION_DAYS): every item an event writes carries DynamoDB's TTL attribute, the
minute counter never expires before the events it counts, a deletion by TTL leaves the counts alone, and
the counts stay exact meanwhile.

DynamoDB deletes expired items itself (moto keeps them), so these tests check what is written, and feed
the aggregator the stream record DynamoDB writes for a TTL deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.aws import AwsClients
from core.ingest.upload import ingest_upload
from core.store import counting, keys
from core.store.delete import delete_event
from core.store.reads import get_event, last_hour_count
from local.event_source.table_stream import TableStreamSource
from local.roles import admin_session
from tests.factories import counted, ingest_record, jpeg, stream_origin

DAYS = 7


def items(aws: AwsClients) -> list[dict[str, Any]]:
    return aws.dynamodb.scan(TableName=aws.settings.table_name)["Items"]


def expiries(aws: AwsClients) -> dict[str, int]:
    """Each item's kind (E: an event, COUNT, AGG: a checkpoint, LATEST) -> its expiry, epoch seconds."""
    return {item[keys.PK]["S"].split("#")[0]: int(item[keys.TTL_ATTRIBUTE]["N"]) for item in items(aws)
            if keys.TTL_ATTRIBUTE in item}


def retaining(aws: AwsClients, days: int = DAYS) -> AwsClients:
    """Clients whose settings keep events `days` days, as the functions' and the task's do when deployed."""
    return AwsClients(aws.settings.model_copy(update={"event_retention_days": days}), session=admin_session())


def test_an_events_items_expire_after_the_retention_and_its_counter_not_before_them(aws: AwsClients) -> None:
    clients = retaining(aws)
    received = datetime(2026, 11, 26, 10, 15, 42, tzinfo=UTC)
    ingest_upload(clients, jpeg(), "a.jpg", "kept a week", received)
    counted(clients)
    found = expiries(aws)
    assert found.keys() == {"E", "COUNT", "AGG"}  # LATEST is rewritten all the time: it never expires
    assert found["E"] == int((received + timedelta(days=DAYS)).timestamp())
    assert found["COUNT"] == int((received.replace(second=0) + timedelta(minutes=1, days=DAYS)).timestamp())


def test_without_a_retention_only_the_aggregators_checkpoints_expire(aws: AwsClients) -> None:
    ingest_upload(aws, jpeg(), "a.jpg", "kept", datetime.now(UTC))
    ingest_record(aws, b"not json", stream_origin("1"))
    counted(aws)
    assert set(expiries(aws)) == {"AGG"}


def test_counts_stay_exact_with_a_retention_through_redelivery_and_delete(aws: AwsClients) -> None:
    clients = retaining(aws)
    for sequence in ("1", "2", "1"):  # the third is a redelivery of the first
        ingest_record(clients, b"not json", stream_origin(sequence))
    stored = ingest_upload(clients, jpeg(), "a.jpg", "to delete", datetime.now(UTC))
    assert last_hour_count(counted(clients)) == 3
    delete_event(clients, stored)
    assert last_hour_count(counted(clients)) == 2 and get_event(aws, stored.event_id) is None
    counters = [item for item in items(aws) if item[keys.PK]["S"].startswith("COUNT#")]
    assert counters and all(keys.TTL_ATTRIBUTE in item for item in counters)


def test_an_event_deleted_because_it_expired_stays_counted(aws: AwsClients) -> None:
    clients = retaining(aws)
    ingest_record(clients, b"not json", stream_origin("1"))
    source = TableStreamSource(clients, in_process=True)
    (batch,) = source.pending()
    source.poll_once()
    insert = batch[0]["dynamodb"]
    removal = {"eventName": "REMOVE", "dynamodb": {
        "Keys": insert["Keys"], "OldImage": insert["NewImage"],
        "SequenceNumber": str(int(insert["SequenceNumber"]) + 1000),
    }}
    expired = removal | {"userIdentity": {"type": "Service", "principalId": counting.TTL_PRINCIPAL}}
    assert counting.apply(source.clients, [expired]).changes == 0
    assert last_hour_count(aws) == 1
    counting.apply(source.clients, [removal])  # the same deletion made by a person uncounts
    assert last_hour_count(aws) == 0


def test_provisioning_turns_on_the_tables_ttl_attribute(aws: AwsClients) -> None:
    described = aws.dynamodb.describe_time_to_live(TableName=aws.settings.table_name)["TimeToLiveDescription"]
    assert (described["TimeToLiveStatus"], described["AttributeName"]) == ("ENABLED", keys.TTL_ATTRIBUTE)
