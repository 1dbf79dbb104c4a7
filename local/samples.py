"""Sample images the project draws itself (no downloads), for the local stack's first screen."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from core.aws import AwsClients
from core.store.objects import put_once


@dataclass(frozen=True)
class Sample:
    key: str
    description: str
    data: bytes
    content_type: str


def _gradient(size: tuple[int, int], start: tuple[int, int, int], end: tuple[int, int, int]) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / max(1, height - 1)
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(start, end, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    return image


def _sunset() -> Image.Image:
    image = _gradient((1600, 1000), (255, 140, 60), (60, 20, 90))
    ImageDraw.Draw(image).ellipse((650, 500, 950, 800), fill=(255, 220, 120))
    return image


def _mountains() -> Image.Image:
    image = _gradient((1200, 800), (120, 180, 255), (230, 240, 255))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 800), (350, 250), (700, 800)], fill=(70, 90, 110))
    draw.polygon([(400, 800), (850, 180), (1200, 800)], fill=(50, 70, 90))
    return image


def _badge() -> Image.Image:
    image = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 560, 560), fill=(40, 160, 120, 255))
    draw.rectangle((200, 260, 400, 340), fill=(255, 255, 255, 255))
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=88) if fmt == "JPEG" else image.save(buffer, fmt)
    return buffer.getvalue()


def sample_images() -> list[Sample]:
    """Three images of different formats and shapes, drawn on each call."""
    return [
        Sample("samples/sunset.jpg", "Sample: sunset over the sea", _encode(_sunset(), "JPEG"), "image/jpeg"),
        Sample("samples/mountains.jpg", "Sample: two mountains", _encode(_mountains(), "JPEG"), "image/jpeg"),
        Sample("samples/badge.png", "Sample: a transparent badge", _encode(_badge(), "PNG"), "image/png"),
    ]


# Not an image: the dashboard's "Not an image" test event points at it to show that failure path.
NOT_AN_IMAGE = Sample("samples/not-an-image.txt", "", b"This is text, not an image.\n", "text/plain")


def upload_samples(clients: AwsClients) -> list[Sample]:
    """Put the samples in the bucket under samples/, where s3:// events and the dashboard find them."""
    samples = sample_images()
    for sample in [*samples, NOT_AN_IMAGE]:
        put_once(clients, sample.key, sample.data, sample.content_type)
    return samples
