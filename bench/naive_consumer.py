"""The naive consumer the benchmark compares with: one record after another, the whole image decoded
and resized at full size, one write at a time (what the earlier system's handler did). Bench only."""

from __future__ import annotations

import base64
import io
import json
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from core.aws import AwsClients


def naive_handler(event: dict[str, Any], clients: AwsClients) -> dict[str, Any]:
    for record in event["Records"]:
        _process(record, clients)
    return {"batchItemFailures": []}


def _process(record: dict[str, Any], clients: AwsClients) -> None:
    document = json.loads(base64.b64decode(record["kinesis"]["data"]))
    url = urlsplit(document["ImageUrl"])
    data = clients.s3.get_object(Bucket=url.netloc, Key=url.path.lstrip("/"))["Body"].read()
    image, thumbnail = naive_thumbnail(data, clients.settings.thumbnail_size)
    name = record["eventID"].replace(":", "-")
    bucket = clients.settings.bucket_name
    clients.s3.put_object(Bucket=bucket, Key=f"naive/originals/{name}.jpg", Body=data)
    clients.s3.put_object(Bucket=bucket, Key=f"naive/thumbnails/{name}.webp", Body=thumbnail)
    clients.dynamodb.put_item(TableName=clients.settings.table_name, Item={
        "pk": {"S": "NAIVE"}, "sk": {"S": name}, "description": {"S": document["Description"]},
        "width": {"N": str(image.width)}, "height": {"N": str(image.height)},
    })


def naive_thumbnail(data: bytes, size: int = 320) -> tuple[Image.Image, bytes]:
    """The whole image decoded, then resized at full size, then encoded."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    thumbnail = image.resize((size, size * image.height // image.width), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumbnail.save(buffer, "WEBP", quality=80)
    return image, buffer.getvalue()
