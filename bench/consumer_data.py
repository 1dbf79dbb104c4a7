"""The benchmark's data: photo-like JPEGs in the emulator's S3 and a record for each on its stream,
read back as Lambda's event by the local runner's own builder."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from PIL import ImageDraw

from bench.images import photo
from core.aws import AwsClients
from core.stream.producer import SentRecord, encode_event, send_events
from local.event_source.events import lambda_event
from local.event_source.shards import stream_source


def jpegs(size: tuple[int, int], count: int) -> Iterator[bytes]:
    """Photo-like JPEGs, each marked differently so each has its own content-addressed keys."""
    base = photo(size)
    for index in range(count):
        marked = base.copy()
        ImageDraw.Draw(marked).rectangle((index, 0, index + 2, 2), fill=(index % 256, 0, 255))
        buffer = io.BytesIO()
        marked.save(buffer, "JPEG", quality=90)
        yield buffer.getvalue()


def prepare(clients: AwsClients, size: tuple[int, int], count: int, prefix: str) -> dict[str, Any]:
    """`count` JPEGs in S3 and a record for each on the stream, read back as Lambda's event."""
    bucket = clients.settings.bucket_name
    payloads = []
    for index, data in enumerate(jpegs(size, count)):
        key = f"bench/{prefix}/{index:03}.jpg"
        clients.s3.put_object(Bucket=bucket, Key=key, Body=data)
        payloads.append(encode_event(f"s3://{bucket}/{key}", f"bench {prefix} {index}"))
    return read_back(clients, send_events(clients, payloads, partition_key=prefix))


def read_back(clients: AwsClients, sent: list[SentRecord]) -> dict[str, Any]:
    iterator = clients.kinesis.get_shard_iterator(
        StreamName=clients.settings.stream_name, ShardId=sent[0].shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=sent[0].sequence_number,
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while len(records) < len(sent):
        page = clients.kinesis.get_records(ShardIterator=iterator, Limit=1000)
        records += [dict(record) for record in page["Records"]]
        iterator = page["NextShardIterator"]
    return lambda_event(records[: len(sent)], sent[0].shard_id, stream_source(clients))


def clear_bucket(clients: AwsClients) -> None:
    """Empty the emulator's bucket between runs: it keeps every image in this process's memory."""
    bucket = clients.settings.bucket_name
    for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        if keys := [item["Key"] for item in page.get("Contents", [])]:
            clients.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys]})
