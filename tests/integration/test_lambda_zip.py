"""The deployment zip, unpacked into an empty folder, runs the handler in a fresh interpreter against
the emulator, with nothing from this project's virtualenv but boto3 (which Lambda's runtime provides).

The zip is for CPython 3.12 (Lambda's runtime): its Pillow and pydantic-core are binary wheels only
that Python loads. When a python3.12 is on this machine (PATH or pyenv), the test builds exactly what
`make lambda-zip` builds and runs it with that interpreter. Otherwise it builds the zip by the same
code for the running interpreter's version (the only difference: the wheel tags pip asks for) and
runs that. Either way the packaging is what is tested. The wheels are cached in build/, keyed on
requirements/lambda.txt, so only the first run needs the package index.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from core.aws import AwsClients
from core.models import EventStatus
from tests.factories import expect_stored, image_event, jpeg_in_bucket, put_and_read_back
from tools.lambda_zip import build_zip, interpreter

VENV_SITE = Path(boto3.__file__).parents[1]
# What Lambda's Python runtime has: the SDK and what botocore imports.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "dateutil", "six.py", "urllib3")
WHEELS = {"PIL", "pillow.libs", "pydantic", "pydantic_core", "pydantic_settings", "aws_lambda_powertools",
          "annotated_types", "typing_extensions.py", "typing_inspection", "dotenv", "jmespath",
          "aws_xray_sdk", "wrapt", "wrapt-stubs",  # the X-Ray SDK (and its wrapt): the tracer, when on
          "pillow_heif", "pillow_heif.libs", "_pillow_heif", "pillow_jxl",
          "packaging"}  # the HEIC and JPEG XL codecs, and pillow-jxl-plugin's one dependency
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
# The first image registered the HEIC and JPEG XL codecs: their libraries load from the zip too.
codecs = [sys.modules["pillow_heif"], sys.modules["pillow_jxl"]]
print(json.dumps({"response": response,
                  "files": [m.__file__ for m in (PIL, pydantic_core, lambda_consumer, *codecs)],
                  "absent": [n for n in ("moto", "streamlit", "pandas") if not importlib.util.find_spec(n)]}))
"""


@pytest.fixture(scope="module")
def built() -> tuple[Path, str]:
    """The zip and the interpreter to run it with."""
    python = interpreter("3.12")
    version = "3.12" if python else f"{sys.version_info.major}.{sys.version_info.minor}"
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    path, _ = build_zip(arch, version, f"build/test/lambda_consumer-{arch}-py{version}.zip")
    return path, python or sys.executable


def test_the_zip_holds_the_wheels_and_our_three_packages_and_nothing_else(built: tuple[Path, str]) -> None:
    path, _ = built
    names = zipfile.ZipFile(path).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    top = {name.split(".")[0] if name.startswith("_pillow_heif.") else name for name in top}  # its .so
    ours = {"core", "lambda_consumer", "lambda_aggregator"}
    assert top == WHEELS | ours | {"__pycache__"}  # __pycache__: the bytecode of typing_extensions.py
    assert {"lambda_consumer/handler.py", "lambda_aggregator/handler.py", "core/ingest/batch.py"} <= {*names}
    assert [name for name in names if name.startswith(("core/ops/", "core/logs/", "core/__main__"))] == []
    assert path.stat().st_size <= 25_000_000  # 14.2 MB before the HEIC and JPEG XL codecs


def test_the_unpacked_zip_runs_the_handler_on_a_real_record(
    aws: AwsClients, built: tuple[Path, str], tmp_path: Path, moto_endpoint: str
) -> None:
    path, python = built
    task, runtime = tmp_path / "task", tmp_path / "runtime"
    zipfile.ZipFile(path).extractall(task)
    runtime.mkdir()
    for name in RUNTIME_SDK:
        (runtime / name).symlink_to(VENV_SITE / name)
    (record,), event = put_and_read_back(aws, [image_event(jpeg_in_bucket(aws, "zip", (90, 60, 30)))])
    env = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "PATH": "/usr/bin:/bin",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    # -I -S: no environment paths, no site-packages; only the task folder and the runtime's SDK.
    command = [python, "-I", "-S", "-B", "-c", RUN, str(task), str(runtime)]
    done = subprocess.run(command, input=json.dumps(event), env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["response"] == {"batchItemFailures": []}
    assert all(file.startswith(str(task)) for file in result["files"])
    assert result["absent"] == ["moto", "streamlit", "pandas"]
    assert expect_stored(aws, record).status is EventStatus.STORED
