"""Event records in DynamoDB: written once, with their minute counter, in one transaction."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core import schema
from core.aws import AwsClients
from core.awserrors import error_code, store_error
from core.items import event_key, to_item
from core.models import EventStatus, StoredEvent

_NEW = f"attribute_not_exists({schema.PK})"


def save_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Store the event and count it; False (and nothing changed) when its id is already stored."""
    return _transact(clients, _transaction(clients.settings.table_name, event))


def _transact(clients: AwsClients, items: list[dict[str, Any]]) -> bool:
    """Run one transaction; False when only an item's condition cancelled it (a repeat, not a fault)."""
    table = clients.settings.table_name
    try:
        clients.dynamodb.transact_write_items(TransactItems=items)
    except ClientError as exc:
        if _is_duplicate(exc):
            return False
        raise store_error(exc, f"table {table}") from exc
    except BotoCoreError as exc:
        raise store_error(exc, f"table {table}") from exc
    return True


def _transaction(table: str, event: StoredEvent) -> list[dict[str, Any]]:
    failed = 1 if event.status is EventStatus.FAILED else 0
    pointer = schema.id_pointer_key(event.event_id) | {
        "event_pk": event_key(event)[schema.PK],
        "event_sk": event_key(event)[schema.SK],
    }
    return [
        {"Put": {"TableName": table, "Item": to_item(event), "ConditionExpression": _NEW}},
        {"Put": {"TableName": table, "Item": pointer, "ConditionExpression": _NEW}},
        {
            "Update": {
                "TableName": table,
                "Key": schema.counter_key(event.received_at),
                "UpdateExpression": "ADD events :one, failed :failed",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":failed": {"N": str(failed)}},
            }
        },
    ]


def _is_duplicate(exc: ClientError) -> bool:
    """A transaction cancelled only by its item condition: a redelivery (or a second delete)."""
    if error_code(exc) != "TransactionCanceledException":
        return False
    reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
    return "ConditionalCheckFailed" in reasons and set(reasons) <= {"ConditionalCheckFailed", "None"}


def advance_latest(clients: AwsClients, event: StoredEvent) -> None:
    """Point LATEST at this stored event unless a newer one is already there.

    Kept outside the transaction: a condition failing there would cancel the event itself. Running
    it again on redelivery repairs a pointer a crash left behind.
    """
    if event.status is not EventStatus.STORED:
        return
    item = to_item(event) | schema.LATEST_KEY | {"latest_sk": event_key(event)[schema.SK]}
    try:
        clients.dynamodb.put_item(
            TableName=clients.settings.table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(latest_sk) OR latest_sk < :sk",
            ExpressionAttributeValues={":sk": item["latest_sk"]},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise store_error(exc, f"table {clients.settings.table_name}") from exc
    except BotoCoreError as exc:
        raise store_error(exc, f"table {clients.settings.table_name}") from exc


def delete_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Remove the event, its id pointer and its count; False if it was already gone.

    Its images stay: keys are content hashes, so other events may show the same files.
    """
    table = clients.settings.table_name
    failed = 1 if event.status is EventStatus.FAILED else 0
    exists = f"attribute_exists({schema.PK})"
    items = [
        {"Delete": {"TableName": table, "Key": event_key(event), "ConditionExpression": exists}},
        {"Delete": {"TableName": table, "Key": schema.id_pointer_key(event.event_id)}},
        {"Update": {
            "TableName": table, "Key": schema.counter_key(event.received_at),
            "UpdateExpression": "ADD events :minus, failed :failed",
            "ExpressionAttributeValues": {":minus": {"N": "-1"}, ":failed": {"N": str(-failed)}},
        }},
    ]
    return _transact(clients, items)


def replace_latest(clients: AwsClients, event: StoredEvent | None) -> None:
    """Set LATEST outright (after a delete), or remove it when no stored event is left."""
    table = clients.settings.table_name
    try:
        if event is None:
            clients.dynamodb.delete_item(TableName=table, Key=schema.LATEST_KEY)
        else:
            item = to_item(event) | schema.LATEST_KEY | {"latest_sk": event_key(event)[schema.SK]}
            clients.dynamodb.put_item(TableName=table, Item=item)
    except (ClientError, BotoCoreError) as exc:
        raise store_error(exc, f"table {table}") from exc
