"""Hostile and unusual images, as s3:// events through the handler and as uploads: each is stored with an
upright, viewable thumbnail or failed with a reason; a refused upload writes nothing at all."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat

from core.aws import AwsClients
from core.errors import EventRejected
from core.ingest.upload import ingest_upload
from core.models import EventStatus, StoredEvent
from core.settings import Settings
from core.store.reads import last_hour_count
from tests import factories as make
from tests.factories import counted
from tests.reliability.harness import (
    SOAK,
    deliver,
    event_ids_in_table,
    fresh_emulator,
    object_keys,
    report,
    size,
)

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 1024 * 1024  # small, so "over the byte limit" costs 1 MB, not 20
# Pillow warns before our own limit refuses the bombs; pytest resets the filter core.imaging sets once.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
SETTINGS = Settings(worker_count=4, max_image_bytes=MAX_BYTES, thumbnail_size=128)


def upright_halves(t: Image.Image) -> bool:
    """The EXIF-rotated picture (red left half, blue right, orientation 6) shown upright: red on top."""
    top, bottom = (make.pixel(t.convert("RGB"), (t.width // 2, round(t.height * y))) for y in (0.04, 0.95))
    return t.height == 2 * t.width and make.is_red(top) and make.is_blue(bottom)


def grey_ramp(t: Image.Image) -> bool:
    """A 16-bit ramp scaled to 8 bits, not clipped: dark left, mid grey middle, light right."""
    grey = t.convert("L")
    left, middle, right = (make.pixel(grey, (x, 10))[0] for x in (1, grey.width // 2, grey.width - 2))
    return left < 20 and 100 < middle < 160 and right > 230


def see_through_corner(t: Image.Image) -> bool:
    rgba = t.convert("RGBA")
    return t.mode == "RGBA" and make.pixel(rgba, (2, 2))[3] == 0 and make.pixel(rgba, (64, 64))[3] == 255


def first_frame_red(t: Image.Image) -> bool:
    return make.is_red(make.pixel(t.convert("RGB"), (5, 5)))


def red_corner(t: Image.Image) -> bool:
    return make.is_red(make.pixel(t.convert("RGB"), (10, 10)))


def orange(t: Image.Image) -> bool:
    r, g, b = make.pixel(t.convert("RGB"), (10, 10))[:3]
    return r > 200 and 100 < g < 200 and b < 60


def looks_like(expected: Image.Image) -> Callable[[Image.Image], bool]:
    """The thumbnail shows `expected` (upright, sRGB): within a small mean difference at its size."""
    def check(t: Image.Image) -> bool:
        same_shape = abs(t.width / t.height - expected.width / expected.height) < 0.02
        fitted = expected.resize(t.size, Image.Resampling.LANCZOS)
        difference = ImageStat.Stat(ImageChops.difference(t.convert("RGB"), fitted.convert("RGB"))).mean
        return same_shape and max(difference) < 8
    return check


def iphone_photo_upright_in_srgb() -> Image.Image:
    """What iphone_heic shows: its picture turned by orientation 6, from Display P3 to sRGB."""
    turned = make.colourful((640, 480)).transpose(Image.Transpose.ROTATE_270)
    p3 = ImageCms.ImageCmsProfile(io.BytesIO(make.display_p3()))
    converted = ImageCms.profileToProfile(turned, p3, ImageCms.createProfile("sRGB"))
    assert converted is not None
    return converted


def truncated_jpeg() -> bytes:
    data = make.jpeg((400, 300))
    return data[: len(data) // 2]


def noise_png() -> bytes:
    """Over MAX_BYTES: random pixels do not compress."""
    return make.encode(Image.frombytes("RGB", (700, 600), os.urandom(700 * 600 * 3)), "PNG")


def gif_header_claiming(width: int, height: int) -> bytes:
    """A 9-byte-per-frame GIF whose screen and one frame claim width×height."""
    size = width.to_bytes(2, "little") + height.to_bytes(2, "little")
    frame = b"," + b"\x00\x00\x00\x00" + size + b"\x00" + b"\x02\x02\x4c\x01\x00"
    return b"GIF89a" + size + b"\x00\x00\x00" + frame + b";"


@dataclass(frozen=True)
class Case:
    name: str  # the object's name: its extension is what the sender claimed
    data: Callable[[], bytes]
    expect: str  # "stored", or a pattern the failure reason must match
    looks_right: Callable[[Image.Image], bool] | None = None  # for stored images: the thumbnail's pixels
    size: tuple[int, int] | None = None  # as displayed
    frames: int = 1


CASES = {case.name: case for case in [
    Case("cmyk.jpg", make.cmyk_jpeg, "stored", red_corner, (300, 200)),
    Case("gradient-16bit.png", make.gradient_16bit_png, "stored", grey_ramp, (256, 64)),
    Case("gradient-16bit.tiff", lambda: make.gradient_16bit("TIFF"), "stored", grey_ramp, (256, 64)),
    Case("palette-transparent.png", make.palette_with_transparency, "stored", see_through_corner, (200, 200)),
    Case("exif-rotated.jpg", make.exif_rotated_jpeg, "stored", upright_halves, (200, 400)),
    Case("progressive.jpg", lambda: make.jpeg(progressive=True), "stored", orange, (400, 300)),
    Case("animated.gif", lambda: make.animated("GIF"), "stored", first_frame_red, (120, 80), 3),
    Case("animated.webp", lambda: make.animated("WEBP"), "stored", first_frame_red, (120, 80), 3),
    Case("jpeg-named.png", make.jpeg, "stored", orange, (400, 300)),
    Case("truncated.jpg", truncated_jpeg, "cannot be decoded: damaged, cut short"),
    Case("zero-bytes.jpg", lambda: b"", r"empty \(0 bytes\)"),
    Case("text-renamed.jpg", lambda: b"just some notes, renamed to .jpg\n", "Not an image we read.*text"),
    Case("drawing.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect/></svg>',
         "Not an image we read.*SVG"),
    Case("html-renamed.png", lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>",
         "Not an image we read.*HTML"),
    Case("pixel-bomb.png", lambda: make.png_header_claiming(10_000, 10_000),
         r"10000×10000 = 100 MP; the limit is 50 MP \(MAX_IMAGE_PIXELS\)"),
    Case("gif-bomb.gif", lambda: gif_header_claiming(65_535, 65_535),
         r"the limit is 50 MP \(MAX_IMAGE_PIXELS\)"),
    Case("over-the-byte-limit.png", noise_png, r"the limit is 1(,048,576 bytes| MB) \(MAX_IMAGE_BYTES\)"),
    Case("iphone.heic", lambda: make.iphone_heic((640, 480)), "stored",
         looks_like(iphone_photo_upright_in_srgb()), (480, 640)),
    Case("turned.avif", lambda: make.oriented(make.asymmetric(), "AVIF", 6), "stored",
         looks_like(make.asymmetric().transpose(Image.Transpose.ROTATE_270)), (160, 240)),
    Case("p3.avif", lambda: make.encoded(make.colourful((640, 480)), "AVIF", icc_profile=make.display_p3()),
         "stored", looks_like(iphone_photo_upright_in_srgb().transpose(Image.Transpose.ROTATE_90)),
         (640, 480)),
    Case("photo.jxl", lambda: make.encoded(make.asymmetric(), "JPEG XL"), "stored",
         looks_like(make.asymmetric()), (240, 160)),
    Case("truncated.heic", lambda: make.iphone_heic((640, 480))[:3000], "HEIC file"),
    Case("bomb.jxl", lambda: make.jxl_header_claiming(20_000, 20_000),
         r"20000×20000 = 400 MP; the limit is 50 MP \(MAX_IMAGE_PIXELS\)"),
]}


@dataclass(frozen=True)
class Result:
    stored: StoredEvent | None
    refusal: str | None  # uploads: the refusal's message
    thumbnail: Image.Image | None
    preview: Image.Image | None
    original_matches: bool  # the original in S3 holds exactly the bytes sent, under its content hash
    keys_before: list[str]
    keys_after: list[str]
    counts: tuple[int, int]  # last-hour count before and after
    records: tuple[int, int]  # event items in the table before and after


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {name: case.data() for name, case in CASES.items()}


@pytest.fixture(scope="module")
def via_stream(moto_endpoint: str, files: dict[str, bytes]) -> Iterator[dict[str, Result]]:
    """Each file in the bucket, then one batch of s3:// events pointing at them, through the handler."""
    with fresh_emulator(moto_endpoint, SETTINGS) as clients:
        urls = [make.image_in_bucket(clients, name, data) for name, data in files.items()]
        delivery = deliver(clients, [make.image_event(url, f"adversarial image {url}") for url in urls])
        assert delivery.response == {"batchItemFailures": []}
        yield {
            name: _result(clients, kept, None, files[name], ([], 0, 0))
            for name, kept in zip(files, delivery.stored, strict=True)
        }


@pytest.fixture(scope="module")
def via_upload(moto_endpoint: str, files: dict[str, bytes]) -> Iterator[dict[str, Result]]:
    """Each file through the upload path, one after another, noting what each left in the store."""
    with fresh_emulator(moto_endpoint, SETTINGS) as clients:
        results = {}
        for name, data in files.items():
            before = object_keys(clients), last_hour_count(counted(clients)), len(event_ids_in_table(clients))
            try:
                kept, refusal = ingest_upload(clients, data, name, "uploaded", datetime.now(UTC)), None
            except EventRejected as exc:
                kept, refusal = None, str(exc)
            results[name] = _result(clients, kept, refusal, data, before)
        yield results


def _result(
    clients: AwsClients, kept: StoredEvent | None, refusal: str | None, data: bytes,
    before: tuple[list[str], int, int],
) -> Result:
    thumbnail, preview, original_matches = None, None, False
    if kept is not None and kept.status is EventStatus.STORED:
        thumbnail = make.decoded(_read(clients, kept.thumbnail_key or ""))
        preview = make.decoded(_read(clients, kept.preview_key)) if kept.preview_key else None
        original = _read(clients, kept.original_key or "")
        original_matches = original == data and kept.sha256 == hashlib.sha256(data).hexdigest()
    keys, count, records = before
    return Result(kept, refusal, thumbnail, preview, original_matches, keys, object_keys(clients),
                  (count, last_hour_count(counted(clients))), (records, len(event_ids_in_table(clients))))


def _read(clients: AwsClients, key: str) -> bytes:
    return bytes(clients.s3.get_object(Bucket=clients.settings.bucket_name, Key=key)["Body"].read())


def check_stored(result: Result, case: Case) -> None:
    kept = result.stored
    assert kept is not None and kept.status is EventStatus.STORED, kept and kept.failure_reason
    assert case.size is not None and kept.width is not None and kept.height is not None
    assert (kept.width, kept.height, kept.frame_count) == (*case.size, case.frames)
    assert result.original_matches
    thumbnail = result.thumbnail
    assert thumbnail is not None and thumbnail.format == "WEBP"
    assert max(thumbnail.size) == min(SETTINGS.thumbnail_size, max(case.size))
    # Same shape as the picture as displayed (so turned upright), and the right pixels.
    assert (thumbnail.width >= thumbnail.height) == (kept.width >= kept.height)
    assert case.looks_right is not None and case.looks_right(thumbnail)
    # The preview, from the same decode: upright and right too, unless it would be the thumbnail again.
    preview = result.preview
    if max(case.size) <= SETTINGS.thumbnail_size:
        assert preview is None
        return
    assert preview is not None and preview.format == "WEBP"
    assert max(preview.size) == min(SETTINGS.preview_size, max(case.size))
    assert (preview.width >= preview.height) == (kept.width >= kept.height)
    assert case.looks_right(preview)


@pytest.mark.parametrize("name", CASES)
def test_an_image_sent_as_an_s3_event_is_stored_upright_or_failed_with_a_reason(
    via_stream: dict[str, Result], name: str
) -> None:
    case, result = CASES[name], via_stream[name]
    if case.expect == "stored":
        check_stored(result, case)
    else:
        kept = result.stored
        assert kept is not None and kept.status is EventStatus.FAILED
        assert re.search(case.expect, kept.failure_reason or ""), kept.failure_reason
        assert kept.original_key is None and kept.thumbnail_key is None


@pytest.mark.parametrize("name", CASES)
def test_an_uploaded_image_is_stored_upright_or_refused_writing_nothing(
    via_upload: dict[str, Result], name: str
) -> None:
    case, result = CASES[name], via_upload[name]
    if case.expect == "stored":
        check_stored(result, case)
        assert result.counts[1] == result.counts[0] + 1 and result.records[1] == result.records[0] + 1
    else:
        assert result.stored is None and re.search(case.expect, result.refusal or ""), result.refusal
        assert result.keys_after == result.keys_before  # no original, no thumbnail
        assert result.records[1] == result.records[0]  # no event record
        assert result.counts[1] == result.counts[0]  # nothing counted



# --- the robustness contract, on a generated corpus of damaged and hostile files of every format -------

# Any input file is stored with an upright thumbnail or failed with a reason, within 2 s and the memory
# budget: one decode at the pixel limit may take half the function's 1,024 MB, the rest is the batch's.
CORPUS_SECONDS = 2.0
CORPUS_MEMORY_MB = 512
CORPUS_CHILD_TIMEOUT = 240


def corpus() -> dict[str, bytes]:
    """Each accepted format's photo (turned by its Exif), damaged a dozen ways, and hostile files."""
    files: dict[str, bytes] = {}
    for fmt in make.EVERY_FORMAT:
        name = fmt.lower().replace(" ", "")
        original = make.oriented(make.asymmetric((96, 64)), fmt, 6)
        files[f"{name}-original"] = original
        for seed in range(size(1, 20)):  # make soak: twenty times the damage
            suffix = f"-{seed}" if seed else ""
            files |= {f"{name}-{damage}{suffix}": data
                      for damage, data in make.damaged(original, seed=len(files)).items()}
        side = 16383 if fmt == "WEBP" else 20000  # WebP's header holds 14 bits a side
        files[f"{name}-claims-{side}x{side}"] = make.claiming_size(fmt, side, side)
    if SOAK:  # the codecs at the pixel limit: ~350-400 MB each at their peak, and seconds to encode
        files |= {f"{fmt.lower().replace(' ', '')}-at-the-pixel-limit": at_the_pixel_limit(fmt)
                  for fmt in ("AVIF", "HEIC", "JPEG XL")}
    return files | {
        "jpegxl-claims-1e18-pixels": make.jxl_header_claiming(2**30, 2**30),
        "jpeg-orientation-9": make.with_exif(make.halves(), Orientation=9),
        "jpeg-garbage-profile": make.jpeg(icc_profile=bytes(range(256)) * 400),
        "jpeg-cut-profile": make.jpeg(icc_profile=make.display_p3()[:200]),
        "jpeg-cmyk-profile-on-rgb": make.jpeg(icc_profile=make.cmyk_profile()),
        "png-zeros-at-the-pixel-limit": make.encode(Image.new("RGB", (7000, 7000)), "PNG"),
        "gif-500-frames": make.encode(Image.new("P", (4, 4)), "GIF", save_all=True,
                                      append_images=[Image.new("P", (4, 4), i % 256) for i in range(499)]),
        "avif-sequence": make.encode(Image.new("RGB", (64, 48), "red"), make.codec("AVIF"), save_all=True,
                                     append_images=[Image.new("RGB", (64, 48), "blue")]),
        "heic-two-pictures": make.encode(Image.new("RGB", (64, 48), "red"), make.codec("HEIC"), save_all=True,
                                         append_images=[Image.new("RGB", (64, 48), "blue")]),
    }


def at_the_pixel_limit(fmt: str) -> bytes:
    """A grey ramp just under MAX_IMAGE_PIXELS, encoded fast (the decode is what is measured)."""
    side = int(Settings().max_image_pixels ** 0.5) - 1
    fast = {"AVIF": {"speed": 10}, "HEIC": {"quality": 50}, "JPEG XL": {"effort": 1}}[fmt]
    ramp = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    return make.encode(ramp, make.codec(fmt), **fast)


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Every corpus file through renditions(), in a child process: a crash or a hang cannot hide."""
    folder, output = tmp_path_factory.mktemp("corpus"), tmp_path_factory.mktemp("thumbnails")
    for name, data in corpus().items():
        (folder / name).write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "tests.reliability.corpus_child", str(folder), str(output)],
                          cwd=ROOT, capture_output=True, text=True, timeout=CORPUS_CHILD_TIMEOUT, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    results = {line["file"]: line | {"thumbnail": output / f"{line['file']}.webp"}
               for line in lines if "started" not in line}
    last = lines[-1] if lines else {}
    assert done.returncode == 0, f"the child died ({done.returncode}) on {last.get('file')}: {done.stderr}"
    assert set(results) == set(corpus()), "some files gave no result"
    return results


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="measures the peak RSS through /proc")
def test_every_corpus_file_is_stored_upright_or_failed_with_a_reason_in_time_and_memory(
    corpus_results: dict[str, dict[str, object]],
) -> None:
    bugs = {name: r["reason"] for name, r in corpus_results.items() if r["outcome"] == "bug"}
    slow = {name: round(float(str(r["seconds"])), 2) for name, r in corpus_results.items()
            if float(str(r["seconds"])) > CORPUS_SECONDS}
    heavy = {name: round(float(str(r["peak_mb"]))) for name, r in corpus_results.items()
             if float(str(r["peak_mb"])) > CORPUS_MEMORY_MB}
    report(f"image corpus: {len(corpus_results)} files, slowest "
           f"{max(float(str(r['seconds'])) for r in corpus_results.values()):.2f} s, largest peak RSS growth "
           f"{max(float(str(r['peak_mb'])) for r in corpus_results.values()):.0f} MB")
    assert (bugs, slow, heavy) == ({}, {}, {})
    for name, result in corpus_results.items():
        if result["outcome"] == "failed":
            assert len(str(result["reason"])) > 20, name
            continue
        width, height = cast(list[int], result["size"])
        thumbnail = make.decoded(cast(Path, result["thumbnail"]).read_bytes())
        assert max(thumbnail.size) == min(320, max(width, height)), name
        assert (thumbnail.width >= thumbnail.height) == (width >= height), name  # shown as displayed


def test_the_corpus_bombs_are_refused_and_intact_photos_stored_upright(
    corpus_results: dict[str, dict[str, object]],
) -> None:
    for fmt in make.EVERY_FORMAT:
        name = fmt.lower().replace(" ", "")
        assert corpus_results[f"{name}-original"]["outcome"] == "stored", name
        bomb = next(r for n, r in corpus_results.items() if n.startswith(f"{name}-claims-"))
        assert bomb["outcome"] == "failed", name
        assert re.search(r"^Image is \d+×\d+ = [\d,.]+ MP; the limit is", str(bomb["reason"])), bomb["reason"]
        intact = make.decoded(cast(Path, corpus_results[f"{name}-original"]["thumbnail"]).read_bytes())
        for appended in ("garbage-appended", "twice"):
            result = corpus_results[f"{name}-{appended}"]
            if result["outcome"] == "stored":  # the same picture as the intact file, or refused
                thumbnail = make.decoded(cast(Path, result["thumbnail"]).read_bytes())
                assert thumbnail.size == intact.size, (name, appended)
    assert corpus_results["png-zeros-at-the-pixel-limit"]["outcome"] == "stored"
    assert corpus_results["jpegxl-claims-1e18-pixels"]["outcome"] == "failed"
