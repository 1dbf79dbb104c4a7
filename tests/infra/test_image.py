"""What the dashboard image installs, without Docker: requirements/dashboard.txt installed for the image's
Python (CPython 3.12, manylinux x86_64) into a folder, slimmed by the image's own script, and then the
dashboard run from that folder alone by Python 3.12; and the notices `make dashboard-notices` writes of it.
Skipped where no Python 3.12 is installed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.imaging.formats import GPL_CODECS
from tests.infra.paths import ROOT
from tools import notices
from tools.locks import pins
from tools.wheels import environment, interpreter

PYTHON_312 = interpreter("3.12")
pytestmark = pytest.mark.skipif(PYTHON_312 is None, reason="needs Python 3.12, the image's, to run them")
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64")
WHEELS = ["--implementation", "cp", "--python-version", "3.12", "--only-binary=:all:",
          *(arg for platform in PLATFORMS for arg in ("--platform", platform))]
LOCK = ROOT / "requirements" / "dashboard.txt"
SLIM = ROOT / "infra" / "slim-packages.sh"
# Every page the dashboard has, each run to the end with no store to answer: no import may be missing.
RUN_THE_DASHBOARD = """
import pandas as pd
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest
assert dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame({"n": [1, 2], "s": ["a", "b"]}))
for page in ("screens/live.py", "screens/gallery.py", "screens/upload.py", "screens/send.py",
             "screens/logs.py", "screens/health.py"):
    app = AppTest.from_file("dashboard/app.py", default_timeout=60).run()
    if page != "screens/live.py":
        app.switch_page(page).run()
    assert not app.exception, (page, app.exception)
print("ran every page")
"""


def size_mb(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) // 2**20


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """The image's packages, slimmed as the Dockerfile does; and their size in MB before slimming."""
    site = tmp_path_factory.mktemp("image") / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *WHEELS,
                    "--require-hashes", "--target", str(site), "-r", str(LOCK)], check=True, timeout=900)
    before = size_mb(site)
    data = site / "share"  # pip --target puts a package's data files here; in the image, /usr/local/share
    subprocess.run(["sh", str(SLIM), str(site), str(data)], check=True, timeout=300)
    yield site, before


def test_the_image_installs_neither_moto_nor_powertools(installed: tuple[Path, int]) -> None:
    site, _ = installed
    assert not list(site.glob("moto*")) and not list(site.glob("aws_lambda_powertools*"))


def test_slimming_removes_what_no_dashboard_runs(installed: tuple[Path, int]) -> None:
    site, before = installed
    assert not list(site.rglob("tests")) and not (site / "share" / "jupyter").exists()
    assert size_mb(site) < before - 80, (size_mb(site), before)


def test_slimming_keeps_every_licence_file(installed: tuple[Path, int]) -> None:
    site, _ = installed
    declared = [path for record in site.glob("*.dist-info/RECORD") for line in record.read_text().splitlines()
                if "/licenses/" in (path := line.split(",")[0])]
    assert declared and [path for path in declared if not (site / path).is_file()] == []


def test_the_dashboard_runs_from_the_slimmed_packages_alone(
    installed: tuple[Path, int], tmp_path: Path
) -> None:
    site, _ = installed
    assert PYTHON_312 is not None
    # -I: no user site, no PYTHONPATH; only the image's packages and the repository (core/, dashboard/).
    boot = f"import sys; sys.path[:0] = [{str(site)!r}, {str(ROOT)!r}]; exec({RUN_THE_DASHBOARD!r})"
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                   "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1",
                   "MALLOC_MMAP_THRESHOLD_": "1048576"}
    run = subprocess.run([PYTHON_312, "-I", "-c", boot], cwd=ROOT, env=environment, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0 and "ran every page" in run.stdout, run.stderr[-3000:]


def test_the_notices_list_every_package_the_image_installs_and_name_the_gpl_codecs(tmp_path: Path) -> None:
    """What `make dashboard-notices` writes (the wheels cached in build/, as the zip's are)."""
    path = notices.dashboard(output=tmp_path / notices.FILE_NAME)
    text = path.read_text()
    # The lock's markers judged for the image's Python: its numpy is not the one a Python 3.11 would get.
    assert notices.listed(text) == pins(LOCK, environment("x86_64", "3.12"))
    gpl = text.split("GPL-licensed codecs", 1)[1].split("Packages", 1)[0]
    assert [codec.distribution for codec in GPL_CODECS if codec.distribution in gpl] == [
        "pillow-heif", "pillow-jxl-plugin"]
    assert "python:3.12-slim" in text  # the base image's own licences are where it keeps them
