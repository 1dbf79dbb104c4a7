"""`make lambda-zip`: the functions' deployment zip for Lambda's Python 3.12 runtime.

Inside: the binary wheels pinned (with hashes) by requirements/lambda.txt for the chosen architecture
(manylinux, CPython 3.12), then the `core`, `lambda_consumer` and `lambda_aggregator` packages, without
core's operator tools and log reader (LEFT_OUT). Nothing else: no local/, tests, moto, streamlit or pandas,
and no boto3 (the runtime has it). Both functions use
it: handlers lambda_consumer.handler.handler and lambda_aggregator.handler.handler.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZIP_PATH = "dist/lambda_consumer.zip"
REQUIREMENTS = ROOT / "requirements" / "lambda.txt"
ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34). pip takes only the tags it is given,
# and Pillow 12 ships manylinux_2_28 wheels while pydantic-core ships manylinux2014 ones.
GLIBC_TAGS = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")
RUNTIME_PYTHON = "3.12"
SOURCES = ("core", "lambda_consumer", "lambda_aggregator")
# Parts of core the functions never run: operator tools (`python -m core`) and the dashboard's log reader.
LEFT_OUT = ("core/ops", "core/logs", "core/__main__.py")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # same bytes for the same inputs


def dependencies(arch: str, python_version: str, build_root: Path, python: str | None) -> Path:
    """The wheels installed (and compiled by `python`) into build/, reused while nothing changes."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + f"{arch}/{python_version}/{bool(python)}".encode())
    target = build_root / f"lambda-deps-{arch}-py{python_version}-{digest.hexdigest()[:12]}"
    if target.exists():
        return target
    build_root.mkdir(parents=True, exist_ok=True)
    # Installed aside, then renamed: a build running at the same time never sees half a folder.
    fresh = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=build_root))
    platforms = [arg for tag in GLIBC_TAGS for arg in ("--platform", f"{tag}_{ARCHES[arch]}")]
    subprocess.run(
        # --no-deps: the lock is the whole list; it leaves out what Lambda's runtime has (the Makefile's
        # LAMBDA_RUNTIME_PACKAGES: botocore and its dependencies, which the X-Ray SDK asks for).
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--no-deps",
         *platforms, "--implementation", "cp", "--python-version", python_version,
         "--only-binary=:all:", "--require-hashes", "--target", str(fresh), "-r", str(REQUIREMENTS)],
        check=True,
    )
    shutil.rmtree(fresh / "bin", ignore_errors=True)  # console scripts: of no use in Lambda
    if python:
        compile_bytecode(fresh, python, fresh)
    try:
        fresh.rename(target)
    except OSError:  # another build got there first; its folder is as good as ours
        shutil.rmtree(fresh)
    return target


def interpreter(python_version: str) -> str | None:
    """A working Python of that version on this machine (this one, on PATH, under pyenv), if any."""
    candidates = [sys.executable, shutil.which(f"python{python_version}")]
    candidates += sorted(map(str, Path.home().glob(f".pyenv/versions/{python_version}.*/bin/python3")))
    return next((c for c in candidates if c and _reports_version(c, python_version)), None)


def _reports_version(python: str, python_version: str) -> bool:
    # A pyenv shim exists even when its version is not selected; only running it tells.
    probe = "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return done.returncode == 0 and done.stdout.strip() == python_version


def compile_bytecode(folder: Path, python: str, root: Path) -> None:
    """Lambda's /var/task is read-only: without bytecode in the zip, every cold start compiles
    pydantic, Powertools and the rest again. Hash-based .pyc stay valid whatever the zip does to mtimes;
    file names inside are those under /var/task, so the same inputs give the same zip."""
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         "-s", str(root), "-p", "/var/task", str(folder)],
        check=True, stdout=subprocess.DEVNULL,
    )


def stage(arch: str, python_version: str, build_root: Path) -> tuple[Path, bool]:
    """A fresh folder holding the zip's tree; True if it holds bytecode."""
    python = interpreter(python_version)
    deps = dependencies(arch, python_version, build_root, python)
    staged = Path(tempfile.mkdtemp(prefix=f"lambda-{arch}-py{python_version}.", dir=build_root)) / "task"
    shutil.copytree(deps, staged)
    for package in SOURCES:
        shutil.copytree(ROOT / package, staged / package, ignore=_not_shipped)
        if python:
            compile_bytecode(staged / package, python, staged)
    return staged, python is not None


def build_zip(
    arch: str = "x86_64", python_version: str = RUNTIME_PYTHON, output: Path | str = ZIP_PATH,
    build_root: Path | str = "build",
) -> tuple[Path, bool]:
    """Build the zip at `output` (relative to the project root); its path, and whether it has bytecode."""
    staged, compiled = stage(arch, python_version, ROOT / build_root)
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
    args = parser.parse_args()
    path, compiled = build_zip(args.arch, args.python_version, args.output)
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT)}: {size / 1_000_000:.1f} MB ({size} bytes), {args.arch}, "
          f"Python {args.python_version}; handlers lambda_consumer.handler.handler, "
          "lambda_aggregator.handler.handler")
    if not compiled:
        print(f"No python{args.python_version} here, so no bytecode inside: each cold start compiles "
              "the modules it imports (slower). Install it to build the faster zip.")


if __name__ == "__main__":
    main()
