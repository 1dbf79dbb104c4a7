"""The tests' shared factories: real images, wire payloads, images in the bucket, Kinesis records put on
the emulator's stream and read back as Lambda's event, AWS's golden events, a Lambda context, and the
event stored for a sent record."""

from __future__ import annotations

import base64
import io
import json
import struct
import time
import uuid
import weakref
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from PIL import ExifTags, Image, ImageDraw

from core.aws import AwsClients
from core.ingest import Origin, stream_event_id
from core.models import EventSource, StoredEvent
from core.producer import SentRecord, send_events
from core.store.objects import put_once
from core.store.reads import get_event
from local.event_source.events import lambda_event
from local.event_source.invoke import LocalContext
from local.event_source.shards import stream_source
from local.event_source.table_stream import TableStreamSource

Colour = str | tuple[int, int, int]
GOLDEN = Path(__file__).parent / "golden"
SEED_DESCRIPTION = "Test image event from Kinesis"  # the description of the earlier system's seed event
PARTITION_KEY = "testKey"  # the seed's; one key keeps a test's records in order on one shard
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:image-processor-consumer"


# --- real images, drawn with Pillow in memory ---------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def image_file(
    fmt: str, size: tuple[int, int] = (64, 48), colour: Colour = "orange", **options: object
) -> bytes:
    """A one-colour RGB picture in any format Pillow writes (PNG, GIF, WEBP, ICO…)."""
    return encode(Image.new("RGB", size, colour), fmt, **options)


def jpeg(size: tuple[int, int] = (400, 300), colour: Colour = "orange", **options: object) -> bytes:
    return image_file("JPEG", size, colour, **options)


def small_jpeg(index: int) -> bytes:
    """A 32×24 JPEG whose colour (so its content hash) is different for each index below 65,536."""
    return jpeg((32, 24), f"#{index % 256:02x}{index // 256 % 256:02x}80")


def photo_jpeg() -> bytes:
    """A photo-like 640×480 JPEG: a gradient with shapes, so probing and thumbnailing do real work."""
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 120, 440, 360), fill=(230, 120, 40))
    draw.rectangle((40, 380, 600, 440), fill=(30, 90, 160))
    return encode(image, "JPEG", quality=90)


def halves(size: tuple[int, int] = (400, 200), left: str = "red", right: str = "blue") -> Image.Image:
    """Left half one colour, right half another: shows which way an image was turned."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    return with_exif(halves(), Orientation=orientation, Make="Canon", Model="EOS R5")


def with_exif(image: Image.Image, fmt: str = "JPEG", **tags: object) -> bytes:
    """The image saved with EXIF tags by name: Orientation=6, Make="Canon", ExposureTime=0.004…"""
    exif = Image.Exif()
    for name, value in tags.items():
        tag = ExifTags.Base[name]
        # Camera settings (tags from 0x8000 up, as used here) live in the Exif sub-IFD, not IFD0.
        (exif.get_ifd(ExifTags.IFD.Exif) if tag >= 0x8000 else exif)[tag] = value
    return encode(image, fmt, exif=exif, quality=95)


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG")  # pure red in CMYK


def gradient_16bit_png(size: tuple[int, int] = (256, 64)) -> bytes:
    return gradient_16bit("PNG", size)


def gradient_16bit(fmt: str, size: tuple[int, int] = (256, 64)) -> bytes:
    """A 16-bit grey (I;16) ramp, black on the left to near white on the right, in PNG or TIFF."""
    image = Image.new("I;16", size)
    image.putdata([x * 256 for _ in range(size[1]) for x in range(size[0])])
    return encode(image, fmt)


def palette_with_transparency() -> bytes:
    image = Image.new("P", (200, 200), 0)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    image.paste(1, (50, 50, 150, 150))
    return encode(image, "PNG", transparency=0)


def animated(fmt: str, frames: int = 3) -> bytes:
    pictures = [Image.new("RGB", (120, 80), colour) for colour in ("red", "green", "blue")[:frames]]
    return encode(pictures[0], fmt, save_all=True, append_images=pictures[1:], duration=100, loop=0)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size: a decompression bomb must be refused from this alone."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def decoded(data: bytes) -> Image.Image:
    """Bytes (a thumbnail, say) back into a loaded Pillow image, to look at its pixels."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel's channel values; a one-band image's (L, I;16…) as a 1-tuple."""
    value = image.getpixel(xy)
    assert value is not None, f"{xy} is outside the {image.size} image"
    return tuple(value) if isinstance(value, tuple) else (int(value),)


def is_red(channels: tuple[int, ...]) -> bool:
    return channels[0] > 200 and channels[1] < 60 and channels[2] < 60


def is_blue(channels: tuple[int, ...]) -> bool:
    return channels[2] > 200 and channels[0] < 60 and channels[1] < 60


# --- wire payloads and images in the bucket ------------------------------------------------------------


def wire_json(fields: Mapping[str, object]) -> bytes:
    """Any JSON object as a record's data, for payloads the wire event must refuse too."""
    return json.dumps(fields).encode()


def image_event(
    url: object, description: object = SEED_DESCRIPTION, keys: tuple[str, str] = ("ImageUrl", "Description")
) -> bytes:
    """The wire payload `{"ImageUrl": …, "Description": …}`; `keys` for its other accepted spellings."""
    return wire_json({keys[0]: url, keys[1]: description})


def image_in_bucket(clients: AwsClients, name: str, data: bytes, content_type: str = "image/jpeg") -> str:
    """`data` in the bucket under incoming/, as a sender puts an image there; its s3:// URL."""
    put_once(clients, f"incoming/{name}", data, content_type)
    return f"s3://{clients.settings.bucket_name}/incoming/{name}"


def jpeg_in_bucket(clients: AwsClients, name: str, colour: Colour) -> str:
    """A 640×480 JPEG of one colour at incoming/<name>.jpg; its s3:// URL."""
    return image_in_bucket(clients, f"{name}.jpg", jpeg((640, 480), colour))


# --- the stream, and Lambda's events -------------------------------------------------------------------


@dataclass(frozen=True)
class StreamRecord:
    """A record as GetRecords returns it, with the shard it was read from."""

    shard_id: str
    sequence_number: str
    data: bytes
    arrived: datetime


def put_on_stream(clients: AwsClients, payloads: Sequence[bytes]) -> list[SentRecord]:
    """Each payload as one record, in order, on one shard (one partition key)."""
    return send_events(clients, payloads, partition_key=PARTITION_KEY)


def read_back(clients: AwsClients, sent: list[SentRecord]) -> dict[str, Any]:
    """The sent records as Lambda's event source mapping would deliver them: one event, GetRecords order."""
    shard = sent[0].shard_id
    assert {record.shard_id for record in sent} == {shard}
    iterator = clients.kinesis.get_shard_iterator(
        StreamName=clients.settings.stream_name, ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=sent[0].sequence_number,
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while len(records) < len(sent):
        page = clients.kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, len(sent)))
        records += [dict(record) for record in page["Records"]]
        iterator = page["NextShardIterator"]
    records = records[: len(sent)]
    assert [r["SequenceNumber"] for r in records] == [s.sequence_number for s in sent]
    return lambda_event(records, shard, stream_source(clients))


def put_and_read_back(
    clients: AwsClients, payloads: Sequence[bytes]
) -> tuple[list[SentRecord], dict[str, Any]]:
    """Put each payload on the stream, then read them back as the Lambda event of their batch."""
    sent = put_on_stream(clients, payloads)
    return sent, read_back(clients, sent)


def stream_records(clients: AwsClients) -> list[StreamRecord]:
    """Every record on the settings' stream, shard by shard, oldest first."""
    stream, found = clients.settings.stream_name, list[StreamRecord]()
    for shard in clients.kinesis.list_shards(StreamName=stream)["Shards"]:
        shard_id = shard["ShardId"]
        iterator: str | None = clients.kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = clients.kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            found += [StreamRecord(shard_id, r["SequenceNumber"], r["Data"], r["ApproximateArrivalTimestamp"])
                      for r in page["Records"]]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return found


def golden_event(name: str) -> dict[str, Any]:
    """tests/golden/<name>.json: a Kinesis event in the shape AWS documents, as Lambda would deliver it."""
    event: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return event


def record_data(record: Mapping[str, Any]) -> bytes:
    """The bytes a Lambda Kinesis event record carries (its kinesis.data, base64-decoded)."""
    return base64.b64decode(record["kinesis"]["data"])


def lambda_context() -> LambdaContext:
    """The context Lambda's Python runtime passes: a fresh request id, a minute left to run."""
    context = LocalContext("image-processor-consumer", FUNCTION_ARN, 1024, str(uuid.uuid4()),
                           "/aws/lambda/image-processor-consumer", "2026/01/01/[$LATEST]0",
                           time.monotonic() + 60)
    # LocalContext has every attribute of Lambda's context; LambdaContext is Powertools' type for it.
    return cast(LambdaContext, context)


# --- what the store keeps for a record -----------------------------------------------------------------


def stream_origin(sequence: str, at: datetime | None = None, shard: str = "shardId-000000000000") -> Origin:
    """Where a stream record came from, as the handler names it: its id from shard and sequence number."""
    event = stream_event_id(shard, sequence)
    return Origin(event, at or datetime.now(UTC), EventSource.STREAM, shard, sequence)


def event_id(record: SentRecord) -> str:
    return stream_event_id(record.shard_id, record.sequence_number)


def stored(clients: AwsClients, record: SentRecord) -> StoredEvent | None:
    """The event stored for a sent record, if any."""
    return get_event(clients, event_id(record))


def expect_stored(clients: AwsClients, record: SentRecord) -> StoredEvent:
    """The event stored for a sent record; the test fails when there is none."""
    kept = stored(clients, record)
    assert kept is not None, f"no event is stored for record {record.sequence_number}"
    return kept


# --- counts: the aggregator's work, done when a test looks ---------------------------------------------

_counters: weakref.WeakKeyDictionary[AwsClients, TableStreamSource] = weakref.WeakKeyDictionary()


def counted(clients: AwsClients) -> AwsClients:
    """`clients`, once the aggregator has counted every change on the table's stream so far.

    In AWS it runs on its own a moment after each write; a test runs it when it reads counts or LATEST.
    One source per test's clients, kept, so each change is delivered once, as Lambda delivers it.
    """
    source = _counters.get(clients)
    if source is None:
        source = _counters[clients] = TableStreamSource(clients, in_process=True)
    source.poll_once()
    return clients
