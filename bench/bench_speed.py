"""Rendition options on the phone-photo corpus: CPU per photo against what shipped before, and quality per
byte (SSIM at the bytes the shipped pipeline spends) against it, to choose how previews and thumbnails are
made. Each option is the same pipeline as core.imaging.renditions with one thing changed; "core now" is the
real thing.

Run: `python -m bench.bench_speed [--runs N] [--scale S]`.
"""

from __future__ import annotations

import argparse
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from bench import corpus, quality
from bench.stats import Timing, machine, measure_interleaved
from core.imaging import colour, decoding, exif
from core.imaging.renditions import renditions
from core.settings import Settings

SETTINGS = Settings()
INPUTS = ("12 MP JPEG P3", "2 MP JPEG P3")
BOUND = 0.99  # SSIM at equal bytes must stay within 1 % of the shipped pipeline's
R = Image.Resampling


@dataclass(frozen=True)
class Option:
    """How the preview and the thumbnail are made; the defaults are what shipped before issue 21."""

    resample: Image.Resampling = R.BICUBIC
    gap: float = 1.5
    preview_format: str = "WEBP"
    preview_quality: int = 80
    thumbnail_resample: Image.Resampling = R.LANCZOS
    thumbnail_gap: float = 2.0
    thumbnail_method: int = 2

    def encode_preview(self, picture: Image.Image, quality_: int | None = None) -> bytes:
        buffer = io.BytesIO()
        options = {"method": 0} if self.preview_format == "WEBP" else {}
        picture.save(buffer, self.preview_format, quality=quality_ or self.preview_quality, **options)
        return buffer.getvalue()

    def thumbnail(self, preview: Image.Image) -> Image.Image:
        smaller = preview.copy()
        smaller.thumbnail((SETTINGS.thumbnail_size,) * 2, self.thumbnail_resample, self.thumbnail_gap)
        return smaller

    def encode_thumbnail(self, picture: Image.Image, quality_: int = 80) -> bytes:
        buffer = io.BytesIO()
        picture.save(buffer, "WEBP", quality=quality_, method=self.thumbnail_method)
        return buffer.getvalue()


BEFORE = Option()
OPTIONS = {
    "before (preview BICUBIC, thumbnail LANCZOS)": BEFORE,
    "preview HAMMING": Option(resample=R.HAMMING),
    "preview BILINEAR": Option(resample=R.BILINEAR),
    "preview and thumbnail HAMMING (shipped)": Option(resample=R.HAMMING, thumbnail_resample=R.HAMMING),
    "preview HAMMING, thumbnail box + BILINEAR": Option(resample=R.HAMMING, thumbnail_resample=R.BILINEAR,
                                                        thumbnail_gap=1.0),
    "shipped, thumbnail WebP method 0": Option(resample=R.HAMMING, thumbnail_resample=R.HAMMING,
                                               thumbnail_method=0),
    "shipped, preview JPEG q85 (libjpeg-turbo)": Option(resample=R.HAMMING, thumbnail_resample=R.HAMMING,
                                                        preview_format="JPEG", preview_quality=85),
    "shipped, preview JPEG q70 (about WebP's bytes)": Option(
        resample=R.HAMMING, thumbnail_resample=R.HAMMING, preview_format="JPEG", preview_quality=70),
}


def upright_preview(data: bytes, option: Option) -> Image.Image:
    """core's steps up to the preview's pixels: drafted decode, resample, sRGB, upright."""
    with Image.open(io.BytesIO(data)) as image:
        icc = image.info.get("icc_profile")
        picture = decoding.decoded(image, SETTINGS.preview_size, 1.0)
        picture.thumbnail((SETTINGS.preview_size,) * 2, option.resample, option.gap)
        picture.load()  # a picture already small enough is not resampled, and still lazy
        turn = exif.orientation(image, exif.read(image))
    picture = colour.to_srgb(picture, icc)
    return picture.transpose(exif.UPRIGHT[turn]) if turn in exif.UPRIGHT else picture


def pipeline(data: bytes, option: Option) -> tuple[bytes, bytes]:
    preview = upright_preview(data, option)
    return option.encode_preview(preview), option.encode_thumbnail(option.thumbnail(preview))


def core_now(data: bytes) -> tuple[bytes, bytes]:
    made = renditions(data, SETTINGS)
    return made.preview.data, made.thumbnail.data


def floor(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        decoding.decoded(image, SETTINGS.preview_size, 1.0).load()


def webp_floor(data: bytes) -> None:
    """Decode, then WebP-encode a preview-sized picture (resized by the cheapest filter, NEAREST)."""
    with Image.open(io.BytesIO(data)) as image:
        picture = decoding.decoded(image, SETTINGS.preview_size, 1.0)
        picture.thumbnail((SETTINGS.preview_size,) * 2, R.NEAREST)
        picture.load()
    BEFORE.encode_preview(picture)


@dataclass(frozen=True)
class Quality:
    preview_bytes: int
    preview_ssim: float  # at the option's own bytes
    preview_at_equal_bytes: float  # SSIM at the bytes the shipped pipeline spends
    thumbnail_bytes: int
    thumbnail_at_equal_bytes: float


def judge(data: bytes, option: Option, before: tuple[int, int]) -> Quality:
    preview = upright_preview(data, option)
    expected = quality.reference(data, preview.size)
    encoded = option.encode_preview(preview)
    thumbnail = option.thumbnail(preview)
    small = quality.reference(data, thumbnail.size)
    preview_at = quality.ssim_at_bytes(functools.partial(option.encode_preview, preview), expected, before[0])
    encode_thumbnail = functools.partial(option.encode_thumbnail, thumbnail)
    thumbnail_at = quality.ssim_at_bytes(encode_thumbnail, small, before[1])
    return Quality(len(encoded), quality.ssim(encoded, expected), preview_at,
                   len(option.encode_thumbnail(thumbnail)), thumbnail_at)


def run(runs: int, scale: float) -> dict[str, tuple[dict[str, Timing], dict[str, Quality]]]:
    photos = {photo.name: photo.data for photo in corpus.cached(scale)}
    results = {}
    for name in INPUTS:
        data = photos[name]
        works: dict[str, Callable[[], object]] = {
            label: functools.partial(pipeline, data, option) for label, option in OPTIONS.items()}
        works |= {"core now": functools.partial(core_now, data),
                  "decode floor": functools.partial(floor, data),
                  "decode + WebP preview alone": functools.partial(webp_floor, data)}
        timings = measure_interleaved(works, runs)
        preview, thumbnail = pipeline(data, BEFORE)
        before = (len(preview), len(thumbnail))
        grades = {label: judge(data, option, before) for label, option in OPTIONS.items()}
        results[name] = (timings, grades)
    return results


def report(results: dict[str, tuple[dict[str, Timing], dict[str, Quality]]]) -> str:
    lines = ["| photo | pipeline | CPU ms, median (min–max) | × before | preview bytes | preview SSIM "
             "| preview SSIM at equal bytes, × before | thumbnail SSIM at equal bytes, × before |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, (timings, grades) in results.items():
        base = timings[next(iter(OPTIONS))]
        base_grade = grades[next(iter(OPTIONS))]
        for label, timing in timings.items():
            grade = grades.get(label)
            cells = ["—"] * 4
            if grade:
                preview_ratio = grade.preview_at_equal_bytes / base_grade.preview_ssim
                thumbnail_ratio = grade.thumbnail_at_equal_bytes / base_grade.thumbnail_at_equal_bytes
                cells = [f"{grade.preview_bytes / 1000:.0f} kB", f"{grade.preview_ssim:.4f}",
                         _bounded(preview_ratio), _bounded(thumbnail_ratio)]
            row = [name, label, _cpu(timing), _ratio(timing, base), *cells]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + (
        "\n\nCPU time of this process. SSIM at equal bytes: each option's encoder run at several qualities, "
        "its SSIM interpolated at the bytes the shipped pipeline spends (bench/quality.py); the bound is "
        f"≥ {BOUND}× (within 1 %).")


def _cpu(timing: Timing) -> str:
    assert timing.cpu is not None
    return timing.cpu_ms()


def _ratio(timing: Timing, base: Timing) -> str:
    assert timing.cpu is not None and base.cpu is not None
    return f"{timing.cpu / base.cpu:.2f}×"


def _bounded(ratio: float) -> str:
    return f"{ratio:.3f}× ({'met' if ratio >= BOUND else 'not met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # 15 rounds: the options differ by 5-15 ms in 100-150, less than a busy machine's spread over 7.
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the corpus (smoke tests)")
    args = parser.parse_args()
    print(machine())
    print(report(run(args.runs, args.scale)))


if __name__ == "__main__":
    main()

