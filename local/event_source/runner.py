"""Lambda's Kinesis event source mapping, played locally: moto cannot invoke functions without Docker.

Polls every shard, calls the real handler with the exact Lambda event, redelivers from the first
failed sequence number (records before it are checkpointed; later ones come again, harmless since
they are idempotent), and after `max_attempts` sends the batch's metadata to the on-failure queue
and moves on, so a record can neither block its shard nor vanish silently.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from local.event_source.events import StreamSource, first_failed_index, lambda_event
from local.event_source.invoke import FunctionConfig, Invocation, LocalFunction
from local.event_source.lambda_logs import LogWriter
from local.event_source.on_failure import failure_record, send_failure
from local.event_source.shards import ShardCursor, ShardReader, account_of, stream_source

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerConfig:
    batch_size: int = 100  # Lambda's default BatchSize
    max_attempts: int = 3  # invocations of the same failing record before it is given up
    poll_seconds: float = 0.5
    starting_position: str = "TRIM_HORIZON"  # or "LATEST"
    handler: str = "lambda_consumer.handler.handler"


class LocalEventSource:
    """Delivers the stream to the handler from a background thread (`start`/`stop`) or `poll_once`."""

    def __init__(self, clients: AwsClients, config: RunnerConfig | None = None) -> None:
        self.clients, self.config = clients, config or RunnerConfig()
        self.reader = ShardReader(clients, self.config.starting_position, self.config.batch_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = threading.Condition()
        self._cycles = self._idle_cycle = 0
        self._wired: tuple[StreamSource, LocalFunction, LogWriter, str] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="local-event-source", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def wait_until_caught_up(self, timeout: float) -> bool:
        """True once a poll that began after this call found nothing left to deliver."""
        with self._progress:
            began = self._cycles
            return self._progress.wait_for(lambda: self._idle_cycle > began, timeout)

    def poll_once(self) -> int:
        """Read each shard once and deliver what it holds; the number of records delivered."""
        with self._progress:
            self._cycles += 1
            cycle = self._cycles
        delivered = sum(self._poll_safely(cursor) for cursor in self.reader.open_cursors())
        if not delivered and not self.reader.retrying():
            with self._progress:
                self._idle_cycle = cycle
                self._progress.notify_all()
        return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception:  # the emulator may be stopping or busy: say so and poll again
                log.exception("Local event source: polling the stream failed; trying again")
                delivered = 0
            if not delivered or self.reader.retrying():  # a retry waits, as Lambda backs off
                self._stop.wait(self.config.poll_seconds)

    def _poll_safely(self, cursor: ShardCursor) -> int:
        try:
            records, next_iterator = self.reader.read(cursor)
            if records:
                self._deliver(cursor, records, next_iterator)
            return len(records)
        except Exception:
            log.exception("Local event source: shard %s failed; it is read again", cursor.shard_id)
            cursor.iterator = None  # a fresh iterator from the checkpoint next time
            return 0

    def _deliver(self, cursor: ShardCursor, records: list[dict[str, Any]], next_iterator: str | None) -> None:
        source, function, writer, _ = self._wiring()
        self._publish_lag(records)
        invocation = function.invoke(lambda_event(records, cursor.shard_id, source))
        self._write_logs(writer, invocation)
        sequences = [str(record["SequenceNumber"]) for record in records]
        failed = 0 if invocation.error else first_failed_index(invocation.response, sequences)
        if failed is None:
            cursor.advance(sequences[-1], next_iterator)
        elif cursor.retry_from(sequences[failed]) >= self.config.max_attempts:
            self._give_up(cursor, records[failed:], invocation)
            cursor.advance(sequences[-1], next_iterator)

    def _give_up(self, cursor: ShardCursor, records: list[dict[str, Any]], invocation: Invocation) -> None:
        source, function, _, queue_url = self._wiring()
        record = failure_record(
            records, cursor.shard_id, source, request_id=invocation.request_id,
            function_arn=function.config.arn, attempts=cursor.attempts,
            function_error=invocation.error is not None,
        )
        send_failure(self.clients, queue_url, record)
        log.warning("Local event source: gave up on %d record(s) of %s from %s after %d attempts",
                    len(records), cursor.shard_id, records[0]["SequenceNumber"], cursor.attempts)

    def _publish_lag(self, records: list[dict[str, Any]]) -> None:
        """IteratorAge, as Lambda reports it in AWS, so the Health page reads lag the same way here."""
        oldest = min(record["ApproximateArrivalTimestamp"] for record in records)
        age_ms = max(0.0, (datetime.now(UTC) - oldest).total_seconds() * 1000)
        function: list[DimensionTypeDef] = [
            {"Name": "FunctionName", "Value": self.clients.settings.consumer_function_name}
        ]
        try:
            self.clients.cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
                "MetricName": "IteratorAge", "Unit": "Milliseconds", "Value": age_ms, "Dimensions": function,
            }])
        except Exception:  # a missing metric must not hold the stream back
            log.exception("Local event source: could not publish IteratorAge")

    def _write_logs(self, writer: LogWriter, invocation: Invocation) -> None:
        try:
            writer.write(invocation.lines)
        except Exception:  # losing log lines must not hold the stream back
            log.exception("Local event source: could not write the invocation's log lines")

    def _wiring(self) -> tuple[StreamSource, LocalFunction, LogWriter, str]:
        """Looked up on the first delivery, so starting the runner costs no calls."""
        if self._wired is None:
            self._wired = wire(self.clients, self.config.handler)
        return self._wired


def wire(clients: AwsClients, handler: str) -> tuple[StreamSource, LocalFunction, LogWriter, str]:
    """The stream as events name it, the local function, its log writer and the on-failure queue."""
    settings = clients.settings
    source = stream_source(clients)
    writer = LogWriter(clients, settings.consumer_log_group)
    name = settings.consumer_function_name
    arn = f"arn:aws:lambda:{settings.region}:{account_of(source.stream_arn)}:function:{name}"
    config = FunctionConfig(name, arn, handler, log_group=writer.group, log_stream=writer.stream)
    queue_url = clients.sqs.get_queue_url(QueueName=settings.failure_queue_name)["QueueUrl"]
    return source, LocalFunction(config), writer, str(queue_url)
