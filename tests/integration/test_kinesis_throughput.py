"""The local AWS throttles Kinesis per shard as Kinesis does: writes over 1,000 records/s or 1 MiB/s, reads
over 5 calls/s, and GetRecords over 10,000 records or 10 MB (moto takes all of it)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from core.aws import AwsClients
from local.roles import admin_session
from tests.factories import stream_records

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

THROTTLED = "ProvisionedThroughputExceededException"
MIB = 1024 * 1024
SHARD = "shardId-000000000000"  # the test stream has one


def answered_once(aws: AwsClients) -> KinesisClient:
    """A Kinesis client that shows the first answer (botocore would retry a throttled call)."""
    once = Config(region_name=aws.settings.region, retries={"total_max_attempts": 1})
    return admin_session().client("kinesis", config=once)


def set_limits(endpoint: str, **limits: Any) -> None:
    requests.post(f"{endpoint}/_local/kinesis", json=limits, timeout=10).raise_for_status()


def entries(count: int, size: int = 1, key: str = "k") -> list[PutRecordsRequestEntryTypeDef]:
    return [{"Data": b"%d" % n + b"x" * (size - len(b"%d" % n)), "PartitionKey": key} for n in range(count)]


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def first_iterator(aws: AwsClients) -> str:
    answer = aws.kinesis.get_shard_iterator(StreamName=aws.settings.stream_name, ShardId=SHARD,
                                            ShardIteratorType="TRIM_HORIZON")
    return str(answer["ShardIterator"])


def test_limits_are_on_by_default(aws: AwsClients, moto_endpoint: str) -> None:
    limits = requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["kinesis"]
    assert limits["on"] and limits["records_per_second"] == 1000 and limits["bytes_per_second"] == MIB
    assert limits["reads_per_second"] == 5


def test_more_than_1000_records_to_one_shard_at_once_are_throttled(aws: AwsClients) -> None:
    stream = aws.settings.stream_name
    failed = [aws.kinesis.put_records(StreamName=stream, Records=entries(500))["FailedRecordCount"]
              for _ in range(3)]
    assert failed[:2] == [0, 0] and failed[2] > 0


def test_a_throttled_put_record_is_refused_whole(aws: AwsClients, moto_endpoint: str) -> None:
    set_limits(moto_endpoint, records_per_second=1)
    stream, kinesis = aws.settings.stream_name, answered_once(aws)
    kinesis.put_record(StreamName=stream, Data=b"first", PartitionKey="k")
    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName=stream, Data=b"second", PartitionKey="k")
    assert error_code(raised) == THROTTLED
    assert "Rate exceeded for shard shardId-000000000000" in str(raised.value)
    assert [r.data for r in stream_records(aws)] == [b"first"]


def test_put_records_fails_only_the_throttled_records_and_stores_the_rest(aws: AwsClients,
                                                                         moto_endpoint: str) -> None:
    set_limits(moto_endpoint, records_per_second=3)
    answer = aws.kinesis.put_records(StreamName=aws.settings.stream_name, Records=entries(5))
    assert answer["FailedRecordCount"] == 2
    assert ["ErrorCode" in record for record in answer["Records"]] == [False, False, False, True, True]
    assert answer["Records"][3]["ErrorCode"] == THROTTLED
    assert answer["Records"][3]["ErrorMessage"].startswith("Rate exceeded for shard shardId-000000000000")
    assert [r.data for r in stream_records(aws)] == [b"0", b"1", b"2"]


def test_2_5_mb_written_to_one_shard_at_once_is_throttled_past_1_mib(aws: AwsClients) -> None:
    answer = aws.kinesis.put_records(StreamName=aws.settings.stream_name, Records=entries(3, 850 * 1024))
    assert [record.get("ErrorCode") for record in answer["Records"]] == [None, THROTTLED, THROTTLED]


def test_a_throttled_shard_takes_records_again_as_its_allowance_refills(aws: AwsClients,
                                                                        moto_endpoint: str) -> None:
    set_limits(moto_endpoint, records_per_second=20)
    stream = aws.settings.stream_name
    assert aws.kinesis.put_records(StreamName=stream, Records=entries(25))["FailedRecordCount"] == 5
    time.sleep(0.1)  # two records' worth
    assert aws.kinesis.put_records(StreamName=stream, Records=entries(2))["FailedRecordCount"] == 0


def test_get_records_refuses_a_limit_over_10000(aws: AwsClients) -> None:
    with pytest.raises(ClientError) as raised:
        answered_once(aws).get_records(ShardIterator=first_iterator(aws), Limit=10_001)
    assert error_code(raised) == "InvalidArgumentException"


def test_a_sixth_get_records_in_a_second_on_one_shard_is_throttled(aws: AwsClients) -> None:
    iterator, kinesis = first_iterator(aws), answered_once(aws)
    for _ in range(5):
        kinesis.get_records(ShardIterator=iterator)
    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)
    assert error_code(raised) == THROTTLED


def test_get_records_returns_at_most_10_mb_and_the_rest_on_the_next_call(aws: AwsClients,
                                                                         moto_endpoint: str) -> None:
    set_limits(moto_endpoint, bytes_per_second=20 * MIB)
    stream = aws.settings.stream_name
    for _ in range(3):  # 12 records of 1 MiB with their key
        aws.kinesis.put_records(StreamName=stream, Records=entries(4, MIB - 1))
    first = aws.kinesis.get_records(ShardIterator=first_iterator(aws))
    assert len(first["Records"]) == 10
    rest = aws.kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert len(rest["Records"]) == 2


def test_tests_can_turn_the_limits_off(unthrottled_kinesis: AwsClients) -> None:
    aws = unthrottled_kinesis
    stream = aws.settings.stream_name
    for _ in range(3):
        assert aws.kinesis.put_records(StreamName=stream, Records=entries(500))["FailedRecordCount"] == 0
