"""Each benchmark runs once on tiny inputs, so `make bench` cannot rot between releases."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from PIL import ExifTags, Image, ImageCms

from bench import corpus
from core.imaging.decoding import register_codecs

ROOT = Path(__file__).resolve().parents[2]
PILLOW_NAMES = {"JPEG": "JPEG", "HEIC": "HEIF", "AVIF": "AVIF", "JPEG XL": "JXL"}


def test_every_benchmark_runs_on_tiny_inputs_and_reports(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    text = output.read_text()
    sections = ("## Thumbnails", "## Renditions per format", "## Renditions of phone photos",
                "## Rendition options on phone photos", "## Lambda zip", "## Consumer", "## Dashboard",
                "## Slow hosts in a batch")
    for section in sections:
        assert section in text
    assert "decode floor" in text and "calls per refresh" in text
    assert "### Capacity that counts compute" in text and "cost per million stored events" in text
    for fmt in ("JPEG", "HEIC", "AVIF", "JPEG XL", "PNG"):
        assert f"| {fmt} ×0.05 |" in text
    for photo in ("2 MP JPEG P3", "12 MP JPEG sRGB", "12 MP HEIC P3", "12 MP AVIF P3", "12 MP JPEG XL P3"):
        assert f"| {photo} |" in text
    assert "| 12 MP JPEG P3 | before (preview BICUBIC, thumbnail LANCZOS) |" in text


def test_the_corpus_is_phone_photos_in_every_format_with_p3_or_srgb_and_a_phone_s_exif() -> None:
    register_codecs()
    photos = corpus.build(scale=0.02)
    assert [photo.name for photo in photos] == [
        f"{size} {fmt}" for size in ("2 MP", "12 MP")
        for fmt in ("JPEG P3", "JPEG sRGB", "HEIC P3", "AVIF P3", "JPEG XL P3")]
    for photo in photos:
        with Image.open(io.BytesIO(photo.data)) as image:
            assert image.format == PILLOW_NAMES[photo.format]
            profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
            assert ImageCms.getProfileDescription(profile).startswith(photo.profile), photo.name
            exif = image.getexif()
            assert exif[ExifTags.Base.Make] == "Apple" and ExifTags.IFD.GPSInfo in exif
            # Stored landscape and turned by Exif, or stored upright where the container turns (HEIC).
            turned = exif.get(ExifTags.Base.Orientation) == corpus.ORIENTATION
            assert (image.width > image.height) == turned
