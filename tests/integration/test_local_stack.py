"""`make stack` as a user runs it: a process that prints AWS_ENDPOINT_URL, then the AWS CLI and
`python -m core` in other processes."""

from __future__ import annotations

import base64
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.aws import AwsClients
from core.logs.reader import read_logs
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# The seed's payload, pointing at a sample image the stack holds (no network needed).
SEED_PAYLOAD = b'{"ImageUrl":"s3://image-processor-local/samples/sunset.jpg", ' \
    b'"Description": "Test image event from Kinesis"}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack_env() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stack", "--port", str(free_port())],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export "):  # one line, as a person pastes it
            env |= dict(word.partition("=")[::2] for word in shlex.split(line, comments=True)[1:])
        if "Embedded AWS is up" in line:
            break
    assert env.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:")
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1" and env["AWS_ACCESS_KEY_ID"]
    yield env
    process.terminate()
    process.wait(timeout=20)


def cli(env: dict[str, str], *argv: str) -> dict[str, Any]:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_the_stack_starts_with_the_sample_images_as_events(stack_env: dict[str, str]) -> None:
    result = cli(stack_env, sys.executable, "-m", "core", "latest")
    assert result["last_hour_count"] == 3
    assert result["latest"]["description"].startswith("Sample:")


def put_record(env: dict[str, str], payload: bytes) -> dict[str, Any]:
    """put-record as the seed does it; the venv's `aws` is AWS CLI v1, which sends the base64 text as-is."""
    data = base64.b64encode(payload).decode()
    aws = str(Path(sys.executable).with_name("aws"))
    return cli(env, aws, "--endpoint-url", env["AWS_ENDPOINT_URL"], "kinesis", "put-record",
               "--stream-name", "image-processor-events", "--partition-key", "testKey", "--data", data)


def wait_for_latest(env: dict[str, str], sequence: str, seconds: float = 5) -> dict[str, Any]:
    """`python -m core latest` until it shows the record with `sequence`, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    latest: dict[str, Any] = {}
    while time.monotonic() < deadline and latest.get("sequence_number") != sequence:
        latest = cli(env, sys.executable, "-m", "core", "latest")["latest"] or {}
    return latest


def test_the_seed_put_record_command_is_accepted_by_the_stream(stack_env: dict[str, str]) -> None:
    answer = put_record(stack_env, SEED_PAYLOAD)
    assert answer["ShardId"].startswith("shardId-") and answer["SequenceNumber"]


def test_a_put_record_event_is_the_latest_within_five_seconds_with_its_log_lines(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence = put_record(stack_env, SEED_PAYLOAD)["SequenceNumber"]
    latest = wait_for_latest(stack_env, sequence)
    assert latest.get("sequence_number") == sequence, "not consumed within 5 seconds"
    assert (latest["status"], latest["description"]) == ("stored", "Test image event from Kinesis")
    for name, value in stack_env.items():
        monkeypatch.setenv(name, value)
    now = datetime.now(UTC)
    entries = read_logs(AwsClients(Settings()), "/aws/lambda/image-processor-consumer",
                        now - timedelta(minutes=5), now + timedelta(minutes=1))
    line = next(e for e in entries if e.event_id == latest["event_id"])
    assert (line.level, line.fields["status"], line.request_id) == ("INFO", "stored", latest["request_id"])
    assert {"start", "end", "report"} <= {e.kind for e in entries if e.request_id == line.request_id}


def documented_put_record() -> str:
    """The producers' put-record command as docs/operating.md gives it, word for word."""
    text = (ROOT / "docs" / "operating.md").read_text()
    start = text.index("aws --endpoint-url $AWS_ENDPOINT_URL kinesis put-record")
    return text[start:text.index("\n```", start)]


def test_the_seeds_exact_shell_command_is_the_latest_within_five_seconds(stack_env: dict[str, str]) -> None:
    env = stack_env | {"PATH": f"{Path(sys.executable).parent}:{stack_env.get('PATH', '')}"}
    command = documented_put_record()  # GNU base64 wraps its output at 76 columns: the event must survive it
    assert SEED_PAYLOAD.decode() in command
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    sequence = json.loads(done.stdout)["SequenceNumber"]
    latest = wait_for_latest(stack_env, sequence)
    assert latest.get("sequence_number") == sequence, "not stored within 5 seconds"
