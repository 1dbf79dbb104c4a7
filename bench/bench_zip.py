"""The Lambda zip's size, and what each part adds to it (compressed bytes in the zip), codecs apart.

Run: `python -m bench.bench_zip [--existing]`: builds dist/lambda_consumer.zip as `make lambda-zip` does
(x86_64), or with --existing reads the one already built (the smoke test's way: no package index needed).
"""

from __future__ import annotations

import argparse
import zipfile
from collections import Counter
from pathlib import Path

from bench.stats import machine
from tools.lambda_zip import ROOT, ZIP_PATH, build_zip

TARGET_MB = 25.0
# Each part, by how its entries' paths start (first match wins; "other" for the rest).
PARTS = {
    "HEIC: pillow-heif (libheif, libde265 decoder)": ("pillow_heif", "_pillow_heif"),
    "JPEG XL: pillow-jxl-plugin (libjxl, static)": ("pillow_jxl",),
    "packaging (pillow-jxl-plugin needs it)": ("packaging",),
    "AVIF: libavif with dav1d and aom, in Pillow's own wheel": ("pillow.libs/libavif", "PIL/_avif"),
    "Pillow, the rest": ("PIL", "pillow"),
    "pydantic, pydantic-core, pydantic-settings": ("pydantic", "typing_", "annotated_types", "dotenv",
                                                   "python_dotenv"),
    "Powertools": ("aws_lambda_powertools", "jmespath"),
    "core and lambda_consumer (ours)": ("core/", "lambda_consumer/"),
}
X265 = "pillow_heif.libs/libx265"  # linked by libheif, though we only decode


def sizes(zip_path: Path) -> tuple[Counter[str], int, int]:
    """Compressed bytes per part, the x265 encoder's share, and the zip's size on disk."""
    parts: Counter[str] = Counter()
    x265 = 0
    with zipfile.ZipFile(zip_path) as archive:
        for entry in archive.infolist():
            name = entry.filename
            part = next((part for part, starts in PARTS.items() if name.startswith(starts)), "other")
            parts[part] += entry.compress_size
            x265 += entry.compress_size if name.startswith(X265) else 0
    return parts, x265, zip_path.stat().st_size


def report(zip_path: Path | None) -> str:
    if zip_path is None or not zip_path.exists():
        return "No zip built: run `make lambda-zip` first (or this benchmark without --existing)."
    parts, x265, total = sizes(zip_path)
    lines = ["| part of the zip | compressed |", "| --- | ---: |"]
    lines += [f"| {name} | {parts[name] / 1e6:.2f} MB |" for name in [*PARTS, "other"] if parts[name]]
    verdict = "met" if total / 1e6 <= TARGET_MB else "not met"
    lines.append(f"| **the zip** | **{total / 1e6:.1f} MB** (target ≤ {TARGET_MB:g} MB, {verdict}) |")
    codecs = sum(parts[name] for name in list(PARTS)[:4])
    lines.append(f"\nThe codecs together: {codecs / 1e6:.1f} MB. Of HEIC's share, {x265 / 1e6:.1f} MB is "
                 "the x265 encoder, which libheif links although we only decode.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--existing", action="store_true", help=f"read {ZIP_PATH}, do not build it")
    args = parser.parse_args()
    print(machine())
    zip_path = ROOT / ZIP_PATH if args.existing else build_zip()[0]
    print(report(zip_path))


if __name__ == "__main__":
    main()
