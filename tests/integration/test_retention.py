"""Event retention (EVENT_RETENTION_DAYS): every item an event writes carries DynamoDB's TTL attribute, the
minute counter never expires before the events it counts, and the counts stay exact meanwhile.

DynamoDB deletes expired items itself (moto keeps them), so these tests check what is written, not the
deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.aws import AwsClients
from core.delete import delete_event
from core.ingest import ingest_payload, ingest_upload
from core.store import keys
from core.store.reads import get_event, last_hour_count
from tests.factories import jpeg, stream_origin

DAYS = 7


def items(aws: AwsClients) -> list[dict[str, Any]]:
    return aws.dynamodb.scan(TableName=aws.settings.table_name)["Items"]


def expiries(aws: AwsClients) -> dict[str, int]:
    """Each item's kind (EVENTS, ID, COUNT, LATEST) -> its expiry, epoch seconds."""
    return {item[keys.PK]["S"].split("#")[0]: int(item[keys.EXPIRES_AT]["N"]) for item in items(aws)
            if keys.EXPIRES_AT in item}


def retaining(aws: AwsClients, days: int = DAYS) -> AwsClients:
    return AwsClients(aws.settings.model_copy(update={"event_retention_days": days}))


def test_an_events_items_expire_after_the_retention_and_its_counter_not_before_them(aws: AwsClients) -> None:
    received = datetime(2026, 11, 26, 10, 15, 42, tzinfo=UTC)
    ingest_upload(retaining(aws), jpeg(), "a.jpg", "kept a week", received)
    expected = int((received + timedelta(days=DAYS)).timestamp())
    found = expiries(aws)
    assert found.keys() == {"EVENTS", "ID", "COUNT", "LATEST"}
    assert found["EVENTS"] == found["ID"] == found["LATEST"] == expected
    assert found["COUNT"] == int((received.replace(second=0) + timedelta(minutes=1, days=DAYS)).timestamp())


def test_without_a_retention_nothing_expires(aws: AwsClients) -> None:
    ingest_upload(aws, jpeg(), "a.jpg", "kept", datetime.now(UTC))
    ingest_payload(aws, b"not json", stream_origin("1"))
    assert items(aws) and expiries(aws) == {}


def test_counts_stay_exact_with_a_retention_through_redelivery_and_delete(aws: AwsClients) -> None:
    clients = retaining(aws)
    for sequence in ("1", "2", "1"):  # the third is a redelivery of the first
        ingest_payload(clients, b"not json", stream_origin(sequence))
    stored = ingest_upload(clients, jpeg(), "a.jpg", "to delete", datetime.now(UTC))
    assert last_hour_count(aws) == 3
    delete_event(clients, stored)
    assert last_hour_count(aws) == 2 and get_event(aws, stored.event_id) is None
    counters = [item for item in items(aws) if item[keys.PK]["S"].startswith("COUNT#")]
    assert counters and all(keys.EXPIRES_AT in item for item in counters)


def test_provisioning_turns_on_the_tables_ttl_attribute(aws: AwsClients) -> None:
    described = aws.dynamodb.describe_time_to_live(TableName=aws.settings.table_name)["TimeToLiveDescription"]
    assert (described["TimeToLiveStatus"], described["AttributeName"]) == ("ENABLED", keys.EXPIRES_AT)
