"""`python -m core migrate`: a table written by the first layout, copied into this one and counted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core import clock
from core.aws import AwsClients
from core.models import EventStatus
from core.ops.migrate import migrate
from core.store.browse import failed_events
from core.store.reads import get_event, last_hour_count, latest_event
from tests.factories import counted

OLD_TABLE = "image-processor-events-first-layout"
SHA = "f8974512c0f657688f7d9f7a879596cd3d8166f420beac8651ea6e6b8a6aa1b8"


def first_layout_items(now: datetime) -> list[dict[str, Any]]:
    """Items as the first layout wrote them: events with every field, an id pointer, a counter, LATEST."""
    hour, earlier, later = f"{now:%Y-%m-%dT%H}", clock.iso(now - timedelta(minutes=2)), clock.iso(now)
    stored = {
        "pk": {"S": f"EVENTS#{hour}"}, "sk": {"S": f"{earlier}#old-stored"},
        "event_id": {"S": "old-stored"}, "received_at": {"S": earlier}, "source": {"S": "stream"},
        "status": {"S": "stored"}, "description": {"S": "A Cat"}, "description_lc": {"S": "a cat"},
        "image_url": {"S": "s3://bucket/cat.jpg"}, "original_key": {"S": f"originals/{SHA}.jpg"},
        "thumbnail_key": {"S": f"thumbnails/{SHA}.webp"}, "sha256": {"S": SHA}, "width": {"N": "800"},
        "height": {"N": "600"}, "format": {"S": "JPEG"}, "size_bytes": {"N": "51234"},
        "exif": {"M": {"Make": {"S": "Canon"}}}, "shard_id": {"S": "shardId-000000000000"},
        "sequence_number": {"S": "495"},
    }
    failed = {
        "pk": {"S": f"EVENTS#{hour}"}, "sk": {"S": f"{later}#old-failed"},
        "event_id": {"S": "old-failed"}, "received_at": {"S": later}, "source": {"S": "stream"},
        "status": {"S": "failed"}, "description": {"S": "x"}, "description_lc": {"S": "x"},
        "failure_reason": {"S": "Not an image"}, "failed_pk": {"S": f"FAILED#{hour[:10]}"},
    }
    pointer = {"pk": {"S": "ID#old-stored"}, "sk": {"S": "ID"},
               "event_pk": stored["pk"], "event_sk": stored["sk"]}
    counter = {"pk": {"S": f"COUNT#{hour[:10]}"}, "sk": {"S": "15"}, "events": {"N": "2"}}
    return [stored, failed, pointer, counter, {"pk": {"S": "LATEST"}, "sk": {"S": "LATEST"}} | stored]


@pytest.fixture()
def old_table(aws: AwsClients) -> str:
    aws.dynamodb.create_table(
        TableName=OLD_TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    for item in first_layout_items(clock.now()):
        aws.dynamodb.put_item(TableName=OLD_TABLE, Item=item)
    return OLD_TABLE


def test_the_first_layouts_events_are_copied_and_counted_and_nothing_else_is(
    aws: AwsClients, old_table: str
) -> None:
    seen: list[int] = []
    assert migrate(aws, old_table, seen.append) == 2 and seen == [2]
    stored, failed = get_event(aws, "old-stored"), get_event(aws, "old-failed")
    assert stored is not None and failed is not None
    assert (stored.description, stored.width, stored.exif, stored.original_key) == (
        "A Cat", 800, {"Make": "Canon"}, f"originals/{SHA}.jpg")
    assert failed.status is EventStatus.FAILED and failed.failure_reason == "Not an image"
    assert last_hour_count(counted(aws)) == 2  # from the stream, not the old counter
    latest = latest_event(aws)
    assert latest is not None and latest.event_id == "old-stored"
    assert [e.event_id for e in failed_events(aws)] == ["old-failed"]


def test_migrating_again_changes_no_count(aws: AwsClients, old_table: str) -> None:
    migrate(aws, old_table)
    counted(aws)
    migrate(aws, old_table)
    assert last_hour_count(counted(aws)) == 2


def test_migrating_a_table_into_itself_is_refused(aws: AwsClients) -> None:
    with pytest.raises(ValueError, match="configured table itself"):
        migrate(aws, aws.settings.table_name)
