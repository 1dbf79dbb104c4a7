"""The local AWS refuses the store's requests AWS refuses: DynamoDB's request limits, S3's conflicting
conditional writes, and IAM's explicit Deny and policy conditions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from core.aws import AwsClients
from core.settings import Settings
from core.store.objects import put_once
from local.roles import role_session
from local.strict.iam import Authorizer
from local.template import ROLES, Template
from tests.threads import at_once

TABLE = "image-processor-events"


def refusal(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def put(index: int, payload: str = "") -> Any:
    item = {"pk": {"S": f"LIMIT#{index}"}, "sk": {"S": "x"}, "payload": {"S": payload}}
    return {"PutRequest": {"Item": item}}


def hold_conditional_writes(endpoint: str, seconds: float) -> None:
    hold = {"hold_seconds": seconds}
    answer = requests.post(f"{endpoint}/_local/s3/conditional-writes", json=hold, timeout=10)
    answer.raise_for_status()


def s3_conflicts(endpoint: str) -> int:
    return int(requests.get(f"{endpoint}/_local/state", timeout=10).json()["s3_conflicts"])


# --- DynamoDB's request limits ------------------------------------------------------------------------------


def test_batch_write_item_over_25_requests_is_refused_and_25_are_written(aws: AwsClients) -> None:
    too_many = lambda: aws.dynamodb.batch_write_item(RequestItems={TABLE: [put(i) for i in range(26)]})  # noqa: E731
    code, message = refusal(too_many)
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 25" in message
    aws.dynamodb.batch_write_item(RequestItems={TABLE: [put(i) for i in range(25)]})
    assert aws.dynamodb.scan(TableName=TABLE, Select="COUNT")["Count"] >= 25


def test_transact_write_items_over_100_items_is_refused(aws: AwsClients) -> None:
    items: Any = [{"Put": {"TableName": TABLE, **put(i)["PutRequest"]}} for i in range(101)]
    code, message = refusal(lambda: aws.dynamodb.transact_write_items(TransactItems=items))
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 100" in message


def test_transact_write_items_over_4_mb_in_all_is_refused_and_nothing_is_written(aws: AwsClients) -> None:
    # Items of 350 KB each, under DynamoDB's 400 KB per item: 13 of them are over 4 MB, 11 are not.
    items: Any = [{"Put": {"TableName": TABLE, **put(i, "x" * 350_000)["PutRequest"]}} for i in range(13)]
    code, message = refusal(lambda: aws.dynamodb.transact_write_items(TransactItems=items))
    assert (code, message) == ("ValidationException", "Transaction request cannot be larger than 4 MB")
    first = aws.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "LIMIT#0"}, "sk": {"S": "x"}})
    assert "Item" not in first
    aws.dynamodb.transact_write_items(TransactItems=items[:11])  # 3.85 MB


# --- S3's conditional writes ----------------------------------------------------------------------------


def test_a_conditional_put_racing_another_of_its_key_gets_409_then_412_once_written(
    aws: AwsClients, moto_endpoint: str
) -> None:
    bucket = aws.settings.bucket_name
    hold_conditional_writes(moto_endpoint, 0.3)

    def write(_: int) -> object:
        return aws.s3.put_object(Bucket=bucket, Key="thumbnails/raced.webp", Body=b"x", IfNoneMatch="*")

    results = at_once(2, write)
    codes = sorted(r.response["Error"]["Code"] for r in results if isinstance(r, ClientError))
    assert codes == ["ConditionalRequestConflict"] and s3_conflicts(moto_endpoint) == 1
    assert sum(isinstance(r, dict) for r in results) == 1  # the other was written
    code, _ = refusal(lambda: write(0))
    assert code == "PreconditionFailed"


def test_a_content_addressed_write_that_races_another_retries_until_the_object_is_there(
    aws: AwsClients, moto_endpoint: str
) -> None:
    """Not "already written" on a 409: the other write may yet fail, and the caller goes on to use the key."""
    bucket, key = aws.settings.bucket_name, "thumbnails/content-addressed.webp"
    hold_conditional_writes(moto_endpoint, 0.3)

    def write_then_read(n: int) -> bytes:
        if n == 0:  # another consumer's write of the same image, which S3 is still taking
            aws.s3.put_object(Bucket=bucket, Key=key, Body=b"same bytes", IfNoneMatch="*")
        else:
            time.sleep(0.1)
            put_once(aws, key, b"same bytes", "image/webp")
        return bytes(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    assert at_once(2, write_then_read) == [b"same bytes", b"same bytes"]
    assert s3_conflicts(moto_endpoint) >= 1


def test_workers_of_one_process_writing_the_same_image_take_turns_rather_than_race(
    aws: AwsClients, moto_endpoint: str
) -> None:
    """A batch of one photo sent many times: its workers would race on its keys; they queue for them."""
    hold_conditional_writes(moto_endpoint, 0.05)
    at_once(4, lambda _: put_once(aws, "thumbnails/same-image.webp", b"same bytes", "image/webp"))
    assert s3_conflicts(moto_endpoint) == 0


# --- IAM: explicit Deny, and conditions -------------------------------------------------------------------


def grant(endpoint: str, role: str, *statements: dict[str, Any]) -> requests.Response:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})  # as GetRolePolicy has it
    request = {"role": role, "policies": [document]}
    return requests.post(f"{endpoint}/_local/iam/grant", json=request, timeout=10)


def grants(endpoint: str) -> dict[str, Any]:
    return dict(requests.get(f"{endpoint}/_local/state", timeout=10).json()["grants"])


def objects(bucket: str, actions: list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": f"arn:aws:s3:::{bucket}/*", **extra}


@pytest.mark.access_denied_expected
def test_an_explicit_deny_wins_over_an_allow(aws: AwsClients, moto_endpoint: str) -> None:
    bucket = aws.settings.bucket_name
    keep_originals = {"Effect": "Deny", "Action": "s3:DeleteObject",
                      "Resource": f"arn:aws:s3:::{bucket}/originals/*"}
    grant(moto_endpoint, "dashboard", objects(bucket, ["s3:*"]), keep_originals).raise_for_status()
    dashboard = AwsClients(aws.settings, session=role_session("dashboard"))
    for key in ("originals/x.jpg", "thumbnails/x.webp"):
        dashboard.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    dashboard.s3.delete_object(Bucket=bucket, Key="thumbnails/x.webp")
    code, _ = refusal(lambda: dashboard.s3.delete_object(Bucket=bucket, Key="originals/x.jpg"))
    assert code == "AccessDenied"


@pytest.mark.access_denied_expected
def test_a_statement_applies_only_where_its_conditions_hold(aws: AwsClients, moto_endpoint: str) -> None:
    bucket, region = aws.settings.bucket_name, aws.settings.region
    https_only = objects(bucket, ["s3:PutObject"], Condition={"Bool": {"aws:SecureTransport": "true"}})
    here = objects(bucket, ["s3:GetObject"], Condition={"StringEquals": {"aws:RequestedRegion": region}})
    no_plain_http = {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*",
                     "Condition": {"Bool": {"aws:SecureTransport": False}}}
    grant(moto_endpoint, "dashboard", https_only, here, objects(bucket, ["s3:DeleteObject"]),
          no_plain_http).raise_for_status()
    aws.s3.put_object(Bucket=bucket, Key="thumbnails/x.webp", Body=b"x")
    dashboard = AwsClients(aws.settings, session=role_session("dashboard"))
    assert dashboard.s3.get_object(Bucket=bucket, Key="thumbnails/x.webp")["Body"].read() == b"x"
    put = lambda: dashboard.s3.put_object(Bucket=bucket, Key="thumbnails/y.webp", Body=b"y")  # noqa: E731
    delete = lambda: dashboard.s3.delete_object(Bucket=bucket, Key="thumbnails/x.webp")  # noqa: E731
    assert refusal(put)[0] == refusal(delete)[0] == "AccessDenied"  # the emulator is plain HTTP


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
    {"StringEquals": {"aws:PrincipalTag/team": "images"}},
    {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}},
])
def test_a_policy_whose_condition_the_local_iam_does_not_evaluate_is_refused_loudly(
    aws: AwsClients, moto_endpoint: str, condition: dict[str, Any]
) -> None:
    before = grants(moto_endpoint)
    policy = objects(aws.settings.bucket_name, ["s3:*"], Condition=condition)
    refused = grant(moto_endpoint, "dashboard", policy)
    assert refused.status_code == 400 and "does not evaluate the condition" in refused.text
    assert grants(moto_endpoint) == before


def test_the_templates_conditional_grants_are_read_with_their_conditions() -> None:
    """With every option on, each role's policies parse, and the stream key's Decrypt holds only through
    Kinesis (kms:ViaService), never for the role calling KMS itself."""
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    template = Template(Settings(), parameters={"StreamKmsKeyArn": key, "EnableTracing": "true"})
    authorizer = Authorizer({role: template.role_statements(role) for role in ROLES})
    direct = {"aws:SecureTransport": "true", "aws:RequestedRegion": "us-east-1"}
    through_kinesis = {**direct, "kms:ViaService": "kinesis.us-east-1.amazonaws.com"}
    assert authorizer.allows("consumer", "kms:Decrypt", key, through_kinesis)
    assert not authorizer.allows("consumer", "kms:Decrypt", key, direct)
    assert authorizer.allows("consumer", "xray:PutTraceSegments", "*", direct)
