"""Lambda's DynamoDB Streams event source mapping for the aggregator, played locally.

Configured from infra/template.yaml (the AggregatorFunction's DynamoDB event: batch size, starting
position, filter patterns, retries, no bisect), and read with the aggregator's role, as Lambda reads a
stream with the function's. A batch whose invocation fails is delivered again from its first record,
which is what core/store/counting.py's checkpoints rely on. The function runs in its own execution
environment (local/event_source/invoke.py) and logs to its group; `in_process` calls core directly
instead, for tests and benchmarks that count many times and need no logs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from core.aws import AwsClients
from core.store import counting
from local.event_source.invoke import FunctionConfig, LocalFunction
from local.event_source.lambda_logs import LogWriter
from local.event_source.runner import settings_environment
from local.roles import role_credentials, role_session
from local.template import ACCOUNT, AGGREGATOR, FunctionSettings, TableStreamSettings, Template

log = logging.getLogger(__name__)
RETRY_PAUSE_SECONDS = 0.5


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)  # read, not yet applied


class TableStreamSource:
    """Delivers the table's stream to the aggregator from a thread (`start`/`stop`) or `poll_once`."""

    def __init__(self, clients: AwsClients, in_process: bool = False, poll_seconds: float = 0.5,
                 config: TableStreamSettings | None = None, function: FunctionSettings | None = None) -> None:
        """`config` and `function` as the template has them, unless given (a rehearsal gives what Lambda
        holds for the function a stack created)."""
        template = Template(clients.settings)
        self.config = config or template.table_stream_source()
        self.function = function or template.function(AGGREGATOR)
        self.service = clients  # the account's: Lambda's mapping is told the stream, it does not look it up
        self.clients = AwsClients(clients.settings, session=role_session("aggregator"))
        self.streams = self.clients.client("dynamodbstreams")
        self.in_process = in_process
        self.poll_seconds = poll_seconds
        self._stream_arn: str | None = None
        self._shards: dict[str, _Shard] = {}
        self._environment: tuple[LocalFunction, LogWriter] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one delivery at a time, as Lambda does per shard
        self.invocations = 0  # batches delivered successfully

    def check_access(self) -> None:
        """What creating the mapping checks with the function's role: it may describe the table's stream
        and list the table's streams."""
        arn = self._arn()
        self.streams.describe_stream(StreamArn=arn, Limit=1)
        self.streams.list_streams(TableName=self.clients.settings.table_name, Limit=1)

    def start(self) -> None:
        self.check_access()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="local-table-stream", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._environment is not None:
            self._environment[0].close()

    def poll_once(self) -> int:
        """Read every shard to its end and deliver what passes the filters; the changes delivered."""
        with self._lock:
            delivered = 0
            for shard in self._open_shards():
                self._read(shard)
                while shard.pending:
                    batch = shard.pending[:self.config.batch_size]
                    self._deliver(batch)  # raises when it fails: the batch stays pending, to be retried
                    del shard.pending[:len(batch)]
                    self.invocations += 1
                    delivered += len(batch)
            return delivered

    def pending(self) -> list[list[dict[str, Any]]]:
        """The batches the next poll would deliver, as Lambda would form them (read now, not delivered)."""
        with self._lock:
            batches = []
            for shard in self._open_shards():
                self._read(shard)
                size = self.config.batch_size
                batches += [shard.pending[i:i + size] for i in range(0, len(shard.pending), size)]
            return batches

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception:  # the batch is retried from its first record, as Lambda does
                log.exception("Local table stream: delivering to the aggregator failed; retrying")
                self._stop.wait(RETRY_PAUSE_SECONDS)
                continue
            if not delivered:
                self._stop.wait(self.poll_seconds)

    def _arn(self) -> str:
        if self._stream_arn is None:
            table = self.clients.settings.table_name
            described = self.service.dynamodb.describe_table(TableName=table)["Table"]
            self._stream_arn = str(described["LatestStreamArn"])
        return self._stream_arn

    def _open_shards(self) -> list[_Shard]:
        description = self.streams.describe_stream(StreamArn=self._arn())["StreamDescription"]
        for shard in description.get("Shards", []):
            self._shards.setdefault(shard["ShardId"], _Shard(shard["ShardId"]))
        return list(self._shards.values())

    def _read(self, shard: _Shard) -> None:
        if shard.iterator is None:
            shard.iterator = self.streams.get_shard_iterator(
                StreamArn=self._stream_arn, ShardId=shard.shard_id,
                ShardIteratorType=self.config.starting_position,
            )["ShardIterator"]
        while shard.iterator:
            answer = self.streams.get_records(ShardIterator=shard.iterator, Limit=1000)
            records = answer.get("Records", [])
            shard.pending += [_lambda_record(r, self._stream_arn or "") for r in records if self._passes(r)]
            shard.iterator = answer.get("NextShardIterator")
            if not records:
                return

    def _passes(self, record: dict[str, Any]) -> bool:
        return not self.config.filters or any(_matches(pattern, record) for pattern in self.config.filters)

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        if self.in_process:
            counting.apply(self.clients, batch)
            return
        function, writer = self._environment_for()
        invocation = function.invoke({"Records": batch})
        try:
            writer.write(invocation.lines)
        except Exception:
            log.exception("Local table stream: could not write the aggregator's log lines")
        if invocation.error is not None:
            raise RuntimeError(f"{invocation.error.error_type}: {invocation.error.message}")

    def _environment_for(self) -> tuple[LocalFunction, LogWriter]:
        if self._environment is None:
            settings = self.clients.settings
            writer = LogWriter(self.clients, settings.aggregator_log_group)
            name = settings.aggregator_function_name
            environment = self.function.environment | settings_environment(settings)
            environment |= role_credentials("aggregator")
            environment |= {"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_REGION": settings.region,
                            "AWS_DEFAULT_REGION": settings.region}
            config = FunctionConfig(
                name, f"arn:aws:lambda:{settings.region}:{ACCOUNT}:function:{name}",
                self.function.handler, self.function.memory_mb, self.function.timeout_seconds,
                writer.group, writer.stream, environment,
            )
            self._environment = LocalFunction(config), writer
        return self._environment


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to the function (times as epoch seconds)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        change["ApproximateCreationDateTime"] = created.timestamp()
    names = ("eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "userIdentity")
    event = {key: record[key] for key in names if key in record}
    return event | {"dynamodb": change, "eventSourceARN": stream_arn}


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda's filter pattern, the part the template uses: nested fields, each a list of exact values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and _matches(inner, value[key]) for key, inner in pattern.items()
        )
    return isinstance(pattern, list) and value in pattern


def aggregate_once(clients: AwsClients) -> TableStreamSource:
    """A source that counts in this process; call `.poll_once()` to count everything written so far."""
    return TableStreamSource(clients, in_process=True)

