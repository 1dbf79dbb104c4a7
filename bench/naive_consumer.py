"""The naive consumer the benchmark compares with: one record after another, the whole image decoded
and each rendition resized from it at full size, one write at a time (what the earlier system's handler
did, making the same renditions as ours: a preview and a thumbnail). Bench only."""

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
    image, preview, thumbnail = naive_renditions(data, clients.settings.preview_size,
                                                 clients.settings.thumbnail_size)
    name = record["eventID"].replace(":", "-")
    bucket = clients.settings.bucket_name
    clients.s3.put_object(Bucket=bucket, Key=f"naive/originals/{name}.jpg", Body=data)
    clients.s3.put_object(Bucket=bucket, Key=f"naive/previews/{name}.webp", Body=preview)
    clients.s3.put_object(Bucket=bucket, Key=f"naive/thumbnails/{name}.webp", Body=thumbnail)
    clients.dynamodb.put_item(TableName=clients.settings.table_name, Item={
        "pk": {"S": "NAIVE"}, "sk": {"S": name}, "description": {"S": document["Description"]},
        "width": {"N": str(image.width)}, "height": {"N": str(image.height)},
    })


def naive_renditions(
    data: bytes, preview: int = 1280, thumbnail: int = 320
) -> tuple[Image.Image, bytes, bytes]:
    """The whole image decoded, then each rendition resized from it at full size, then encoded."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return image, _resized(image, preview), _resized(image, thumbnail)


def _resized(image: Image.Image, size: int) -> bytes:
    width = min(size, image.width)
    smaller = image.resize((width, width * image.height // image.width), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    smaller.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()
