"""The deployment zip, unpacked into an empty folder, runs the handler in a fresh interpreter against
the emulator, with nothing from this project's virtualenv but boto3 (which Lambda's runtime provides).

The zip is for CPython 3.12 (Lambda's runtime): its Pillow and pydantic-core are binary wheels only
that Python loads. When a python3.12 is on this machine (PATH or pyenv), the test builds exactly what
`make lambda-zip` builds and runs it with that interpreter. Otherwise it builds the zip by the same
code for the running interpreter's version (the only difference: the wheel tags pip asks for) and
runs that. Either way the packaging is what is tested. The wheels are cached in build/, keyed on
requirements/lambda.txt, so only the first run needs the package index. The permissive build
(`make lambda-zip CODECS=permissive`) is built and run the same way.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from core.aws import AwsClients
from core.imaging.formats import GPL_CODECS
from core.models import EventStatus
from tests import factories as make
from tests.factories import expect_stored, image_event, image_in_bucket, jpeg_in_bucket, put_and_read_back
from tools.lambda_zip import ROOT, build_zip
from tools.locks import pins
from tools.notices import listed
from tools.wheels import interpreter

VENV_SITE = Path(boto3.__file__).parents[1]
LOCK = ROOT / "requirements" / "lambda.txt"
# What Lambda's Python runtime has: the SDK and what botocore imports.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "dateutil", "six.py", "urllib3")
WHEELS = {"PIL", "pillow.libs", "pydantic", "pydantic_core", "pydantic_settings", "aws_lambda_powertools",
          "annotated_types", "typing_extensions.py", "typing_inspection", "dotenv", "jmespath",
          "aws_xray_sdk", "wrapt", "wrapt-stubs",  # the X-Ray SDK (and its wrapt): the tracer, when on
          "pillow_heif", "pillow_heif.libs", "_pillow_heif", "pillow_jxl",
          "packaging"}  # the HEIC and JPEG XL codecs, and pillow-jxl-plugin's one dependency
GPL_ONLY = {"pillow_heif", "pillow_heif.libs", "_pillow_heif", "pillow_jxl", "packaging"}
LICENCES = {"LICENSE", "THIRD_PARTY_NOTICES"}  # the project's own, and those of the wheels above
RUN = """
import importlib.util, json, sys, types
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import PIL, pydantic_core, lambda_consumer
from lambda_consumer.handler import handler
context = types.SimpleNamespace(
    function_name="image-processor-consumer", function_version="$LATEST", memory_limit_in_mb=1024,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:image-processor-consumer",
    aws_request_id="zip-request", log_group_name="g", log_stream_name="s",
    get_remaining_time_in_millis=lambda: 60_000)
response = handler(json.load(sys.stdin), context)
# An image registers the HEIC and JPEG XL codecs the build has: their libraries load from the zip too.
loaded = [sys.modules[n] for n in ("PIL", "pydantic_core", "lambda_consumer", "pillow_heif", "pillow_jxl")
          if n in sys.modules]
print(json.dumps({"response": response, "files": {m.__name__: m.__file__ for m in loaded},
                  "absent": [n for n in ("moto", "streamlit", "pandas", "pillow_heif", "pillow_jxl")
                             if not importlib.util.find_spec(n)]}))
"""


def build(codecs: str) -> tuple[Path, str]:
    """The zip and the interpreter to run it with."""
    python = interpreter("3.12")
    version = "3.12" if python else f"{sys.version_info.major}.{sys.version_info.minor}"
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    path, _ = build_zip(arch, version, f"build/test/lambda_consumer-{arch}-py{version}-{codecs}.zip",
                        codecs=codecs)
    return path, python or sys.executable


@pytest.fixture(scope="module")
def built() -> tuple[Path, str]:
    return build("full")


@pytest.fixture(scope="module")
def permissive() -> tuple[Path, str]:
    return build("permissive")


def top_level(path: Path) -> set[str]:
    names = zipfile.ZipFile(path).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    return {name.split(".")[0] if name.startswith("_pillow_heif.") else name for name in top}  # its .so


def run_handler(
    built: tuple[Path, str], event: dict[str, object], tmp_path: Path, moto_endpoint: str
) -> dict[str, Any]:
    """The handler run on `event` from the unpacked zip, with only the runtime's SDK beside it."""
    path, python = built
    task, runtime = tmp_path / "task", tmp_path / "runtime"
    zipfile.ZipFile(path).extractall(task)
    runtime.mkdir()
    for name in RUNTIME_SDK:
        (runtime / name).symlink_to(VENV_SITE / name)
    env = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "PATH": "/usr/bin:/bin",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    # -I -S: no environment paths, no site-packages; only the task folder and the runtime's SDK.
    command = [python, "-I", "-S", "-B", "-c", RUN, str(task), str(runtime)]
    done = subprocess.run(command, input=json.dumps(event), env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(file.startswith(str(task)) for file in result["files"].values())
    return result


def test_the_zip_holds_the_wheels_and_our_three_packages_and_nothing_else(built: tuple[Path, str]) -> None:
    path, _ = built
    names = zipfile.ZipFile(path).namelist()
    ours = {"core", "lambda_consumer", "lambda_aggregator"}
    # __pycache__: the bytecode of typing_extensions.py
    assert top_level(path) == WHEELS | ours | LICENCES | {"__pycache__"}
    assert {"lambda_consumer/handler.py", "lambda_aggregator/handler.py", "core/ingest/batch.py"} <= {*names}
    assert [name for name in names if name.startswith(("core/ops/", "core/logs/", "core/__main__"))] == []
    assert path.stat().st_size <= 25_000_000  # 14.2 MB before the HEIC and JPEG XL codecs


def test_the_unpacked_zip_runs_the_handler_on_a_real_record(
    aws: AwsClients, built: tuple[Path, str], tmp_path: Path, moto_endpoint: str
) -> None:
    (record,), event = put_and_read_back(aws, [image_event(jpeg_in_bucket(aws, "zip", (90, 60, 30)))])
    result = run_handler(built, event, tmp_path, moto_endpoint)
    assert result["response"] == {"batchItemFailures": []}
    assert {"PIL", "pydantic_core", "lambda_consumer", "pillow_heif", "pillow_jxl"} == set(result["files"])
    assert result["absent"] == ["moto", "streamlit", "pandas"]
    assert expect_stored(aws, record).status is EventStatus.STORED


# Licences: the project's own, and the notices of every wheel inside, the GPL-licensed codecs named first


def notices(path: Path) -> str:
    return zipfile.ZipFile(path).read("THIRD_PARTY_NOTICES").decode()


def gpl_section(text: str) -> str:
    return text.split("GPL-licensed codecs", 1)[1].split("Packages", 1)[0]


def test_the_zip_carries_the_licence_and_the_notices_of_every_locked_wheel(built: tuple[Path, str]) -> None:
    path, _ = built
    assert zipfile.ZipFile(path).read("LICENSE") == (ROOT / "LICENSE").read_bytes()
    text = notices(path)
    assert listed(text) == pins(LOCK)
    assert "Apache License 2.0" in text and "Permission is hereby granted" in text  # a licence's own text


def test_the_zip_notices_name_the_gpl_codecs_and_what_pillow_heif_bundles(built: tuple[Path, str]) -> None:
    text = notices(built[0])
    section = gpl_section(text)
    assert [codec.distribution for codec in GPL_CODECS if codec.distribution in section] == [
        "pillow-heif", "pillow-jxl-plugin"]
    assert "x265" in section and "GPL-2.0-or-later" in section and "GPL-3.0-or-later" in section
    # pillow-heif's metadata says BSD-3-Clause; its second licence file says what its wheels bundle.
    assert "LICENSES_bundled.txt" in text and "GNU GENERAL PUBLIC LICENSE" in text


def test_the_permissive_zip_holds_no_gpl_package(permissive: tuple[Path, str]) -> None:
    path, _ = permissive
    assert top_level(path) & GPL_ONLY == set()
    metadata = [zipfile.ZipFile(path).read(name).decode() for name in zipfile.ZipFile(path).namelist()
                if name.endswith(".dist-info/METADATA")]
    assert [m.splitlines()[1] for m in metadata if re.search(r"^License.*\bGPL", m, re.MULTILINE)] == []
    assert "None: built with CODECS=permissive" in gpl_section(notices(path))
    assert zipfile.ZipFile(path).read("LICENSE") == (ROOT / "LICENSE").read_bytes()


def test_the_permissive_zip_records_heic_and_jpeg_xl_events_as_failed_with_the_reason(
    aws: AwsClients, permissive: tuple[Path, str], tmp_path: Path, moto_endpoint: str
) -> None:
    heic = image_in_bucket(aws, "photo.heic", make.iphone_heic((320, 240)), "image/heic")
    jxl = image_in_bucket(aws, "photo.jxl", make.encoded(make.asymmetric(), "JPEG XL"), "image/jxl")
    jpeg = jpeg_in_bucket(aws, "photo", (90, 60, 30))
    sent, event = put_and_read_back(aws, [image_event(heic), image_event(jxl), image_event(jpeg)])
    result = run_handler(permissive, event, tmp_path, moto_endpoint)
    assert result["response"] == {"batchItemFailures": []}  # a refused image is the event's fault: recorded
    assert result["absent"] == ["moto", "streamlit", "pandas", "pillow_heif", "pillow_jxl"]
    kept = [expect_stored(aws, record) for record in sent]
    assert [k.status for k in kept] == [EventStatus.FAILED, EventStatus.FAILED, EventStatus.STORED]
    for stored, (name, decoder) in zip(kept, [("HEIC", "pillow-heif"), ("JPEG XL", "pillow-jxl-plugin")],
                                       strict=False):
        assert stored.failure_reason == (
            f"{name} images are not read here: this deployment was built without GPL-licensed code (make "
            f"lambda-zip CODECS=permissive), and the {name} decoder, {decoder}, is GPL-licensed. Send JPEG, "
            f"PNG, GIF, WebP, TIFF, BMP or AVIF, or deploy the default build, which reads {name}")
