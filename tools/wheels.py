"""A lock file's binary wheels installed for a deployable's platform (manylinux CPython, x86_64 or arm64) into
a folder under build/, reused while nothing changes: what the Lambda zip ships, and what the dashboard image
installs, to read their licences from."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tools import locks

ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34), the image on Debian (newer). pip takes only the
# tags it is given, and Pillow 12 ships manylinux_2_28 wheels while pydantic-core ships manylinux2014 ones.
GLIBC_TAGS = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")


def installed(
    requirements: Path, arch: str, python_version: str, build_root: Path, python: str | None
) -> Path:
    """The wheels `requirements` pins, installed (and compiled by `python`, if given) into build/."""
    digest = hashlib.sha256(requirements.read_bytes() + f"{arch}/{python_version}/{bool(python)}".encode())
    target = build_root / f"{requirements.stem}-deps-{arch}-py{python_version}-{digest.hexdigest()[:12]}"
    if target.exists():
        return target
    build_root.mkdir(parents=True, exist_ok=True)
    # Installed aside, then renamed: a build running at the same time never sees half a folder.
    fresh = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=build_root))
    on_target = Path(f"{fresh}.txt")  # the universal dashboard lock has two numpys, one per Python
    on_target.write_text(locks.on_target(requirements.read_text(), environment(arch, python_version)))
    platforms = [arg for tag in GLIBC_TAGS for arg in ("--platform", f"{tag}_{ARCHES[arch]}")]
    try:
        subprocess.run(
            # --no-deps: the lock is the whole list; the Lambda's leaves out what Lambda's runtime has (the
            # Makefile's LAMBDA_RUNTIME_PACKAGES: botocore and its dependencies, which the X-Ray SDK wants).
            # --ignore-requires-python: the wheels are chosen for `python_version`, but pip still holds their
            # Requires-Python against the Python it runs on (numpy 2.5 wants 3.12, `make` runs 3.11 too).
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--no-deps", "--ignore-requires-python",
             *platforms, "--implementation", "cp", "--python-version", python_version,
             "--only-binary=:all:", "--require-hashes", "--target", str(fresh), "-r", str(on_target)],
            check=True,
        )
    finally:
        on_target.unlink()
    shutil.rmtree(fresh / "bin", ignore_errors=True)  # console scripts: of no use in Lambda
    if python:
        compile_bytecode(fresh, python, fresh)
    try:
        fresh.rename(target)
    except OSError:  # another build got there first; its folder is as good as ours
        shutil.rmtree(fresh)
    return target


def environment(arch: str, python_version: str) -> dict[str, str]:
    """The marker environment of the deployable: CPython `python_version` on Linux."""
    return {"python_version": python_version, "python_full_version": f"{python_version}.0",
            "implementation_name": "cpython", "implementation_version": f"{python_version}.0",
            "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
            "os_name": "posix", "platform_machine": ARCHES[arch],
            "platform_release": "", "platform_version": ""}


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
