"""The local AWS refuses what AWS refuses and fails the way AWS fails: concurrency that loses nothing,
DynamoDB's transaction conflicts, no SigV2 for S3, Kinesis's size limits, and the roles' IAM policies."""

from __future__ import annotations

import base64
import datetime
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import botocore.auth
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from core.aws import AwsClients
from core.store import keys
from local.roles import role_session
from tests.threads import at_once

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

TABLE = "image-processor-events"
COUNTER = {"pk": {"S": "COUNT#test"}, "sk": {"S": "00:00"}}


def state(endpoint: str) -> dict[str, Any]:
    return dict(requests.get(f"{endpoint}/_local/state", timeout=10).json())


def hold_transactions(endpoint: str, seconds: float) -> None:
    answer = requests.post(f"{endpoint}/_local/transactions", json={"hold_seconds": seconds}, timeout=10)
    answer.raise_for_status()


def take_away(endpoint: str, role: str, action: str) -> None:
    answer = requests.post(f"{endpoint}/_local/iam/remove", json={"role": role, "action": action}, timeout=10)
    answer.raise_for_status()


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def add_one(aws: AwsClients, key: dict[str, Any] = COUNTER) -> TransactWriteItemTypeDef:
    return {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "ADD events :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}


# --- concurrency ----------------------------------------------------------------------------------------


def test_concurrent_writers_to_one_item_lose_no_update(aws: AwsClients) -> None:
    def bump(_: int) -> None:
        for _ in range(25):
            aws.dynamodb.update_item(TableName=TABLE, Key=COUNTER, UpdateExpression="ADD events :one",
                                     ExpressionAttributeValues={":one": {"N": "1"}})

    assert not any(at_once(8, bump))
    item = aws.dynamodb.get_item(TableName=TABLE, Key=COUNTER)["Item"]
    assert item["events"]["N"] == str(8 * 25)


def test_requests_are_served_side_by_side_not_one_at_a_time(aws: AwsClients, moto_endpoint: str) -> None:
    hold_transactions(moto_endpoint, 1.5)
    writer = threading.Thread(target=lambda: aws.dynamodb.transact_write_items(TransactItems=[add_one(aws)]))
    writer.start()
    time.sleep(0.2)  # the transaction is holding its item now
    started = time.monotonic()
    aws.s3.list_objects_v2(Bucket=aws.settings.bucket_name)
    aws.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "other"}, "sk": {"S": "x"}})
    assert time.monotonic() - started < 0.7
    writer.join()


def test_connections_are_kept_alive(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Any] = []
    real_connect = socket.socket.connect
    def connect(sock: socket.socket, address: Any) -> None:
        opened.append(address)
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    for _ in range(20):
        aws.dynamodb.get_item(TableName=TABLE, Key=COUNTER)
    assert len(opened) <= 1


# --- DynamoDB transactions ------------------------------------------------------------------------------


def test_a_transaction_overlapping_another_on_an_item_is_cancelled_with_transaction_conflict(
    aws: AwsClients, moto_endpoint: str
) -> None:
    hold_transactions(moto_endpoint, 0.5)
    other = {"pk": {"S": "elsewhere"}, "sk": {"S": "x"}}

    def transact(index: int) -> None:
        time.sleep(0.15 * index)  # the second begins while the first holds the counter
        aws.dynamodb.transact_write_items(TransactItems=[add_one(aws, other), add_one(aws)] if index else
                                          [add_one(aws)])

    first, second = at_once(2, transact)
    assert first is None and isinstance(second, ClientError)
    assert second.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in second.response["CancellationReasons"]] == ["None", "TransactionConflict"]
    assert state(moto_endpoint)["conflicts"] == 1
    assert aws.dynamodb.get_item(TableName=TABLE, Key=COUNTER)["Item"]["events"]["N"] == "1"
    assert "Item" not in aws.dynamodb.get_item(TableName=TABLE, Key=other)  # cancelled as a whole


def test_a_single_write_to_an_item_a_transaction_holds_is_refused(
    aws: AwsClients, moto_endpoint: str
) -> None:
    hold_transactions(moto_endpoint, 0.5)
    writer = threading.Thread(target=lambda: aws.dynamodb.transact_write_items(TransactItems=[add_one(aws)]))
    writer.start()
    time.sleep(0.15)
    def put() -> None:
        aws.dynamodb.put_item(TableName=TABLE, Item={**COUNTER, "events": {"N": "5"}})

    assert code_of(put) == "TransactionConflictException"
    writer.join()
    put()  # once the transaction is over, the write goes through


# --- S3 ----------------------------------------------------------------------------------------------------


def test_s3_refuses_a_sigv2_presigned_link_and_serves_a_sigv4_one(
    aws: AwsClients, moto_endpoint: str
) -> None:
    bucket = aws.settings.bucket_name
    aws.s3.put_object(Bucket=bucket, Key="a.txt", Body=b"hello")
    legacy = Config(signature_version="s3")  # SigV2, which botocore still uses by default in us-east-1
    sigv2 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", config=legacy)
    old_link = sigv2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"})
    refused = requests.get(old_link, timeout=10)
    assert refused.status_code == 400 and "<Code>InvalidRequest</Code>" in refused.text
    assert "Please use AWS4-HMAC-SHA256" in refused.text
    link = aws.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"})
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in link
    assert requests.get(link, timeout=10).content == b"hello"


def test_s3_refuses_a_presigned_link_whose_signature_or_key_was_changed(aws: AwsClients) -> None:
    bucket = aws.settings.bucket_name
    for key in ("a.txt", "b.txt"):
        aws.s3.put_object(Bucket=bucket, Key=key, Body=b"hello")
    link = aws.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"})
    signature = link[-1]
    tampered = link[:-1] + ("0" if signature != "0" else "1")
    for changed in (tampered, link.replace("/a.txt?", "/b.txt?")):
        refused = requests.get(changed, timeout=10)
        assert refused.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in refused.text
    assert requests.get(link, timeout=10).content == b"hello"


def test_s3_refuses_a_presigned_link_past_its_expiry(
    aws: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = aws.settings.bucket_name
    aws.s3.put_object(Bucket=bucket, Key="a.txt", Body=b"hello")
    two_hours_ago = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=2)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: two_hours_ago)  # signed back then
    params = {"Bucket": bucket, "Key": "a.txt"}
    link = aws.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
    refused = requests.get(link, timeout=10)
    assert refused.status_code == 403 and "<Code>AccessDenied</Code>" in refused.text
    assert "Request has expired" in refused.text


def test_s3_refuses_a_link_signed_by_a_role_session_that_has_ended_whatever_its_expiry(
    aws: AwsClients,
) -> None:
    key = "thumbnails/a.webp"
    aws.s3.put_object(Bucket=aws.settings.bucket_name, Key=key, Body=b"hello")
    params = {"Bucket": aws.settings.bucket_name, "Key": key}
    ended = AwsClients(aws.settings, session=role_session("dashboard", seconds=-1))
    long_link = ended.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
    refused = requests.get(long_link, timeout=10)
    assert refused.status_code == 400 and "<Code>ExpiredToken</Code>" in refused.text
    live = AwsClients(aws.settings, session=role_session("dashboard", seconds=60))
    link = live.s3.generate_presigned_url("get_object", Params=params)
    assert requests.get(link, timeout=10).content == b"hello"


# --- Kinesis -----------------------------------------------------------------------------------------------


def test_kinesis_refuses_a_record_over_1_mib_and_takes_one_at_the_limit(aws: AwsClients) -> None:
    stream = aws.settings.stream_name
    key = "k"
    at_limit = b"x" * (1024 * 1024 - len(key))
    aws.kinesis.put_record(StreamName=stream, Data=at_limit, PartitionKey=key)
    over = lambda: aws.kinesis.put_record(StreamName=stream, Data=at_limit + b"x", PartitionKey=key)  # noqa: E731
    assert code_of(over) == "ValidationException"


def test_kinesis_refuses_put_records_over_500_records_or_5_mib(aws: AwsClients) -> None:
    stream = aws.settings.stream_name
    many: list[PutRecordsRequestEntryTypeDef] = [{"Data": b"x", "PartitionKey": "k"} for _ in range(501)]
    assert code_of(lambda: aws.kinesis.put_records(StreamName=stream, Records=many)) == "ValidationException"
    heavy: list[PutRecordsRequestEntryTypeDef] = [
        {"Data": b"x" * (900 * 1024), "PartitionKey": "k"} for _ in range(6)
    ]
    heavy_call = lambda: aws.kinesis.put_records(StreamName=stream, Records=heavy)  # noqa: E731
    assert code_of(heavy_call) == "InvalidArgumentException"


def test_kinesis_refuses_a_partition_key_over_256_characters(aws: AwsClients) -> None:
    stream = aws.settings.stream_name
    put = lambda: aws.kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="k" * 257)  # noqa: E731
    assert code_of(put) == "ValidationException"


# --- IAM ---------------------------------------------------------------------------------------------------


@pytest.mark.access_denied_expected
def test_a_role_may_call_what_the_template_grants_it_and_nothing_else(
    aws: AwsClients, moto_endpoint: str
) -> None:
    consumer = AwsClients(aws.settings, session=role_session("consumer"))
    consumer.dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [COUNTER]}})
    delete = lambda: consumer.dynamodb.delete_item(TableName=TABLE, Key=COUNTER)  # noqa: E731
    assert code_of(delete) == "AccessDeniedException"
    bucket = aws.settings.bucket_name
    sample = lambda: consumer.s3.put_object(Bucket=bucket, Key="samples/x", Body=b"x")  # noqa: E731
    assert code_of(sample) == "AccessDenied"
    consumer.s3.put_object(Bucket=aws.settings.bucket_name, Key="thumbnails/x.webp", Body=b"x")
    denied = {(d["role"], d["action"]) for d in state(moto_endpoint)["denials"]}
    assert denied == {("consumer", "dynamodb:DeleteItem"), ("consumer", "s3:PutObject")}


@pytest.mark.access_denied_expected
def test_a_role_granted_the_policies_iam_holds_may_do_what_they_allow_until_restored(
    aws: AwsClients, moto_endpoint: str
) -> None:
    """What a rehearsal does with the roles its stack created (local/rehearsal/created.py)."""
    bucket = aws.settings.bucket_name
    listing = {"Sid": "ListOnly", "Effect": "Allow", "Action": "s3:ListBucket",
               "Resource": f"arn:aws:s3:::{bucket}"}
    held = json.dumps({"Version": "2012-10-17", "Statement": [listing]})  # as GetRolePolicy gives it
    grant = {"role": "dashboard", "policies": [held]}
    requests.post(f"{moto_endpoint}/_local/iam/grant", json=grant, timeout=10).raise_for_status()
    dashboard = AwsClients(aws.settings, session=role_session("dashboard"))
    dashboard.s3.list_objects_v2(Bucket=bucket)
    upload = lambda: dashboard.s3.put_object(Bucket=bucket, Key="originals/x.jpg", Body=b"x")  # noqa: E731
    assert code_of(upload) == "AccessDenied"  # the template grants it; the policy given does not
    assert state(moto_endpoint)["grants"]["dashboard"] == [
        {"sid": "ListOnly", "actions": ["s3:ListBucket"], "resources": [f"arn:aws:s3:::{bucket}"],
         "effect": "Allow", "conditions": []}]
    requests.post(f"{moto_endpoint}/_local/iam/restore", timeout=10).raise_for_status()
    dashboard.s3.put_object(Bucket=bucket, Key="originals/x.jpg", Body=b"x")  # the template's grants again


@pytest.mark.access_denied_expected
def test_a_transaction_needs_the_action_of_each_item(aws: AwsClients, moto_endpoint: str) -> None:
    aggregator = AwsClients(aws.settings, session=role_session("aggregator"))
    aggregator.dynamodb.transact_write_items(TransactItems=[add_one(aws)])  # UpdateItem: granted
    take_away(moto_endpoint, "aggregator", "dynamodb:UpdateItem")
    update = lambda: aggregator.dynamodb.transact_write_items(TransactItems=[add_one(aws)])  # noqa: E731
    assert code_of(update) == "AccessDeniedException"


@pytest.mark.access_denied_expected
def test_a_missing_key_is_403_without_list_permission_and_404_with_it(
    aws: AwsClients, moto_endpoint: str
) -> None:
    consumer = AwsClients(aws.settings, session=role_session("consumer"))
    missing = lambda: consumer.s3.get_object(Bucket=aws.settings.bucket_name, Key="nothing-here.jpg")  # noqa: E731
    assert code_of(missing) == "NoSuchKey"
    take_away(moto_endpoint, "consumer", "s3:ListBucket")
    assert code_of(missing) == "AccessDenied"


def test_any_other_key_is_the_accounts_administrator(aws: AwsClients, moto_endpoint: str) -> None:
    aws.dynamodb.delete_item(TableName=TABLE, Key=COUNTER)
    assert state(moto_endpoint)["denials"] == []


def test_records_data_is_checked_decoded(aws: AwsClients) -> None:
    """Kinesis counts the bytes of the data, not of its base64 text on the wire."""
    data = b"\xff" * (700 * 1024)  # 933 KiB as base64: over 700 KiB decoded would be wrong to refuse
    assert len(base64.b64encode(data)) > 900 * 1024
    aws.kinesis.put_record(StreamName=aws.settings.stream_name, Data=data, PartitionKey="k")


# --- index queries (the emulator answers them from a grouping kept per change of the table) ------------


def failed_index_keys(aws: AwsClients, partition: str) -> list[str]:
    answer = aws.dynamodb.query(TableName=TABLE, IndexName=keys.FAILED_INDEX,
                                KeyConditionExpression=f"{keys.FAILED_PK} = :p",
                                ExpressionAttributeValues={":p": {"S": partition}})
    return sorted(item["pk"]["S"] for item in answer["Items"])


def test_an_index_query_sees_every_put_update_delete_and_rolled_back_transaction(aws: AwsClients) -> None:
    def item(n: int, partition: str) -> dict[str, Any]:
        return {"pk": {"S": f"E#{n}"}, "sk": {"S": "E"}, keys.FAILED_PK: {"S": partition},
                keys.TIME_SK: {"S": f"t{n}"}}

    for n in range(3):
        aws.dynamodb.put_item(TableName=TABLE, Item=item(n, "F#a"))
    assert failed_index_keys(aws, "F#a") == ["E#0", "E#1", "E#2"]
    aws.dynamodb.update_item(TableName=TABLE, Key={"pk": {"S": "E#1"}, "sk": {"S": "E"}},
                             UpdateExpression="SET #p = :b", ExpressionAttributeNames={"#p": keys.FAILED_PK},
                             ExpressionAttributeValues={":b": {"S": "F#b"}})
    assert (failed_index_keys(aws, "F#a"), failed_index_keys(aws, "F#b")) == (["E#0", "E#2"], ["E#1"])
    aws.dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "E#2"}, "sk": {"S": "E"}})
    assert failed_index_keys(aws, "F#a") == ["E#0"]
    added: TransactWriteItemTypeDef = {"Put": {"TableName": TABLE, "Item": item(4, "F#a")}}
    refused: TransactWriteItemTypeDef = {"Put": {"TableName": TABLE, "Item": item(3, "F#a"),
                                                 "ConditionExpression": "attribute_exists(pk)"}}
    cancelled = code_of(lambda: aws.dynamodb.transact_write_items(TransactItems=[added, refused]))
    assert cancelled == "TransactionCanceledException"
    assert failed_index_keys(aws, "F#a") == ["E#0"]
