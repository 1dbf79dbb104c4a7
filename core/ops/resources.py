"""The stack's resources in one registry: for each, its logical id in infra/template.yaml, the setting that
names it, what CloudFormation's Ref and GetAtt give for it, how to create it where the template does not
(the emulator, `python -m core provision`) and how the Health page checks it.

Provisioning, the Health page, the local template resolver (local/template.py) and the local IAM layer
(local/strict/iam.py) all read this; tests/infra/test_resources.py holds it against the template. Adding a
resource is one entry here plus the template (and its setting in core/settings.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import AlreadyExists
from core.settings import Settings
from core.store import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import WaiterConfigTypeDef

_WAIT: WaiterConfigTypeDef = {"Delay": 1, "MaxAttempts": 60}


@dataclass(frozen=True)
class Resource:
    """One resource of the stack. ARN and Ref formats take {name}, {region} and {account}."""

    logical_id: str
    cfn_type: str
    label: str  # as the Health page names it
    setting: str  # the environment variable that names it (Settings reads it)
    attribute: str  # the Settings attribute holding its name
    formats: dict[str, str] = field(default_factory=dict)  # GetAtt attribute -> its format, "Arn" among them
    ref: str = "{name}"  # what Ref gives
    # Shown on the Health page when it can be checked (a Checked resource); not the aggregator's log group,
    # whose name the dashboard is not told.
    on_health_page: bool = True

    def name(self, settings: Settings) -> str:
        return str(getattr(settings, self.attribute))

    def arn(self, name: str, region: str, account: str) -> str:
        """The ARN IAM policies name it by (the template's GetAtt X.Arn)."""
        return self.get_att("Arn", name, region, account)

    def get_att(self, attribute: str, name: str, region: str, account: str) -> str:
        """What the template's GetAtt gives for `attribute` (KeyError for one the registry does not know)."""
        return self.formats[attribute].format(name=name, region=region, account=account)

    def ref_value(self, name: str, region: str, account: str) -> str:
        """What the template's Ref gives."""
        return self.ref.format(name=name, region=region, account=account)

    def create(self, clients: AwsClients) -> None:
        """Create it if it is not there (nothing to create for what the local stack plays, a function)."""



class Checked(Resource, ABC):
    """A resource the Health page can check with one cheap call (a function is not one: the local stack
    plays it, and the dashboard's role may not read it)."""

    @abstractmethod
    def check(self, clients: AwsClients) -> str:
        """What the Health page says of it; raises what the call raised."""


def _create(what: str, call: Any, **kwargs: Any) -> None:
    """One create call; "it exists already" is success."""
    try:
        with aws_call(what):
            call(**kwargs)
    except AlreadyExists:
        pass


class Bucket(Checked):
    def create(self, clients: AwsClients) -> None:
        bucket = self.name(clients.settings)
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if clients.settings.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.settings.region}
        _create(f"bucket {bucket}", clients.s3.create_bucket, **kwargs)
        with aws_call(f"bucket {bucket}"):
            clients.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})

    def check(self, clients: AwsClients) -> str:
        clients.s3.head_bucket(Bucket=self.name(clients.settings))
        return "reachable"


class Table(Checked):
    def create(self, clients: AwsClients) -> None:
        table = self.name(clients.settings)
        _create(f"table {table}", clients.dynamodb.create_table, TableName=table,
                AttributeDefinitions=keys.TABLE_ATTRIBUTES, KeySchema=keys.TABLE_KEY_SCHEMA,
                GlobalSecondaryIndexes=keys.TABLE_INDEXES, StreamSpecification=keys.STREAM_SPECIFICATION,
                BillingMode="PAY_PER_REQUEST")
        with aws_call(f"table {table}"):
            clients.dynamodb.get_waiter("table_exists").wait(TableName=table, WaiterConfig=_WAIT)
            # As the template does: items expire only if they carry the attribute (see keys.TTL_ATTRIBUTE).
            ttl = clients.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):  # asking again is an error
                clients.dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
                    "AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True})

    def check(self, clients: AwsClients) -> str:
        table = clients.dynamodb.describe_table(TableName=self.name(clients.settings))["Table"]
        return f"{table['TableStatus']}, ~{table.get('ItemCount', 0)} items"


class Stream(Checked):
    def create(self, clients: AwsClients, shard_count: int = 1) -> None:
        name = self.name(clients.settings)
        _create(f"stream {name}", clients.kinesis.create_stream, StreamName=name, ShardCount=shard_count)
        with aws_call(f"stream {name}"):
            clients.kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=_WAIT)

    def check(self, clients: AwsClients) -> str:
        summary = clients.kinesis.describe_stream_summary(StreamName=self.name(clients.settings))
        found = summary["StreamDescriptionSummary"]
        return f"{found['StreamStatus']}, {found['OpenShardCount']} open shard(s)"


class LogGroup(Checked):
    def create(self, clients: AwsClients) -> None:
        group = self.name(clients.settings)
        _create(f"log group {group}", clients.logs.create_log_group, logGroupName=group)

    def check(self, clients: AwsClients) -> str:
        group = self.name(clients.settings)
        found = clients.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if not any(g["logGroupName"] == group for g in found):
            raise LookupError("does not exist yet (its function creates it when it first runs)")
        return "exists"


class Queue(Checked):
    def create(self, clients: AwsClients) -> None:
        name = self.name(clients.settings)
        with aws_call(f"queue {name}"):
            clients.sqs.create_queue(QueueName=name)

    def check(self, clients: AwsClients) -> str:
        return f"{queue_depth(clients)} message(s) waiting"


def queue_depth(clients: AwsClients) -> int:
    """Messages on the on-failure queue: batches the consumer gave up on (StoreError if unreachable)."""
    name = FAILURE_QUEUE.name(clients.settings)
    with aws_call(f"queue {name}", setting=FAILURE_QUEUE.setting):
        url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = clients.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _log_group(logical_id: str, label: str, setting: str, field_name: str, on_health_page: bool) -> LogGroup:
    arn = "arn:aws:logs:{region}:{account}:log-group:{name}:*"
    return LogGroup(logical_id, "AWS::Logs::LogGroup", label, setting, field_name, {"Arn": arn},
                    on_health_page=on_health_page)


def _function(logical_id: str, setting: str, field_name: str) -> Resource:
    arn = "arn:aws:lambda:{region}:{account}:function:{name}"
    return Resource(logical_id, "AWS::Serverless::Function", "Lambda function", setting, field_name,
                    {"Arn": arn})


BUCKET = Bucket("Bucket", "AWS::S3::Bucket", "S3 bucket", "BUCKET_NAME", "bucket_name",
                {"Arn": "arn:aws:s3:::{name}"})
TABLE = Table("EventTable", "AWS::DynamoDB::Table", "DynamoDB table", "TABLE_NAME", "table_name",
              {"Arn": "arn:aws:dynamodb:{region}:{account}:table/{name}",
               # The stream's label is its creation time, which only the deployed stack knows.
               "StreamArn": "arn:aws:dynamodb:{region}:{account}:table/{name}/stream/*"})
STREAM = Stream("Stream", "AWS::Kinesis::Stream", "Kinesis stream", "STREAM_NAME", "stream_name",
                {"Arn": "arn:aws:kinesis:{region}:{account}:stream/{name}"})
CONSUMER_LOG_GROUP = _log_group("ConsumerLogGroup", "Log group", "CONSUMER_LOG_GROUP", "consumer_log_group",
                                True)
AGGREGATOR_LOG_GROUP = _log_group("AggregatorLogGroup", "Aggregator log group", "AGGREGATOR_LOG_GROUP",
                                  "aggregator_log_group", False)
FAILURE_QUEUE = Queue("FailureQueue", "AWS::SQS::Queue", "On-failure queue", "FAILURE_QUEUE_NAME",
                      "failure_queue_name",
                      {"Arn": "arn:aws:sqs:{region}:{account}:{name}", "QueueName": "{name}"},
                      ref="https://sqs.{region}.amazonaws.com/{account}/{name}")
CONSUMER = _function("ConsumerFunction", "CONSUMER_FUNCTION_NAME", "consumer_function_name")
AGGREGATOR = _function("AggregatorFunction", "AGGREGATOR_FUNCTION_NAME", "aggregator_function_name")

RESOURCES: tuple[Resource, ...] = (
    BUCKET, TABLE, STREAM, CONSUMER_LOG_GROUP, AGGREGATOR_LOG_GROUP, FAILURE_QUEUE, CONSUMER, AGGREGATOR,
)
BY_LOGICAL_ID = {resource.logical_id: resource for resource in RESOURCES}

