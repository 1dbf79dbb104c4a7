"""The stack each test starts from (the emulator's state restored, see tests/conftest.py) is the stack
provisioning makes, and nothing a test wrote survives into the next."""

from __future__ import annotations

from typing import Any

import requests

from core.aws import AwsClients
from core.settings import Settings
from local.emulator import embedded_aws
from tests.stack import provision_afresh

# What differs between two stacks made at different times, and says nothing of what they are.
_MOMENTS = {"CreationDateTime", "StreamCreationTimestamp", "creationTime", "LatestStreamLabel",
            "LatestStreamArn", "CreatedTimestamp", "LastModifiedTimestamp", "CreationDate",
            "ResponseMetadata", "StreamArn", "QueueUrl"}


def without_moments(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_moments(item) for key, item in value.items() if key not in _MOMENTS}
    if isinstance(value, list):
        return [without_moments(item) for item in value]
    return value


def stack(aws: AwsClients) -> dict[str, Any]:
    """Everything provisioning decides, as the AWS APIs describe it."""
    names: Settings = aws.settings
    queue = aws.sqs.get_queue_url(QueueName=names.failure_queue_name)["QueueUrl"]
    described = {
        "buckets": [bucket["Name"] for bucket in aws.s3.list_buckets()["Buckets"]],
        "public access": aws.s3.get_public_access_block(Bucket=names.bucket_name),
        "objects": aws.s3.list_objects_v2(Bucket=names.bucket_name).get("KeyCount"),
        "tables": aws.dynamodb.list_tables()["TableNames"],
        "table": aws.dynamodb.describe_table(TableName=names.table_name)["Table"],
        "ttl": aws.dynamodb.describe_time_to_live(TableName=names.table_name),
        "items": aws.dynamodb.scan(TableName=names.table_name, Select="COUNT")["Count"],
        "streams": aws.kinesis.list_streams()["StreamNames"],
        "stream": aws.kinesis.describe_stream(StreamName=names.stream_name)["StreamDescription"],
        "log groups": aws.logs.describe_log_groups()["logGroups"],
        "queues": aws.sqs.list_queues().get("QueueUrls"),
        "queue": aws.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"],
    }
    kept: dict[str, Any] = without_moments(described)
    return kept


def write_something(aws: AwsClients) -> None:
    names = aws.settings
    aws.s3.put_object(Bucket=names.bucket_name, Key="left/over.txt", Body=b"from the test before")
    aws.dynamodb.put_item(TableName=names.table_name, Item={"pk": {"S": "left"}, "sk": {"S": "over"}})
    aws.kinesis.put_record(StreamName=names.stream_name, Data=b"left over", PartitionKey="p")
    queue = aws.sqs.get_queue_url(QueueName=names.failure_queue_name)["QueueUrl"]
    aws.sqs.send_message(QueueUrl=queue, MessageBody="left over")
    aws.logs.create_log_group(logGroupName="left-over")


def test_restored_stack_is_the_stack_provisioning_makes(aws: AwsClients, moto_endpoint: str) -> None:
    restored = stack(aws)
    provision_afresh(moto_endpoint, aws)
    fresh = stack(aws)
    assert restored == fresh
    assert restored["items"] == restored["objects"] == 0


def test_restore_drops_what_a_test_wrote(aws: AwsClients, moto_endpoint: str) -> None:
    before = stack(aws)
    write_something(aws)
    assert stack(aws) != before
    requests.post(f"{moto_endpoint}/_local/restore", timeout=10).raise_for_status()
    assert stack(aws) == before
    shard = aws.kinesis.describe_stream(StreamName=aws.settings.stream_name)["StreamDescription"]["Shards"][0]
    iterator = aws.kinesis.get_shard_iterator(StreamName=aws.settings.stream_name, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert aws.kinesis.get_records(ShardIterator=iterator)["Records"] == []
    queue = aws.sqs.get_queue_url(QueueName=aws.settings.failure_queue_name)["QueueUrl"]
    assert aws.sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", []) == []


def test_restore_before_any_snapshot_is_refused_with_a_reason() -> None:
    with embedded_aws() as endpoint:
        answer = requests.post(f"{endpoint}/_local/restore", timeout=10)
    assert answer.status_code == 409 and "no snapshot" in answer.text
