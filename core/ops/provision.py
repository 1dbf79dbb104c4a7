"""Create the bucket, table, stream, log group and on-failure queue, idempotently.

Runs against whatever the settings and boto3's environment point at: the embedded emulator or an
AWS account (`python -m core provision`). In AWS the deploy template owns these; this is for
accounts and endpoints without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import AlreadyExists
from core.store import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import WaiterConfigTypeDef

_WAIT: WaiterConfigTypeDef = {"Delay": 1, "MaxAttempts": 60}


def _create(what: str, call: Callable[..., object], **kwargs: Any) -> None:
    """One create call; "it exists already" is success."""
    try:
        with aws_call(what):
            call(**kwargs)
    except AlreadyExists:
        pass


def create_bucket(clients: AwsClients) -> None:
    bucket = clients.settings.bucket_name
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if clients.settings.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.settings.region}
    _create(f"bucket {bucket}", clients.s3.create_bucket, **kwargs)
    with aws_call(f"bucket {bucket}"):
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
    table = clients.settings.table_name
    _create(
        f"table {table}",
        clients.dynamodb.create_table,
        TableName=table,
        AttributeDefinitions=keys.TABLE_ATTRIBUTES,
        KeySchema=keys.TABLE_KEY_SCHEMA,
        GlobalSecondaryIndexes=keys.TABLE_INDEXES,
        StreamSpecification=keys.STREAM_SPECIFICATION,
        BillingMode="PAY_PER_REQUEST",
    )
    with aws_call(f"table {table}"):
        clients.dynamodb.get_waiter("table_exists").wait(TableName=table, WaiterConfig=_WAIT)
        # As the template does: items expire only if they carry the attribute (see keys.TTL_ATTRIBUTE).
        ttl = clients.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):  # asking again is an error
            clients.dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True},
            )


def create_stream(clients: AwsClients, shard_count: int = 1) -> None:
    name = clients.settings.stream_name
    _create(f"stream {name}", clients.kinesis.create_stream, StreamName=name, ShardCount=shard_count)
    with aws_call(f"stream {name}"):
        clients.kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=_WAIT)


def create_log_groups(clients: AwsClients) -> None:
    for group in (clients.settings.consumer_log_group, clients.settings.aggregator_log_group):
        _create(f"log group {group}", clients.logs.create_log_group, logGroupName=group)


def create_failure_queue(clients: AwsClients) -> str:
    """The on-failure destination for records the consumer gives up on; returns its URL."""
    with aws_call(f"queue {clients.settings.failure_queue_name}"):
        response = clients.sqs.create_queue(QueueName=clients.settings.failure_queue_name)
    return str(response["QueueUrl"])


def provision(clients: AwsClients, shard_count: int = 1) -> None:
    """Every resource the pipeline needs; safe to run again."""
    create_bucket(clients)
    create_table(clients)
    create_stream(clients, shard_count)
    create_log_groups(clients)
    create_failure_queue(clients)
