"""DynamoDB cancels transactions that overlap on an item, and botocore does not retry that: saving an
event retries its transaction with jittered backoff, so concurrent records all land, each counted once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from core.aws import AwsClients
from core.errors import TransactionConflict
from core.models import EventSource, EventStatus, StoredEvent
from core.store import writes
from core.store.reads import get_event, last_hour_count

NOW = datetime.now(UTC)


def event(n: int) -> StoredEvent:
    return StoredEvent(event_id=f"conflict-{n:04d}", received_at=NOW, source=EventSource.STREAM,
                       status=EventStatus.STORED, description=f"event {n}")


class Conflicts:
    """Cancels the next `times` TransactWriteItems with TransactionConflict, as DynamoDB answers them."""

    def __init__(self, aws: AwsClients, times: int) -> None:
        self.times_left = times
        aws.client("dynamodb").meta.events.register("before-call.dynamodb.TransactWriteItems", self._answer)

    def _answer(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.times_left <= 0:
            return None
        self.times_left -= 1
        reasons = [{"Code": "None"}, {"Code": "None"}, {"Code": "TransactionConflict"}]
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return AWSResponse("http://fault", 400, HTTPHeaders(), None), {
            "Error": error, "CancellationReasons": reasons, "ResponseMetadata": {"HTTPStatusCode": 400},
        }


@pytest.fixture()
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writes, "CONFLICT_BASE_SECONDS", 0.001)


@pytest.mark.usefixtures("quick_backoff")
def test_a_conflicting_transaction_is_retried_until_it_goes_through(aws: AwsClients) -> None:
    conflicts = Conflicts(aws, times=writes.CONFLICT_ATTEMPTS - 1)
    assert writes.save_event(aws, event(1)) is True
    assert conflicts.times_left == 0
    assert get_event(aws, "conflict-0001") is not None and last_hour_count(aws) == 1


@pytest.mark.usefixtures("quick_backoff")
def test_conflicts_that_do_not_clear_are_reported_for_the_record_to_be_retried(aws: AwsClients) -> None:
    Conflicts(aws, times=writes.CONFLICT_ATTEMPTS)
    with pytest.raises(TransactionConflict, match="overlapped another transaction"):
        writes.save_event(aws, event(2))
    assert get_event(aws, "conflict-0002") is None and last_hour_count(aws) == 0


def test_concurrent_events_sharing_a_counter_are_all_stored_and_counted_once(
    aws: AwsClients, moto_endpoint: str
) -> None:
    requests.post(f"{moto_endpoint}/_local/transactions", json={"hold_seconds": 0.01}, timeout=10)
    with ThreadPoolExecutor(8) as pool:
        saved = list(pool.map(lambda n: writes.save_event(aws, event(n)), range(40)))
    assert saved == [True] * 40
    assert last_hour_count(aws) == 40
    assert requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["conflicts"] > 0  # it did happen
