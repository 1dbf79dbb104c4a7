"""Bootstrap creates every resource, privately, and can run again."""

from __future__ import annotations

from core.aws import AwsClients
from core.ops.provision import provision


def test_provision_creates_private_bucket_table_stream_and_log_group(fresh_aws: AwsClients) -> None:
    aws, names = fresh_aws, fresh_aws.settings
    block = aws.s3.get_public_access_block(Bucket=names.bucket_name)
    assert all(block["PublicAccessBlockConfiguration"].values())
    assert aws.dynamodb.describe_table(TableName=names.table_name)["Table"]["TableStatus"] == "ACTIVE"
    stream = aws.kinesis.describe_stream_summary(StreamName=names.stream_name)
    assert stream["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    groups = aws.logs.describe_log_groups(logGroupNamePrefix=names.consumer_log_group)
    assert [g["logGroupName"] for g in groups["logGroups"]] == [names.consumer_log_group]


def test_provision_twice_changes_nothing(fresh_aws: AwsClients) -> None:
    aws = fresh_aws
    provision(aws)
    assert aws.s3.list_buckets()["Buckets"][0]["Name"] == aws.settings.bucket_name
    assert len(aws.dynamodb.list_tables()["TableNames"]) == 1
