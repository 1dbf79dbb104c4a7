"""The real-photo benchmark corpus: natural photos as a phone writes them, made from the photos scikit-image
ships in its wheel (no download: read from the installed package's files, never through its fetcher).

Each picture is a 2×2 mosaic of four photos (coffee, cat, astronaut, rocket launch), each scaled to fill its
quarter, at 2 MP (1632×1224) and 12 MP (4032×3024, an iPhone's size). Like a phone's, the pixels are stored
landscape with Exif orientation 6 (shown portrait), and the Exif holds the make, model, lens, times,
exposure and a GPS position. Files: JPEG q90 tagged Display P3 (the phone's default) and sRGB, and the P3
picture as HEIC (stored upright, as libheif writes it), AVIF, and JPEG XL (the P3 JPEG recompressed
losslessly). The source photos are 512–640 px, so the larger sizes are smoother than a
camera's pixels; the benchmark's synthetic noise picture stays beside them as a labelled extra.

`python -m bench.corpus [--scale S] [--out DIR]` writes the files and lists them.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import ExifTags, Image, ImageCms
from PIL import __version__ as pillow_version
from PIL.TiffImagePlugin import IFDRational as Fraction

from core.imaging.decoding import register_codecs
from tests.factories import display_p3

PHOTOS = ("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg")  # in skimage/data/ of the wheel
SIZES = {"2 MP": (1632, 1224), "12 MP": (4032, 3024)}
ORIENTATION = 6  # the camera held upright: stored landscape, shown rotated 90° clockwise
# Pillow's format name and the options a phone-like encoder would use; the P3 picture in each.
# JPEG XL is the P3 JPEG recompressed losslessly (as JPEG XL adopters convert): the plugin's encoder from
# pixels cannot embed an ICC profile, so a lossy P3 JPEG XL cannot be made with it.
ENCODINGS = {"JPEG": ("JPEG", {"quality": 90}), "HEIC": ("HEIF", {"quality": 90}),
             "AVIF": ("AVIF", {"quality": 90, "speed": 8})}


@dataclass(frozen=True)
class Photo:
    name: str  # "12 MP JPEG P3"
    size: str  # "12 MP"
    format: str  # "JPEG"
    profile: str  # "Display P3" or "sRGB"
    data: bytes


def source_photos() -> list[Image.Image]:
    """The four natural photos, read from scikit-image's installed data folder."""
    folder = resources.files("skimage") / "data"
    return [Image.open(io.BytesIO((folder / name).read_bytes())).convert("RGB") for name in PHOTOS]


def mosaic(size: tuple[int, int], photos: list[Image.Image]) -> Image.Image:
    """The photos in a 2×2 grid of `size`, each scaled (LANCZOS) and centre-cropped to fill its quarter."""
    canvas = Image.new("RGB", size)
    width, height = size[0] // 2, size[1] // 2
    for index, picture in enumerate(photos[:4]):
        scale = max(width / picture.width, height / picture.height)
        scaled = picture.resize((round(picture.width * scale), round(picture.height * scale)),
                                Image.Resampling.LANCZOS)
        left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
        canvas.paste(scaled.crop((left, top, left + width, top + height)),
                     ((index % 2) * width, (index // 2) * height))
    return canvas


def phone_exif() -> Image.Exif:
    """Exif as a phone writes it: camera, software, times with offset, exposure, lens, GPS, orientation."""
    exif = Image.Exif()
    exif.update({ExifTags.Base.Make: "Apple", ExifTags.Base.Model: "iPhone 15 Pro",
                 ExifTags.Base.Software: "17.4.1", ExifTags.Base.DateTime: "2026:05:02 18:41:07",
                 ExifTags.Base.Orientation: ORIENTATION, ExifTags.Base.XResolution: 72,
                 ExifTags.Base.YResolution: 72, ExifTags.Base.ResolutionUnit: 2})
    exif.get_ifd(ExifTags.IFD.Exif).update({
        ExifTags.Base.DateTimeOriginal: "2026:05:02 18:41:07", ExifTags.Base.OffsetTimeOriginal: "+02:00",
        ExifTags.Base.ExposureTime: Fraction(1, 120), ExifTags.Base.FNumber: Fraction(178, 100),
        ExifTags.Base.ISOSpeedRatings: 80, ExifTags.Base.FocalLength: Fraction(6765, 1000),
        ExifTags.Base.FocalLengthIn35mmFilm: 24, ExifTags.Base.LensMake: "Apple",
        ExifTags.Base.LensModel: "iPhone 15 Pro back triple camera 6.765mm f/1.78",
        ExifTags.Base.ColorSpace: 65535})  # 65535: uncalibrated, as phones write for P3
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (Fraction(48), Fraction(51), Fraction(296, 10)),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (Fraction(2), Fraction(17), Fraction(402, 10)),
        ExifTags.GPS.GPSAltitudeRef: b"\0", ExifTags.GPS.GPSAltitude: Fraction(3512, 100)})
    return exif


def stored_in_p3(size: tuple[int, int], photos: list[Image.Image]) -> Image.Image:
    """The mosaic shown at `size` (portrait), stored as the camera stores it: landscape, turned a quarter
    counter-clockwise as orientation 6 says, its pixels in Display P3."""
    picture = mosaic(size, photos).transpose(Image.Transpose.ROTATE_90)
    to_p3 = ImageCms.buildTransform(ImageCms.createProfile("sRGB"),
                                    ImageCms.ImageCmsProfile(io.BytesIO(display_p3())), "RGB", "RGB")
    in_p3 = ImageCms.applyTransform(picture, to_p3)
    assert in_p3 is not None
    return in_p3


def build(scale: float = 1.0) -> list[Photo]:
    """Every corpus file, made in memory: per size, JPEG P3, JPEG sRGB, then HEIC, AVIF, JPEG XL (P3)."""
    register_codecs()
    photos, exif = source_photos(), phone_exif().tobytes()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    p3_bytes = display_p3()
    corpus = []
    for size_name, (width, height) in SIZES.items():
        shown = (max(8, round(height * scale)), max(8, round(width * scale)))
        stored = mosaic(shown, photos).transpose(Image.Transpose.ROTATE_90)
        in_p3 = stored_in_p3(shown, photos)
        for fmt, (pillow_format, options) in ENCODINGS.items():
            data = _encoded(in_p3, pillow_format, options, p3_bytes, exif)
            corpus.append(Photo(f"{size_name} {fmt} P3", size_name, fmt, "Display P3", data))
            if fmt == "JPEG":
                p3_jpeg = data
                data = _encoded(stored, pillow_format, options, srgb.tobytes(), exif)
                corpus.append(Photo(f"{size_name} JPEG sRGB", size_name, fmt, "sRGB", data))
        jxl = _jxl_from(p3_jpeg)
        corpus.append(Photo(f"{size_name} JPEG XL P3", size_name, "JPEG XL", "Display P3", jxl))
    return corpus


CACHE = Path(__file__).resolve().parents[1] / "build" / "bench-corpus"


def cached(scale: float = 1.0) -> list[Photo]:
    """The corpus, built once per scale and kept in build/bench-corpus/ until this code or Pillow changes
    (the 12 MP HEIC, AVIF and JPEG XL take most of a minute to encode)."""
    recipe = b"".join(Path(module).read_bytes() for module in (__file__, display_p3.__code__.co_filename))
    key = hashlib.sha256(recipe + f"{scale} {pillow_version}".encode()).hexdigest()[:16]
    folder = CACHE / key
    index = folder / "index.json"
    if index.exists():
        entries = json.loads(index.read_text())
        return [Photo(**entry, data=(folder / entry["name"]).read_bytes()) for entry in entries]
    corpus = build(scale)
    folder.mkdir(parents=True, exist_ok=True)
    for photo in corpus:
        (folder / photo.name).write_bytes(photo.data)
    index.write_text(json.dumps([{"name": p.name, "size": p.size, "format": p.format, "profile": p.profile}
                                 for p in corpus]))
    return corpus


def as_png(photo: bytes) -> bytes:
    """A corpus photo's pixels, profile and Exif as PNG (screenshots and exports, not cameras, make PNGs)."""
    with Image.open(io.BytesIO(photo)) as image:
        buffer = io.BytesIO()
        image.save(buffer, "PNG", icc_profile=image.info.get("icc_profile"), exif=image.getexif())
    return buffer.getvalue()


def _jxl_from(jpeg: bytes) -> bytes:
    """The JPEG recompressed losslessly into JPEG XL (the plugin transcodes only from a file on disk)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        path.write_bytes(jpeg)
        with Image.open(path) as source:
            buffer = io.BytesIO()
            source.save(buffer, "JXL", lossless_jpeg=True)
    return buffer.getvalue()


def _encoded(picture: Image.Image, fmt: str, options: dict[str, int], icc: bytes, exif: bytes) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, icc_profile=icc, exif=exif, **options)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the pictures (smoke tests)")
    parser.add_argument("--out", type=Path, default=None, help="write the files into this folder")
    args = parser.parse_args()
    for photo in build(args.scale):
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / (photo.name.replace(" ", "-") + "." + photo.format.replace(" ", "").lower())
             ).write_bytes(photo.data)
        print(f"{photo.name}: {len(photo.data) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
