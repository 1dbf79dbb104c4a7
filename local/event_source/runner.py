"""Lambda's Kinesis event source mapping, played locally: moto cannot invoke functions without Docker.

Configured from infra/template.yaml (batch size, starting position, retries, bisect on error, maximum
record age, the function's timeout, memory and environment), so local and deployed cannot drift. One
poller per shard, each with its own execution environment (a process, local/event_source/invoke.py),
so shards are consumed side by side as in Lambda. Per batch, as Lambda does:
- batchItemFailures: checkpoint before the first failed record and deliver again from it;
- a function error (an exception, a timeout): with bisect on, split the batch in two and retry each
  half; a split is not a retry (how this model counts; AWS does not document it);
- a batch that fails more than MaximumRetryAttempts times, or records older than MaximumRecordAge,
  are given up: their metadata goes to the on-failure queue and the shard moves on.
Reading the stream, writing the logs and the on-failure message use the consumer role, as Lambda uses
the function's execution role for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import clock
from core.aws import AwsClients
from core.aws.errors import aws_call
from core.settings import Settings
from local.event_source.events import StreamSource, first_failed_index, lambda_event
from local.event_source.invoke import FunctionConfig, Invocation, LocalFunction
from local.event_source.lambda_logs import LogWriter
from local.event_source.on_failure import failure_record, send_failure
from local.event_source.shards import ShardCursor, ShardReader, account_of, stream_source
from local.roles import role_credentials, role_session
from local.template import TEMPLATE, Template

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

log = logging.getLogger(__name__)
Records = list[dict[str, Any]]


@dataclass(frozen=True)
class EventSourceConfig:
    """The event source mapping and the function, as the template has them (tests may replace fields)."""

    batch_size: int
    starting_position: str
    maximum_retry_attempts: int  # -1: until the records expire
    bisect_on_error: bool
    maximum_record_age_seconds: int  # -1: never
    handler: str
    timeout_seconds: float
    memory_mb: int
    function_environment: dict[str, str] = field(default_factory=dict)
    poll_seconds: float = 0.5
    role: str | None = "consumer"  # None: the test's own credentials, no role

    @classmethod
    def from_template(cls, settings: Settings, path: Path = TEMPLATE, **changes: Any) -> EventSourceConfig:
        template = Template(settings, path)
        source, function = template.event_source(), template.function()
        config = cls(
            batch_size=source.batch_size, starting_position=source.starting_position,
            maximum_retry_attempts=source.maximum_retry_attempts, bisect_on_error=source.bisect_on_error,
            maximum_record_age_seconds=source.maximum_record_age_seconds, handler=function.handler,
            timeout_seconds=function.timeout_seconds, memory_mb=function.memory_mb,
            function_environment=function.environment,
        )
        return replace(config, **changes)

    def gives_up_after(self, failures: int) -> bool:
        """Whether records that failed `failures` invocations in a row are past MaximumRetryAttempts."""
        return 0 <= self.maximum_retry_attempts < failures


class LocalEventSource:
    """Delivers the stream to the function from one thread per shard (`start`/`stop`) or `poll_once`."""

    def __init__(self, clients: AwsClients, config: EventSourceConfig | None = None) -> None:
        self.config = config or EventSourceConfig.from_template(clients.settings)
        self.service = clients  # the account's: Lambda itself publishes IteratorAge, not the function
        session = role_session(self.config.role) if self.config.role else None
        self.clients = AwsClients(clients.settings, session=session) if session else clients
        self.reader = ShardReader(self.clients, self.config.starting_position, self.config.batch_size)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._progress = threading.Condition()
        self._cycles = 0  # completed poll rounds that delivered nothing
        self._wired: tuple[StreamSource, LogWriter, str] | None = None
        self._functions: dict[str, LocalFunction] = {}  # one execution environment per shard
        self._guard = threading.RLock()  # _function() builds its config through _wiring()

    def start(self) -> None:
        """Check the stream as Lambda does when the mapping is created, open every shard (at LATEST,
        that is now), then poll them."""
        self._stop.clear()
        self.check_access()
        for cursor in self.reader.open_cursors():
            self.reader.ensure_iterator(cursor)
        self._threads = [threading.Thread(target=self._run, name="local-event-source", daemon=True)]
        self._threads[0].start()  # each round polls every shard side by side (poll_once)

    def check_access(self) -> None:
        """What CreateEventSourceMapping checks with the function's role: it may describe and list the
        stream ("ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and
        ListStreams actions"); reading is checked on the first poll."""
        stream = self.clients.settings.stream_name
        with aws_call(f"stream {stream}", setting="STREAM_NAME"):
            self.clients.kinesis.describe_stream(StreamName=stream, Limit=1)
            self.clients.kinesis.list_streams(Limit=1)

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        for function in self._functions.values():
            function.close()

    def wait_until_caught_up(self, timeout: float) -> bool:
        """True once a poll round that began after this call found nothing left to deliver."""
        with self._progress:
            began = self._cycles
            return self._progress.wait_for(lambda: self._cycles > began + 1, timeout)

    def poll_once(self) -> int:
        """Read each shard once, side by side, and deliver what it holds; the number of records delivered."""
        cursors = self.reader.open_cursors()
        counts = [0] * len(cursors)
        threads = [threading.Thread(target=self._poll_into, args=(cursor, counts, i), daemon=True)
                   for i, cursor in enumerate(cursors)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        delivered = sum(max(0, count) for count in counts)
        if not delivered and not self.reader.retrying() and min(counts, default=0) >= 0:
            with self._progress:
                self._cycles += 1
                self._progress.notify_all()
        return delivered

    def _poll_into(self, cursor: ShardCursor, counts: list[int], index: int) -> None:
        counts[index] = self._poll_safely(cursor)

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
        """Records delivered from the shard, or -1 when reading or delivering failed."""
        try:
            records, next_iterator = self.reader.read(cursor)
            if records:
                self._deliver(cursor, records, next_iterator)
            return len(records)
        except Exception:
            log.exception("Local event source: shard %s failed; it is read again", cursor.shard_id)
            cursor.iterator = None  # a fresh iterator from the checkpoint next time
            return -1  # not "nothing to deliver": the round does not count as caught up

    def _deliver(self, cursor: ShardCursor, records: Records, next_iterator: str | None) -> None:
        fresh = self._without_expired(cursor, records)
        self._publish_lag(fresh)
        if not fresh or self._invoke_batch(cursor, fresh) is None:  # else redelivered from a failed record
            cursor.advance(str(records[-1]["SequenceNumber"]), next_iterator)

    def _invoke_batch(self, cursor: ShardCursor, records: Records) -> str | None:
        """Deliver `records`, splitting on function errors; the sequence number to redeliver from, if any."""
        for batch, invocation in self._attempts(cursor, records):
            sequences = [str(record["SequenceNumber"]) for record in batch]
            failed = first_failed_index(invocation.response, sequences)
            if failed is None:
                continue
            if self.config.gives_up_after(cursor.retry_from(sequences[failed])):
                self._give_up(cursor, batch[failed:], invocation, "RetryAttemptsExhausted")
                continue
            return sequences[failed]
        return None

    def _attempts(self, cursor: ShardCursor, records: Records) -> Iterator[tuple[Records, Invocation]]:
        """Each (sub)batch with its invocation that returned; function errors are split or retried here."""
        pending, errors = [records], 0
        while pending:
            batch = pending.pop(0)
            invocation = self._invoke(cursor, batch)
            if invocation.error is None:
                yield batch, invocation
                continue
            if self.config.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
                continue
            errors += 1
            if self.config.gives_up_after(errors):
                self._give_up(cursor, batch, invocation, "RetryAttemptsExhausted")
                errors = 0
                continue
            pending.insert(0, batch)
            self._stop.wait(min(1.0, self.config.poll_seconds))  # Lambda backs off before a retry

    def _invoke(self, cursor: ShardCursor, batch: Records) -> Invocation:
        source, writer, _ = self._wiring()
        event = lambda_event(batch, cursor.shard_id, source)
        invocation = self._function(cursor.shard_id, writer).invoke(event)
        try:
            writer.write(invocation.lines)
        except Exception:  # losing log lines must not hold the stream back
            log.exception("Local event source: could not write the invocation's log lines")
        return invocation

    def _without_expired(self, cursor: ShardCursor, records: Records) -> Records:
        limit = self.config.maximum_record_age_seconds
        if limit < 0:
            return records
        oldest_kept = clock.now() - timedelta(seconds=limit)
        expired = [r for r in records if clock.utc(r["ApproximateArrivalTimestamp"]) < oldest_kept]
        if expired:
            self._give_up(cursor, expired, None, "RecordAgeExceeded")
        return [r for r in records if r not in expired]

    def _give_up(
        self, cursor: ShardCursor, records: Records, invocation: Invocation | None, why: str
    ) -> None:
        source, _, queue_url = self._wiring()
        function = self._functions.get(cursor.shard_id)
        record = failure_record(
            records, cursor.shard_id, source, request_id=invocation.request_id if invocation else "",
            function_arn=function.config.arn if function else "", attempts=max(1, cursor.attempts),
            function_error=bool(invocation and invocation.error), condition=why,
        )
        send_failure(self.clients, queue_url, record)
        log.warning("Local event source: gave up on %d record(s) of %s from %s (%s)",
                    len(records), cursor.shard_id, records[0]["SequenceNumber"], why)

    def _publish_lag(self, records: Records) -> None:
        """IteratorAge, as Lambda reports it in AWS, so the Health page reads lag the same way here."""
        if not records:
            return
        oldest = min(record["ApproximateArrivalTimestamp"] for record in records)
        age_ms = max(0.0, (clock.now() - clock.utc(oldest)).total_seconds() * 1000)
        function: list[DimensionTypeDef] = [
            {"Name": "FunctionName", "Value": self.clients.settings.consumer_function_name}
        ]
        try:
            self.service.cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
                "MetricName": "IteratorAge", "Unit": "Milliseconds", "Value": age_ms, "Dimensions": function,
            }])
        except Exception:  # a missing metric must not hold the stream back
            log.exception("Local event source: could not publish IteratorAge")

    def _function(self, shard_id: str, writer: LogWriter) -> LocalFunction:
        with self._guard:
            if shard_id not in self._functions:
                self._functions[shard_id] = LocalFunction(self._function_config(writer))
            return self._functions[shard_id]

    def _function_config(self, writer: LogWriter) -> FunctionConfig:
        settings, config = self.clients.settings, self.config
        source, _, _ = self._wiring()
        name = settings.consumer_function_name
        arn = f"arn:aws:lambda:{settings.region}:{account_of(source.stream_arn)}:function:{name}"
        environment = config.function_environment | settings_environment(settings)
        environment |= {"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_REGION": settings.region,
                        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
                        "AWS_DEFAULT_REGION": settings.region}
        if config.role:
            environment |= role_credentials(config.role)
        return FunctionConfig(name, arn, config.handler, config.memory_mb, config.timeout_seconds,
                              writer.group, writer.stream, environment)

    def _wiring(self) -> tuple[StreamSource, LogWriter, str]:
        """Looked up on the first delivery, so starting the runner costs no calls."""
        with self._guard:
            if self._wired is None:
                self._wired = wire(self.clients, self.service)
            return self._wired


def wire(clients: AwsClients, service: AwsClients) -> tuple[StreamSource, LogWriter, str]:
    """The stream as events name it, the function's log writer and the on-failure queue's URL.

    Lambda knows the destination by its ARN; its URL is looked up with the account's clients, since
    the function's role needs only sqs:SendMessage.
    """
    settings = clients.settings
    queue_url = service.sqs.get_queue_url(QueueName=settings.failure_queue_name)["QueueUrl"]
    return stream_source(clients), LogWriter(clients, settings.consumer_log_group), str(queue_url)


def settings_environment(settings: Settings) -> dict[str, str]:
    """The variables that give a process these settings (how the template hands them to the function)."""
    variables: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        variable = alias if isinstance(alias, str) else None
        value = getattr(settings, name)
        if variable:
            variables[variable] = str(value).lower() if isinstance(value, bool) else str(value)
    return variables
