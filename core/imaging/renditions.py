"""Renditions of an image, from one open and one decode: a thumbnail and a preview, upright and in sRGB.

Pure functions on bytes, safe from many threads at once (see core.imaging.decoding for the limits and errors).
The decode is scaled down by the JPEG decoder itself to the largest rendition needed and resampled to it;
only then converted to sRGB and turned upright (on the fewest pixels), and encoded as WebP; each smaller
rendition is resampled from the one before.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from core.imaging import colour, decoding, exif, formats
from core.imaging.pixel_budget import DECODING
from core.settings import Settings

# Like Pillow's own reducing_gap: the decoder's cheap 1/2..1/8 scaling stops at 1.5× the thumbnail at
# least, and LANCZOS does the rest. 2× cost 12 MP JPEGs 30% more time for no difference visible at
# thumbnail size (bench/RESULTS.md).
DRAFT_GAP = 1.5


# WebP effort (method, of 0..6) per rendition: the preview's is most of its encode time (0 is 36% faster
# than 2 for 1.7% more bytes); a thumbnail's few KB gain little from slower compression (4 took 3×).
PREVIEW_WEBP_METHOD = 0
THUMBNAIL_WEBP_METHOD = 2


@dataclass(frozen=True)
class _Size:
    """How one rendition is made from the picture before it (the first from the decode)."""

    longest: int
    resample: Image.Resampling = Image.Resampling.LANCZOS
    reducing_gap: float = 2.0  # Pillow's default: box-reduce by whole factors down to 2× the size first
    webp_method: int = THUMBNAIL_WEBP_METHOD


def _preview(longest: int) -> _Size:
    # The preview's resample from the decode is a large part of its cost: box-reduce to 1.5× (12 MP PNG,
    # HEIC, AVIF, JPEG XL: 160 -> 60 ms), then HAMMING for the rest (a JPEG's half-scale decode or a 2 MP
    # photo: 20-30% less CPU than BICUBIC, SSIM at equal bytes within 0.1%; docs/imaging.md, "Speed").
    return _Size(longest, Image.Resampling.HAMMING, 1.5, PREVIEW_WEBP_METHOD)


def _thumbnail_of_preview(longest: int) -> _Size:
    # From the preview (already sharp and small), HAMMING after the 2× box-reduce costs less than LANCZOS for
    # a thumbnail whose SSIM at equal bytes is within 0.5% (docs/imaging.md, "Speed").
    return _Size(longest, Image.Resampling.HAMMING)


@dataclass(frozen=True)
class ImageInfo:
    format: str
    extension: str
    content_type: str
    width: int  # as displayed, after EXIF orientation
    height: int
    mode: str
    frame_count: int
    exif: dict[str, str]


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    content_type: str = "image/webp"


Thumbnail = Rendition  # the name process_image's callers know


@dataclass(frozen=True)
class Renditions:
    info: ImageInfo
    thumbnail: Rendition  # longest side THUMBNAIL_SIZE
    preview: Rendition  # longest side PREVIEW_SIZE


def process_image(data: bytes, settings: Settings) -> tuple[ImageInfo, Thumbnail]:
    """Probe and thumbnail with one open and one decode, scaled down by the JPEG decoder itself."""
    info, (thumbnail,) = _render(data, settings, [_Size(settings.thumbnail_size)], DRAFT_GAP)
    return info, thumbnail


def renditions(data: bytes, settings: Settings) -> Renditions:
    """Probe, then the preview and the thumbnail, both from one decode at the preview's scale (no draft gap:
    the thumbnail is resampled from the preview, not from the decode)."""
    sizes = [_preview(settings.preview_size), _thumbnail_of_preview(settings.thumbnail_size)]
    info, (preview, thumbnail) = _render(data, settings, sizes, 1.0)
    return Renditions(info, thumbnail, preview)


def _render(
    data: bytes, settings: Settings, sizes: list[_Size], gap: float
) -> tuple[ImageInfo, list[Rendition]]:
    """The image's info and one WebP per size, largest first, each resampled from the one before."""
    with decoding.opened(data, settings) as image:
        with decoding.bad_data(data, settings):
            source_size, frames = image.size, _frame_count(image)  # draft changes the size
            icc = image.info.get("icc_profile")
        with DECODING.hold(source_size[0] * source_size[1], settings.max_image_pixels), \
                decoding.bad_data(data, settings):
            first = sizes[0]
            picture = decoding.decoded(image, first.longest, gap)
            picture.thumbnail((first.longest, first.longest), first.resample, first.reducing_gap)
        found = exif.read(image)  # after decoding: a PNG's eXIf may follow its pixels
        turn = exif.orientation(image, found)
        with decoding.bad_data(data, settings):
            picture = colour.to_srgb(picture, icc if isinstance(icc, bytes) else None)
            picture = picture.transpose(exif.UPRIGHT[turn]) if turn in exif.UPRIGHT else picture
            made = [_webp(picture, first.webp_method)]
            for size in sizes[1:]:
                picture = _fitted(picture, size)
                made.append(_webp(picture, size.webp_method))
        return _info(image, source_size, frames, found, turn), made


def _frame_count(image: Image.Image) -> int:
    # An MPO is one photo plus previews or depth and gain maps, not an animation.
    return 1 if image.format == "MPO" else int(getattr(image, "n_frames", 1))


def _fitted(image: Image.Image, size: _Size) -> Image.Image:
    """A copy no longer than `size.longest` on either side, as Image.thumbnail sizes it."""
    if max(image.size) <= size.longest:
        return image
    smaller = image.copy()
    smaller.thumbnail((size.longest, size.longest), size.resample, size.reducing_gap)
    return smaller


def _info(image: Image.Image, size: tuple[int, int], frames: int, found: Image.Exif, turn: int) -> ImageInfo:
    kind = formats.by_pillow(str(image.format))
    width, height = size[::-1] if turn in exif.TURNED else size
    return ImageInfo(str(image.format), kind.extension, kind.content_type, width, height, image.mode, frames,
                     exif.summary(found))


def _webp(image: Image.Image, method: int) -> Rendition:
    buffer = io.BytesIO()
    # sRGB already (core.colour), so no profile: browsers take untagged pixels as sRGB.
    image.save(buffer, "WEBP", quality=80, method=method)
    return Rendition(buffer.getvalue(), image.width, image.height)
