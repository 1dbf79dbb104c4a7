"""Thumbnail benchmark: core's imaging vs naive full decode + resize vs pyvips vs the JPEG decode floor.

Run: `python -m bench.bench_thumbnails [--runs N]`. pyvips comes from requirements/bench.in.
"""

from __future__ import annotations

import argparse
import functools
import io
from collections.abc import Callable

from PIL import Image

from bench.images import TWELVE_MP, TWO_MP, encoded
from bench.stats import Timing, machine, measure
from core.imaging.renditions import process_image
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

    pyvips.Image.thumbnail_buffer(data, SIZE).webpsave_buffer(Q=80)


def decode_floor(data: bytes) -> None:
    """The least any Pillow thumbnail of this JPEG can cost: the draft-scaled decode alone."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (SIZE, SIZE))
    image.load()


def _has_pyvips() -> bool:
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but libvips is not
        return False
    return True


VARIANTS: dict[str, Callable[[bytes], None]] = {
    "core (draft + thumbnail)": ours, "naive (full decode + resize)": naive,
    "pyvips thumbnail_buffer": vips, "decode floor (draft decode only)": decode_floor,
}
if not _has_pyvips():  # a bench-only dependency (requirements/bench.in); `make test`'s smoke run lacks it
    del VARIANTS["pyvips thumbnail_buffer"]


def run(runs: int, scale: float = 1.0) -> dict[str, dict[str, Timing]]:
    inputs = {
        "12 MP JPEG": encoded(_scaled(TWELVE_MP, scale), "JPEG"),
        "2 MP JPEG": encoded(_scaled(TWO_MP, scale), "JPEG"),
        "12 MP PNG": encoded(_scaled(TWELVE_MP, scale), "PNG"),
    }
    return {name: {variant: measure(functools.partial(work, data), runs)
                   for variant, work in VARIANTS.items()}
            for name, data in inputs.items()}


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return int(size[0] * scale), int(size[1] * scale)


def report(results: dict[str, dict[str, Timing]]) -> str:
    lines = ["| input | " + " | ".join(VARIANTS) + " |", "| --- |" + " --- |" * len(VARIANTS)]
    for name, timings in results.items():
        lines.append(f"| {name} | " + " | ".join(timings[v].ms() for v in VARIANTS) + " |")
    jpeg = results["12 MP JPEG"]
    core = jpeg["core (draft + thumbnail)"].median
    vips_ratio = (f"{core / jpeg['pyvips thumbnail_buffer'].median:.2f}× pyvips"
                  if "pyvips thumbnail_buffer" in jpeg else "pyvips not installed (requirements/bench.in)")
    lines.append(
        f"\n12 MP JPEG: core is {core / jpeg['decode floor (draft decode only)'].median:.2f}× "
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
