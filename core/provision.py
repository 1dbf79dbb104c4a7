"""Create the bucket, table, stream, log group and on-failure queue, idempotently.

Runs against whatever the settings and boto3's environment point at: the embedded emulator or an
AWS account (`python -m core provision`). In AWS the deploy template owns these; this is for
accounts and endpoints without it.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from core import schema
from core.aws import AwsClients

_ALREADY_THERE = {
    "BucketAlreadyOwnedByYou",
    "ResourceInUseException",
    "ResourceAlreadyExistsException",
    "QueueAlreadyExists",
}


def _tolerate_existing(call, **kwargs) -> None:  # type: ignore[no-untyped-def]
    try:
        call(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in _ALREADY_THERE:
            raise


def create_bucket(clients: AwsClients) -> None:
    bucket = clients.settings.bucket_name
    kwargs: dict[str, object] = {"Bucket": bucket}
    if clients.settings.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.settings.region}
    _tolerate_existing(clients.s3.create_bucket, **kwargs)
    clients.s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def create_table(clients: AwsClients) -> None:
    _tolerate_existing(
        clients.dynamodb.create_table,
        TableName=clients.settings.table_name,
        AttributeDefinitions=schema.TABLE_ATTRIBUTES,
        KeySchema=schema.TABLE_KEY_SCHEMA,
        GlobalSecondaryIndexes=schema.TABLE_INDEXES,
        BillingMode="PAY_PER_REQUEST",
    )
    clients.dynamodb.get_waiter("table_exists").wait(
        TableName=clients.settings.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def create_stream(clients: AwsClients, shard_count: int = 1) -> None:
    name = clients.settings.stream_name
    _tolerate_existing(clients.kinesis.create_stream, StreamName=name, ShardCount=shard_count)
    clients.kinesis.get_waiter("stream_exists").wait(
        StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def create_log_group(clients: AwsClients) -> None:
    _tolerate_existing(
        clients.logs.create_log_group, logGroupName=clients.settings.consumer_log_group
    )


def create_failure_queue(clients: AwsClients) -> str:
    """The on-failure destination for records the consumer gives up on; returns its URL."""
    response = clients.sqs.create_queue(QueueName=clients.settings.failure_queue_name)
    return str(response["QueueUrl"])


def provision(clients: AwsClients, shard_count: int = 1) -> None:
    """Every resource the pipeline needs; safe to run again."""
    create_bucket(clients)
    create_table(clients)
    create_stream(clients, shard_count)
    create_log_group(clients)
    create_failure_queue(clients)
