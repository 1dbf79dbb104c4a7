"""Thumbnail benchmark on the phone photos (bench/corpus.py, Display P3): core's imaging vs naive full
decode + resize vs pyvips (one thread, colour managed, WebP at core's effort) vs the JPEG decode floor.
The synthetic noise picture is a labelled extra.

Run: `python -m bench.bench_thumbnails [--runs N]`. pyvips comes from requirements/bench.in.
"""

from __future__ import annotations

import argparse
import functools
import io
from collections.abc import Callable

from PIL import Image

from bench import corpus, peers
from bench.images import TWELVE_MP, encoded
from bench.stats import Timing, machine, measure
from core.imaging.renditions import THUMBNAIL_WEBP_METHOD, process_image
from core.settings import Settings

SETTINGS = Settings()
SIZE = SETTINGS.thumbnail_size


def ours(data: bytes) -> None:
    process_image(data, SETTINGS)


def naive(data: bytes) -> None:
    """What the earlier system did: decode everything, resize the full image, encode."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.resize((SIZE, SIZE * image.height // image.width), Image.Resampling.LANCZOS).save(
        io.BytesIO(), "WEBP", quality=80)


def vips(data: bytes) -> None:
    import pyvips

    pyvips.concurrency_set(1)
    thumbnail = pyvips.Image.thumbnail_buffer(data, SIZE, height=SIZE, size="down", output_profile="srgb")
    thumbnail.webpsave_buffer(Q=80, effort=THUMBNAIL_WEBP_METHOD, keep=0)


def decode_floor(data: bytes) -> None:
    """The least any Pillow thumbnail of this JPEG can cost: the draft-scaled decode alone."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (SIZE, SIZE))
    image.load()


VARIANTS: dict[str, Callable[[bytes], None]] = {
    "core (draft + thumbnail)": ours, "naive (full decode + resize)": naive,
    "pyvips thumbnail_buffer": vips, "decode floor (draft decode only)": decode_floor,
}
if not peers.has_pyvips():  # bench-only (requirements/bench.in); `make test`'s smoke run lacks it
    del VARIANTS["pyvips thumbnail_buffer"]


def inputs(scale: float) -> dict[str, bytes]:
    photos = {(photo.size, photo.format): photo.data for photo in corpus.cached(scale)
              if photo.profile == "Display P3"}
    synthetic = encoded((int(TWELVE_MP[0] * scale), int(TWELVE_MP[1] * scale)), "JPEG")
    return {"12 MP JPEG": photos["12 MP", "JPEG"], "2 MP JPEG": photos["2 MP", "JPEG"],
            "12 MP PNG": corpus.as_png(photos["12 MP", "JPEG"]),
            "12 MP synthetic noise JPEG (extra, not a photo)": synthetic}


def run(runs: int, scale: float = 1.0) -> dict[str, dict[str, Timing]]:
    return {name: {variant: measure(functools.partial(work, data), runs)
                   for variant, work in VARIANTS.items()}
            for name, data in inputs(scale).items()}


def report(results: dict[str, dict[str, Timing]]) -> str:
    lines = ["| input | " + " | ".join(VARIANTS) + " |", "| --- |" + " --- |" * len(VARIANTS)]
    for name, timings in results.items():
        lines.append(f"| {name} | " + " | ".join(timings[v].ms() for v in VARIANTS) + " |")
    jpeg = results["12 MP JPEG"]
    core = jpeg["core (draft + thumbnail)"].median
    vips_ratio = (f"{core / jpeg['pyvips thumbnail_buffer'].median:.2f}× pyvips"
                  if "pyvips thumbnail_buffer" in jpeg else "pyvips not installed (requirements/bench.in)")
    lines.append(
        f"\n12 MP JPEG (the P3 phone photo): core is "
        f"{core / jpeg['decode floor (draft decode only)'].median:.2f}× "
        f"the decode floor (target ≤ 1.25×), {vips_ratio} (target ≤ 1.1×), "
        f"{jpeg['naive (full decode + resize)'].median / core:.1f}× faster than naive (target ≥ 4×).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the inputs (smoke tests)")
    args = parser.parse_args()
    print(machine())
    print(report(run(args.runs, args.scale)))


if __name__ == "__main__":
    main()
