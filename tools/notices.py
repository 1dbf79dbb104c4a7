"""THIRD_PARTY_NOTICES for what a deployable ships, written when it is built from the packages installed for
it: the GPL-licensed codecs first, then each package's name, version, licence and home page (pip-licenses
reads them from the packages' metadata), then every licence and notice file the packages carry.

`python -m tools.notices` (`make dashboard-notices`) writes the dashboard image's into dist/dashboard/, for
the Dockerfile to copy; tools/lambda_zip.py writes the zip's into the zip. `python -m tools.notices
--repository` (run by `make lock`) writes both, for the default build (x86_64, every codec), into licences/,
so the repository carries them too; a test holds them to the locks.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

from core.imaging.formats import GPL_CODECS
from tools.locks import normalised
from tools.wheels import installed

ROOT = Path(__file__).resolve().parents[1]
FILE_NAME = "THIRD_PARTY_NOTICES"
DASHBOARD_NOTICES = "dist/dashboard/THIRD_PARTY_NOTICES"
DASHBOARD_LOCK = ROOT / "requirements" / "dashboard.txt"
LAMBDA_LOCK = ROOT / "requirements" / "lambda.txt"
# The repository's copies, for the default builds.
LAMBDA_COPY = "licences/lambda-zip/THIRD_PARTY_NOTICES"
DASHBOARD_COPY = "licences/dashboard-image/THIRD_PARTY_NOTICES"
# pip-licenses reads the distributions on sys.path: the folder's alone, not this virtualenv's.
_PIP_LICENSES = """
import sys, piplicenses
folder = sys.argv.pop(1)
sys.path[:] = [folder, *(path for path in sys.path if "site-packages" not in path)]
piplicenses.main()
"""
_RULE = "=" * 100


def write(site: Path, output: Path, artifact: str, about: tuple[str, ...] = ()) -> list[str]:
    """Write the notices of the packages installed in `site`, shipped as `artifact` (`about`: lines more on
    what it holds); the GPL codecs among them (their distribution names)."""
    found = packages(site)
    versions = {normalised(p["Name"]): p["Version"] for p in found}
    gpl = [codec for codec in GPL_CODECS if codec.distribution in versions]
    lines = [f"Third-party software in {artifact}", _RULE,
             "Image Processor itself is licensed under the Apache License 2.0 (LICENSE, at the top of the",
             "build and of the repository).",
             "What it ships of others' is listed below, each under its own licence; docs/licences.md in the",
             "repository says what that means for whoever distributes this build.", *about,
             "", "GPL-licensed codecs", "-" * 19]
    lines += [f"{c.distribution} {versions[c.distribution]}: {c.licence}" for c in gpl] or [
        "None: built with CODECS=permissive, so HEIC and JPEG XL images are refused."]
    width = max(len(f"{p['Name']} {p['Version']}") for p in found)
    lines += ["", "Packages", "-" * 8, *(_row(p, width) for p in found), ""]
    for package in found:
        lines += [_RULE, f"{package['Name']} {package['Version']}: {package['License']}", _RULE,
                  *_texts(site, package), ""]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines))
    return [codec.distribution for codec in gpl]


def packages(site: Path) -> list[dict[str, str]]:
    """What pip-licenses reports of each distribution in `site`, by name."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", _PIP_LICENSES, str(site), "--with-system", "--from=mixed",
         "--format=json", "--with-urls", "--with-license-file", "--with-notice-file"],
        capture_output=True, text=True, check=True,
    )
    found: list[dict[str, str]] = json.loads(done.stdout)
    return sorted(found, key=lambda p: normalised(p["Name"]))


def listed(text: str) -> dict[str, str]:
    """The packages a THIRD_PARTY_NOTICES lists: version by normalised name."""
    table = text.split("\nPackages\n--------\n", 1)[1].split("\n\n", 1)[0]
    return {normalised(row.split()[0]): row.split()[1] for row in table.splitlines()}


def _row(package: dict[str, str], width: int) -> str:
    return f"{package['Name'] + ' ' + package['Version']:{width}}  {package['License']}  <{package['URL']}>"


def _texts(site: Path, package: dict[str, str]) -> list[str]:
    """The licence file pip-licenses found, every other one the wheel declares (License-File: pillow-heif's
    list of the libraries its wheels bundle is its second), and its NOTICE file."""
    files = [Path(package["LicenseFile"])] if package["LicenseFile"] != "UNKNOWN" else []
    files += [path for path in _declared(site, package["Name"]) if path not in files]
    if package["NoticeFile"] != "UNKNOWN":
        files.append(Path(package["NoticeFile"]))
    return [f"--- {path.name}\n{path.read_text(errors='replace').rstrip()}\n" for path in files] or [
        "(the package ships no licence file; its metadata names the licence above)"]


def _declared(site: Path, name: str) -> list[Path]:
    distribution = next(iter(importlib.metadata.distributions(name=name, path=[str(site)])))
    declared = set(distribution.metadata.get_all("License-File") or [])
    return [Path(str(distribution.locate_file(file))) for file in distribution.files or ()
            if ".dist-info" in file.parts[0] and (file.name in declared or "licenses" in file.parts)]


def dashboard(arch: str = "x86_64", output: Path | str = DASHBOARD_NOTICES) -> Path:
    """The dashboard image's notices: requirements/dashboard.txt installed for the image's Python."""
    site = installed(DASHBOARD_LOCK, arch, "3.12", ROOT / "build", python=None)
    path = ROOT / output
    write(site, path, "the dashboard image", (
        "", "The image's base, python:3.12-slim, brings Debian's packages and CPython under their own",
        "licences (in the image: /usr/share/doc/*/copyright, and Python's LICENSE.txt under",
        "/usr/local/lib/python3.12); this file lists what the image installs on top of it:",
        "requirements/dashboard.txt."))
    return path


def lambda_zip(output: Path | str = LAMBDA_COPY) -> Path:
    """The default Lambda zip's notices (x86_64, every codec), as `make lambda-zip` puts them in the zip."""
    site = installed(LAMBDA_LOCK, "x86_64", "3.12", ROOT / "build", python=None)
    path = ROOT / output
    write(site, path, "the Lambda zip (make lambda-zip: x86_64, Python 3.12, CODECS=full)")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default=DASHBOARD_NOTICES)
    parser.add_argument("--repository", action="store_true",
                        help=f"write both deployables' notices into {LAMBDA_COPY} and {DASHBOARD_COPY}")
    args = parser.parse_args()
    if args.repository:
        for path in (lambda_zip(), dashboard(output=DASHBOARD_COPY)):
            print(f"{path.relative_to(ROOT)}: third-party notices kept in the repository")
        return
    path = dashboard(output=args.output)
    print(f"{path.relative_to(ROOT)}: the dashboard image's third-party notices")


if __name__ == "__main__":
    main()
