"""Faults: a seeded 20 % of S3 and DynamoDB calls fail (throttling, 5xx, timeouts, lost answers) while
N events go through the local runner. Nothing is stored twice and nothing is lost: every record is
stored, or named on the on-failure queue when the runner gives up on it. The faults are injected in the
function's own process (faulty_handler.py), which reports its counts in the log."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from core.aws import AwsClients
from core.clock import now
from core.logs.reader import read_logs
from core.settings import Settings
from core.store.reads import last_hour_count
from local.event_source.runner import EventSourceConfig, LocalEventSource
from tests.factories import counted, event_id, image_event, image_in_bucket, put_on_stream, small_jpeg
from tests.reliability.faulty_handler import TALLY_MESSAGE
from tests.reliability.harness import SOAK, event_ids_in_table, failed_over, failure_messages, report, size

N = size(100, 1_000)
# The deploy template's batch size is 100. A failed record makes the runner, like Lambda, deliver it
# and every later record of its batch again, and once botocore's retry quota is empty about 7 record
# deliveries in 10 fail: at 10 that is ~25 deliveries per record in `make soak`, and many times more at
# 100 (27 in a 100-record run, growing with the run). The promise tested is the same at any size.
BATCH_SIZE = 10
SEED = 7
# botocore's real backoff (up to 1 s, 2 s, 4 s for throttling) scaled down: same retries, less waiting.
BACKOFF_SCALE = 0.02
FAULTY_HANDLER = "tests.reliability.faulty_handler.handler"


@pytest.fixture()
def settings() -> Settings:
    return Settings(allow_loopback_fetch=True, worker_count=8)


def reported(aws: AwsClients) -> tuple[Counter[str], Counter[str]]:
    """The function's own counts, summed over its processes: (tally, fault statistics)."""
    group = aws.settings.consumer_log_group
    latest: dict[int, dict[str, dict[str, int]]] = {}
    for entry in read_logs(aws, group, now() - timedelta(hours=1), now() + timedelta(minutes=1), limit=10**6):
        if entry.message.startswith("{") and TALLY_MESSAGE in entry.message:
            line = json.loads(entry.message)
            latest.setdefault(line["pid"], line)  # newest first: a process's first line is its latest tally
    tally, faults = Counter[str](), Counter[str]()
    for line in latest.values():
        tally.update(line["tally"])
        faults.update(line["faults"])
    return tally, faults


def drain(runner: LocalEventSource, limit: int = 100_000) -> int:
    """Poll until the stream is delivered and nothing is being retried; the number of polls."""
    for polls in range(1, limit):
        if not runner.poll_once() and not runner.reader.retrying():
            return polls
    raise AssertionError(f"the runner was still delivering after {limit} polls")


# Lambda's MaximumRetryAttempts for a stream is -1 (until the record expires) to 10,000; the deploy
# template uses 5, so 6 attempts. At this fault rate botocore's retry quota runs dry and about two
# record deliveries in three fail, so 6 attempts do give records up now and then, and 1 always does.
UNTIL_STORED = 1_000
TEMPLATE = 6


@pytest.mark.timeout(size(300, 1800))
@pytest.mark.parametrize(
    "max_attempts", [UNTIL_STORED, TEMPLATE, 1],
    ids=["retried-until-stored", "retried-as-the-template-does", "given-up-at-the-first-failure"],
)
def test_under_injected_faults_every_record_is_stored_once_or_failed_over_never_lost(
    aws: AwsClients, moto_endpoint: str, max_attempts: int
) -> None:
    urls = [image_in_bucket(aws, f"f{i}.jpg", small_jpeg(i)) for i in range(N)]
    sent = put_on_stream(aws, [image_event(url, f"fault test {i}") for i, url in enumerate(urls)])
    environment = {"FAULT_SEED": str(SEED), "FAULT_RATE": "0.2", "FAULT_BACKOFF_SCALE": str(BACKOFF_SCALE)}
    config = EventSourceConfig.from_template(aws.settings, starting_position="TRIM_HORIZON", poll_seconds=0,
                                             batch_size=BATCH_SIZE, maximum_retry_attempts=max_attempts - 1,
                                             handler=FAULTY_HANDLER)
    config = replace(config, function_environment=config.function_environment | environment)
    runner = LocalEventSource(aws, config)

    try:
        polls = drain(runner)
    finally:
        runner.stop()

    tally, faults = reported(aws)
    conflicts = requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["conflicts"]
    ids = event_ids_in_table(aws)
    expected, stored = {event_id(r) for r in sent}, set(ids)
    over = failed_over(failure_messages(aws), sent)
    report(f"faults, N={N}, batch size {BATCH_SIZE}, max_attempts={max_attempts}: {dict(faults)}; "
          f"{dict(tally)}; transaction conflicts {conflicts}; polls {polls}; stored {len(stored)}, "
          f"failed over and not stored {len(over - stored)}, duplicates {len(ids) - len(stored)}, "
          f"lost {len(expected - stored - over)}")
    assert faults["faulty calls"] > 0  # faults were injected
    reached = faults["errors that reached our code"] > 0 and tally["retried"] > 0
    # At N=100 a run where botocore absorbed every fault was seen once in four full-suite runs (open
    # question, see the issue note); the invariants below hold either way, and soak requires the reach.
    assert reached or not SOAK
    assert len(ids) == len(stored) and stored <= expected  # no duplicates, nothing made up
    assert expected - stored <= over  # nothing lost: not stored means named on the on-failure queue
    assert last_hour_count(counted(aws)) == len(stored)  # counted once each
    if max_attempts == UNTIL_STORED:
        assert stored == expected and not over
    if max_attempts == 1 and reached:
        assert over - stored  # the runner did give up on some, and they are on the queue
