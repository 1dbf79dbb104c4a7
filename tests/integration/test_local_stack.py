"""`make stack` as a user runs it: a process that prints AWS_ENDPOINT_URL, then the AWS CLI and
`python -m core` in other processes."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack_env() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lambda_consumer.local_stack", "--port", str(free_port())],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            env[name] = value
        if "Embedded AWS is up" in line:
            break
    assert env.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:")
    yield env | {"AWS_DEFAULT_REGION": "us-east-1"}
    process.terminate()
    process.wait(timeout=20)


def cli(env: dict[str, str], *argv: str) -> dict:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_stack_starts_with_the_sample_images_as_events(stack_env: dict[str, str]) -> None:
    result = cli(stack_env, sys.executable, "-m", "core", "latest")
    assert result["last_hour_count"] == 3
    assert result["latest"]["description"].startswith("Sample:")


def test_the_seed_put_record_command_is_accepted_by_the_stream(stack_env: dict[str, str]) -> None:
    data = base64.b64encode(
        b'{"ImageUrl":"https://example.com/a.jpg", "Description": "Test image event from Kinesis"}'
    ).decode()
    aws = str(Path(sys.executable).with_name("aws"))
    answer = cli(stack_env, aws, "--endpoint-url", stack_env["AWS_ENDPOINT_URL"], "kinesis",
                 "put-record", "--stream-name", "image-processor-events",
                 "--partition-key", "testKey", "--data", data)
    assert answer["ShardId"].startswith("shardId-") and answer["SequenceNumber"]
