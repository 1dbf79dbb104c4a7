"""Renditions benchmark, per format: core's thumbnail + preview from one decode of the 12 MP Display P3 phone
photo (bench/corpus.py), against the decode floor of that format and against pyvips at matched settings
(bench/peers.py) where it reads the format. The synthetic noise picture is a labelled extra.

The floor is the least any Pillow-based rendition of the file can cost: the decode alone, at the scale the
preview needs where the codec can decode smaller (JPEG's draft), else the full decode (PNG, HEIC, AVIF and
JPEG XL have no reduced decode: HEIC's embedded thumbnails are far smaller than a preview).
Run: `python -m bench.bench_renditions [--runs N] [--scale S]`. pyvips comes from requirements/bench.in.
"""

from __future__ import annotations

import argparse
import functools
import io
from collections.abc import Callable

from PIL import Image

from bench import corpus, peers
from bench.images import TWELVE_MP, encoded
from bench.stats import Timing, machine, measure_interleaved
from core.imaging.renditions import renditions
from core.settings import Settings

SETTINGS = Settings()
FORMATS = {"JPEG": "JPEG", "HEIC": "HEIF", "AVIF": "AVIF", "JPEG XL": "JXL", "PNG": "PNG"}  # name -> Pillow's
TARGETS = {"JPEG": 1.25}  # × the floor; every other format 1.3×
OTHERS = 1.3


def ours(data: bytes) -> None:
    renditions(data, SETTINGS)


def decode_floor(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        preview = SETTINGS.preview_size
        image.draft("RGB", (preview, preview))  # only JPEG decodes smaller; for the others this does nothing
        image.load()


def vips(data: bytes) -> None:
    peers.pyvips_renditions(data, SETTINGS)


def _vips_reads(data: bytes) -> bool:
    try:
        vips(data)
    except Exception:  # pyvips raises its own Error for a format it does not read
        return False
    return True


def inputs(scale: float) -> dict[str, tuple[str, bytes]]:
    """The 12 MP Display P3 phone photo of the corpus in each format (PNG made from the JPEG), and the
    synthetic noise picture as a labelled extra: label -> (format, file)."""
    photos = {(photo.size, photo.format): photo.data for photo in corpus.cached(scale)
              if photo.profile == "Display P3"}
    files = {}
    for name in FORMATS:
        data = corpus.as_png(photos["12 MP", "JPEG"]) if name == "PNG" else photos["12 MP", name]
        files[f"12 MP {name} P3" if scale == 1 else f"{name} ×{scale}"] = (name, data)
    synthetic = encoded((int(TWELVE_MP[0] * scale), int(TWELVE_MP[1] * scale)), "JPEG")
    return files | {"12 MP synthetic noise JPEG (extra, not a photo)": ("JPEG", synthetic)}


VARIANTS: dict[str, Callable[[bytes], None]] = {
    "core renditions (preview + thumbnail)": ours, "decode floor": decode_floor,
    "pyvips (preview + thumbnail)": vips,
}


def run(runs: int, scale: float) -> dict[str, tuple[str, int, dict[str, Timing | None]]]:
    results: dict[str, tuple[str, int, dict[str, Timing | None]]] = {}
    for name, (fmt, data) in inputs(scale).items():
        works = {variant: functools.partial(work, data) for variant, work in VARIANTS.items()
                 if work is not vips or _vips_reads(data)}
        timings = measure_interleaved(works, runs)
        results[name] = (fmt, len(data), {variant: timings.get(variant) for variant in VARIANTS})
    return results


def report(results: dict[str, tuple[str, int, dict[str, Timing | None]]]) -> str:
    ratios = " | × floor, CPU (target) | × floor, wall | × pyvips, CPU |"
    lines = ["| input | size | " + " | ".join(VARIANTS) + ratios,
             "| --- | ---: |" + " --- |" * len(VARIANTS) + " ---: | ---: | ---: |"]
    for name, (fmt, size, timings) in results.items():
        core, floor, vips_timing = (timings[v] for v in VARIANTS)
        assert core is not None and floor is not None and core.cpu is not None and floor.cpu is not None
        target = TARGETS.get(fmt, OTHERS)
        ratio = core.cpu / max(floor.cpu, 1e-9)
        versus_vips = (f"{core.cpu / vips_timing.cpu:.2f}×" if vips_timing and vips_timing.cpu
                       else "does not read it" if peers.has_pyvips() else "not installed")
        cells = " | ".join(f"{t.ms()}, CPU {t.cpu * 1000:.0f} ms" if t and t.cpu is not None else "—"
                           for t in timings.values())
        verdict = "met" if ratio <= target else "not met"
        lines.append(f"| {name} | {size / 1e6:.1f} MB | {cells} | **{ratio:.2f}×** (≤ {target}×, {verdict}) "
                     f"| {core.median / floor.median:.2f}× | {versus_vips} |")
    return "\n".join(lines) + (
        "\n\nWall time: median (min–max). The targets are judged on CPU time (this process, all its "
        "threads): on this shared machine it hardly sees other work, and a Lambda function's throughput is "
        "its CPU.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the inputs (smoke tests)")
    args = parser.parse_args()
    print(machine())
    print(report(run(args.runs, args.scale)))


if __name__ == "__main__":
    main()
