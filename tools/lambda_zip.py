"""`make lambda-zip`: the functions' deployment zip for Lambda's Python 3.12 runtime.

Inside: the binary wheels pinned (with hashes) by requirements/lambda.txt for the chosen architecture
(manylinux, CPython 3.12), then the `core`, `lambda_consumer` and `lambda_aggregator` packages, without
core's operator tools and log reader (LEFT_OUT); at the top, the project's LICENSE and the THIRD_PARTY_NOTICES
of those wheels. Nothing else: no local/, tests, moto, streamlit or pandas, and no boto3 (the runtime has
it). Both functions use it: handlers lambda_consumer.handler.handler and lambda_aggregator.handler.handler.
`--codecs permissive` leaves out the GPL-licensed codecs (HEIC and JPEG XL are then refused, with the reason).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from core.imaging.formats import GPL_CODECS
from tools import notices
from tools.locks import without
from tools.wheels import ARCHES, compile_bytecode, installed, interpreter

ROOT = Path(__file__).resolve().parents[1]
ZIP_PATH = "dist/lambda_consumer.zip"
REQUIREMENTS = ROOT / "requirements" / "lambda.txt"
RUNTIME_PYTHON = "3.12"
CODECS = ("full", "permissive")  # permissive: without the GPL-licensed codecs (formats.GPL_CODECS)
SOURCES = ("core", "lambda_consumer", "lambda_aggregator")
# Parts of core the functions never run: operator tools (`python -m core`) and the dashboard's log reader.
LEFT_OUT = ("core/ops", "core/logs", "core/__main__.py")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # same bytes for the same inputs


def requirements(codecs: str, build_root: Path) -> Path:
    """The lock the zip installs: requirements/lambda.txt, or for a permissive build the same without the GPL
    codecs and what only they need (pillow-jxl-plugin's packaging)."""
    if codecs == "full":
        return REQUIREMENTS
    narrowed, _ = without(REQUIREMENTS.read_text(), [codec.distribution for codec in GPL_CODECS])
    build_root.mkdir(parents=True, exist_ok=True)
    path = build_root / "lambda-permissive.txt"
    path.write_text(narrowed)
    return path


def stage(arch: str, python_version: str, build_root: Path, codecs: str) -> tuple[Path, bool]:
    """A fresh folder holding the zip's tree; True if it holds bytecode."""
    python = interpreter(python_version)
    deps = installed(requirements(codecs, build_root), arch, python_version, build_root, python)
    staged = Path(tempfile.mkdtemp(prefix=f"lambda-{arch}-py{python_version}.", dir=build_root)) / "task"
    shutil.copytree(deps, staged)
    for package in SOURCES:
        shutil.copytree(ROOT / package, staged / package, ignore=_not_shipped)
        if python:
            compile_bytecode(staged / package, python, staged)
    shutil.copy(ROOT / "LICENSE", staged / "LICENSE")
    notices.write(deps, staged / notices.FILE_NAME,
                  f"the Lambda zip (make lambda-zip: {arch}, Python {python_version}, CODECS={codecs})")
    return staged, python is not None


def build_zip(
    arch: str = "x86_64", python_version: str = RUNTIME_PYTHON, output: Path | str = ZIP_PATH,
    build_root: Path | str = "build", codecs: str = "full",
) -> tuple[Path, bool]:
    """Build the zip at `output` (relative to the project root); its path, and whether it has bytecode."""
    staged, compiled = stage(arch, python_version, ROOT / build_root, codecs)
    zip_path = ROOT / output
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_name(f"{zip_path.name}.{os.getpid()}.partial")
    try:
        _write_zip(staged, partial)
        partial.replace(zip_path)
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return zip_path, compiled


def _write_zip(folder: Path, zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in _files(folder):
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.external_attr = 0o100644 << 16  # a regular file Lambda's sandbox user can read
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=6)


def _files(folder: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(folder).as_posix()


def _not_shipped(directory: str, names: list[str]) -> set[str]:
    here = Path(directory).relative_to(ROOT)
    return {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".txt"))
            or (here / name).as_posix() in LEFT_OUT}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", choices=sorted(ARCHES), default="x86_64")
    parser.add_argument("--python-version", default=RUNTIME_PYTHON, help="Lambda runtime (default 3.12)")
    parser.add_argument("--output", default=ZIP_PATH)
    parser.add_argument("--codecs", choices=CODECS, default="full",
                        help="permissive: without the GPL-licensed codecs (docs/licences.md)")
    args = parser.parse_args()
    path, compiled = build_zip(args.arch, args.python_version, args.output, codecs=args.codecs)
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT)}: {size / 1_000_000:.1f} MB ({size} bytes), {args.arch}, "
          f"Python {args.python_version}; handlers lambda_consumer.handler.handler, "
          "lambda_aggregator.handler.handler")
    if args.codecs == "full":
        print("It carries GPL-licensed codecs (THIRD_PARTY_NOTICES inside names them); CODECS=permissive "
              "builds it without them, refusing HEIC and JPEG XL (docs/licences.md).")
    else:
        print("Without the GPL-licensed codecs: HEIC and JPEG XL images are refused, with the reason.")
    if not compiled:
        print(f"No python{args.python_version} here, so no bytecode inside: each cold start compiles "
              "the modules it imports (slower). Install it to build the faster zip.")


if __name__ == "__main__":
    main()
