"""The capacity model, from the writes a real run records: `python -m bench.capacity [--records N]`.

N records go through the real consumer, then the real aggregator counts the table's stream; then the same
records are delivered again, as Lambda redelivers them. A botocore hook records every call and every
DynamoDB write and read; each is sized by AWS's rules (a write: 1 WCU per KB, 2 if transactional, a
failed condition still billed, each index the item lands in written too; a read: per 4 KB, half when
eventually consistent, a missing key still billed). From that:
- WCU per event by item class, first delivery and redelivery;
- the consumer's items, per event, and the aggregator's, per invocation: its writes follow its
  invocations, not the events, and Lambda invokes it at most once per batching window per stream shard
  while batches are not full, once per BatchSize changes when they are (both read from the template);
- the hottest partition key and item at 10,000 events/s, and the highest rate each layout sustains with
  none above 500 WCU/s (half of DynamoDB's 1,000 WCU/s per partition);
- AWS calls per event, and the time of a redelivery against a first delivery (same run);
- then the capacity model that counts compute (bench/capacity_model.py): the consumer's CPU per stored
  event measured on 2 MP phone photos (bench/compute.py), events/s per setting with the stream's, the
  table's and S3's bounds beside it, and the cost per million events at x86_64 and arm64.
The records are realistic events: phone photos carrying an iPhone's Exif and a Display P3 profile, at
s3:// addresses of about 120 characters, with captions of 20 to 200 characters. All records arrive within
one second, as at a sustained rate every event of a minute meets the same minute's items; one record in
ten is not an image event, so failures are in the mix.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import capacity_model as capacity
from bench import capacity_report
from bench.compute import Compute, measure
from bench.stats import machine
from core.aws import AwsClients
from core.settings import Settings
from core.store import keys
from core.store.items import ITEM_BUDGET, item_size
from core.store.latest import LATEST_BUDGET
from local.emulator import embedded_aws, use_endpoint
from local.event_source.lambda_logs import captured
from local.template import AGGREGATOR, Template

DESIGN_RATE = 10_000  # events/s: 10 Kinesis shards at 1,000 records/s each
BOUND_WCU = 500  # half of DynamoDB's per-partition limit
STREAM_SHARDS = (10, 100)  # table stream shards (about one per table partition) shown in the model
BEFORE = Path(__file__).with_name("CAPACITY_BEFORE.md")
# Larger than the thumbnail, so each event also writes its preview, as a photo does; small, so the run is
# quick and the emulator's share of it stays small (the items do not depend on the pixels).
IMAGE_SIZE = (400, 300)
CAPTIONS = ("Sunset", "Harbour at dusk from the ferry terminal",
            "Kitchen renovation, day 3: the new worktop is in and the old tiles are gone",
            "Receipt for the team lunch on Thursday, to be filed under client entertainment before month "
            "end, with the card slip attached",
            "Front of the building from across the street after the storm; the sign above the door is "
            "hanging by one bolt and the gutter on the left has come away, photographed for the insurance "
            "claim")
ONCE_EACH = ("E#", "AGG#")  # partitions of one event's items, or of one batch's checkpoint


@dataclass
class Write:
    table_key: tuple[str, str]  # (pk, sk) of the item
    kind: str  # "put", "update", "delete", "condition"
    transactional: bool
    item: dict[str, Any] | None  # the whole item, when the call carries it
    failed: bool = False


@dataclass
class Recording:
    calls: Counter[str] = field(default_factory=Counter)
    puts: Counter[str] = field(default_factory=Counter)  # S3 PutObject calls by the key's first folder
    writes: list[Write] = field(default_factory=list)
    read_units: float = 0.0


class Recorder:
    """Every AWS call made through `clients`, and every DynamoDB write and read in detail, per phase."""

    def __init__(self, *clients: AwsClients) -> None:
        self.phases: dict[str, Recording] = defaultdict(Recording)
        self.phase = "setup"
        self._lock = threading.Lock()
        self._params = threading.local()  # the call's parameters, from before-parameter-build to after-call
        for client_set in clients:
            for service in ("s3", "dynamodb", "kinesis", "logs", "sqs", "cloudwatch"):
                client_set.client(service).meta.events.register(f"before-call.{service}", self._call)
            client_set.client("s3").meta.events.register("before-parameter-build.s3.PutObject", self._put)
            dynamodb = client_set.client("dynamodb").meta.events
            dynamodb.register("before-parameter-build.dynamodb", self._remember)
            dynamodb.register("after-call.dynamodb", self._dynamodb)

    @contextlib.contextmanager
    def recording(self, phase: str) -> Iterator[Recording]:
        self.phase = phase
        try:
            yield self.phases[phase]
        finally:
            self.phase = "setup"

    def _call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.phases[self.phase].calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def _put(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.phases[self.phase].puts[str(params["Key"]).split("/", 1)[0] + "/"] += 1

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self._params.value = dict(params)

    def _dynamodb(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        params = getattr(self._params, "value", {})
        failed = "Error" in parsed
        writes = list(_writes(model.name, params, failed))
        units = _read_units(model.name, params, parsed)
        with self._lock:
            recording = self.phases[self.phase]
            recording.writes += writes
            recording.read_units += units


def _writes(operation: str, params: dict[str, Any], failed: bool) -> Iterator[Write]:
    if operation == "PutItem":
        yield Write(_key(params["Item"]), "put", False, params["Item"], failed)
    elif operation in ("UpdateItem", "DeleteItem"):
        yield Write(_key(params["Key"]), operation[:6].lower(), False, None, failed)
    elif operation == "BatchWriteItem":
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    yield Write(_key(item), "put", False, item)
                else:
                    yield Write(_key(request["DeleteRequest"]["Key"]), "delete", False, None)
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            (kind, body), = entry.items()
            item = body.get("Item")
            kinds = {"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "condition"}
            yield Write(_key(item or body["Key"]), kinds[kind], True, item, failed)


def _read_units(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> float:
    """RCU of a read, as DynamoDB bills it: items up to 4 KB each (a query sums its items first), a
    missing key as if present, half for an eventually consistent read. Our items are all under 4 KB."""
    if operation == "GetItem":
        return 1.0 if params.get("ConsistentRead") else 0.5
    if operation == "BatchGetItem":
        requests = params.get("RequestItems", {}).values()
        return sum(len(r["Keys"]) * (1.0 if r.get("ConsistentRead") else 0.5) for r in requests)
    if operation == "Query":
        size = sum(item_size(item) for item in parsed.get("Items", []))
        return max(1, math.ceil(size / 4096)) * (1.0 if params.get("ConsistentRead") else 0.5)
    return 0.0


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return str(item[keys.PK]["S"]), str(item.get(keys.SK, {}).get("S", ""))


@dataclass
class Load:
    """WCU on each partition and item, per unit of work (an event, or an invocation of the aggregator)."""

    by_class: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    # "table <pk>" or "<index>: <key>"
    by_partition: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_item: defaultdict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    total: float = 0.0

    def hottest(self) -> tuple[tuple[str, float], tuple[tuple[str, str], float]]:
        """The busiest partition and item that more than one event or invocation writes (an event's own
        items and a batch's checkpoint are written once each: they take no load at any rate)."""
        shared = {key: load for key, load in self.by_item.items() if not key[0].startswith(ONCE_EACH)}
        partitions = {key: load for key, load in self.by_partition.items()
                      if not key.removeprefix("table ").startswith(ONCE_EACH)}
        partition = max(partitions.items(), key=lambda entry: entry[1], default=("none", 0.0))
        return partition, max(shared.items(), key=lambda entry: entry[1], default=(("none", ""), 0.0))


def load_of(writes: list[Write], sizes: dict[tuple[str, str], int], units: int) -> Load:
    """Each partition's and item's WCU per unit. A write-sharded family (TIME_SHARDS time partitions a
    day, LATEST_SHARDS LATEST items, COUNTER_SHARDS counters a minute) is shown as one member, `nn`,
    with the family's measured load divided evenly: its keys come from a hash (of an event id or a
    sequence number), so they spread evenly, and the busiest member in a sample of a few thousand
    events would show sampling noise rather than the layout."""
    load = Load()
    for write in writes:
        size = item_size(write.item) if write.item else sizes.get(write.table_key, 100)
        wcu = max(1, math.ceil(size / 1024)) * (2 if write.transactional else 1)
        load.by_class[item_class_of(write.table_key)] += wcu / units
        load.total += wcu / units
        pk, sk = write.table_key
        partition, partition_shards = _family(pk)
        load.by_partition[f"table {partition}"] += wcu / units / partition_shards
        sort_key, item_shards = _family(sk)
        load.by_item[(partition, sort_key)] += wcu / units / (partition_shards * item_shards)
        if write.item and not write.failed and write.kind == "put":
            for index in keys.TABLE_INDEXES:
                names = [part["AttributeName"] for part in index["KeySchema"]]
                if all(name in write.item for name in names):
                    index_wcu = max(1, math.ceil(size / 1024))
                    key, shards = _family(str(write.item[names[0]]["S"]))
                    load.by_class[f"index {index['IndexName']}"] += index_wcu / units
                    load.by_partition[f"{index['IndexName']}: {key}"] += index_wcu / units / shards
                    load.total += index_wcu / units
    return load


_SHARDED = (
    (re.compile(r"^([TF]#\d{4}-\d{2}-\d{2}#)\d+$"), keys.TIME_SHARDS),  # a time index partition
    (re.compile(r"^(LATEST#)\d+$"), keys.LATEST_SHARDS),
    (re.compile(r"^(\d{2}:\d{2}#)\d+$"), keys.COUNTER_SHARDS),  # a minute counter's sort key
)


def _family(key: str) -> tuple[str, int]:
    """(`key` with its shard number as `nn`, how many members its family has), or (key, 1)."""
    for pattern, shards in _SHARDED:
        if found := pattern.match(key):
            return found.group(1) + "nn", shards
    return key, 1


def item_class_of(table_key: tuple[str, str]) -> str:
    """A readable class for an item, from its key's prefix."""
    pk, sk = table_key
    prefix = pk.split("#", 1)[0]
    return {"E": "event" if sk == keys.EVENT_SK else "event detail", "COUNT": "minute counter",
            "LATEST": "LATEST", "AGG": "aggregator checkpoint"}.get(prefix, prefix)


@dataclass(frozen=True)
class Model:
    """The layout at a rate: the consumer's load per event, the aggregator's per invocation."""

    per_event: Load
    per_invocation: Load
    window_seconds: int  # the aggregator's MaximumBatchingWindowInSeconds
    batch_size: int  # and its BatchSize

    def invocations(self, rate: float, stream_shards: int) -> float:
        """Aggregator invocations a second: each shard's window, or full batches, whichever is more."""
        return max(stream_shards / max(self.window_seconds, 1), rate / self.batch_size)

    def wcu_per_event(self, rate: float, stream_shards: int) -> float:
        return self.per_event.total + self.per_invocation.total * self.invocations(rate, stream_shards) / rate

    def sustained(self) -> float:
        """Events/s before a consumer-written partition or item, or (once batches are full) an
        aggregator-written one, reaches BOUND_WCU."""
        (_, event_partition), (_, event_item) = self.per_event.hottest()
        (_, invocation_partition), (_, invocation_item) = self.per_invocation.hottest()
        full_batches = max(invocation_partition, invocation_item) / self.batch_size
        return BOUND_WCU / max(event_partition, event_item, full_batches)

    def stream_shards_within_bound(self) -> float:
        """Stream shards (while batches are not full) before an aggregator item reaches BOUND_WCU."""
        (_, partition), (_, item) = self.per_invocation.hottest()
        return BOUND_WCU * max(self.window_seconds, 1) / max(partition, item, 1e-9)

    def lines(self) -> list[str]:
        (event_partition, per_event), (event_item, per_item) = self.per_event.hottest()
        (agg_partition, per_invocation), (agg_item, per_agg_item) = self.per_invocation.hottest()
        out = [
            f"consumer-written: hottest partition `{event_partition}` {per_event:.3f} WCU per event "
            f"({per_event * DESIGN_RATE:,.0f} WCU/s at {DESIGN_RATE:,} events/s); hottest shared item "
            f"`{event_item[0]} / {event_item[1]}` {per_item:.3f} ({per_item * DESIGN_RATE:,.0f} WCU/s: "
            "each event writes only its own items)",
            f"aggregator-written: hottest partition `{agg_partition}` {per_invocation:.2f} WCU per "
            f"invocation, hottest item `{agg_item[0]} / {agg_item[1]}` {per_agg_item:.2f}; invocations/s = "
            f"max(stream shards / {self.window_seconds} s, events/s / {self.batch_size})",
        ]
        for shards in STREAM_SHARDS:
            calls = self.invocations(DESIGN_RATE, shards)
            out.append(f"at {DESIGN_RATE:,} events/s with {shards} stream shards: {calls:,.0f} "
                       f"invocations/s, `{agg_partition}` at {per_invocation * calls:,.0f} WCU/s, "
                       f"{self.wcu_per_event(DESIGN_RATE, shards):.2f} WCU per event in all")
        out.append(f"**sustains {self.sustained():,.0f} events/s** with no partition or item above "
                   f"{BOUND_WCU} WCU/s, on a table of up to {self.stream_shards_within_bound():,.0f} stream "
                   f"shards (about one per 10 GB or 1,000 WCU/s of table)")
        return out


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Run:
    records: int
    phases: dict[str, Recording]
    seconds: dict[str, float]
    invocations: int
    log_bytes: int
    sizes: dict[tuple[str, str], int]
    compute: Compute


def run(records: int, cpu_records: int, cpu_rounds: int) -> Run:
    settings = Settings(worker_count=8)
    with embedded_aws() as endpoint:
        use_endpoint(endpoint)
        from core.ops.provision import provision
        from local.event_source.table_stream import TableStreamSource
        from local.roles import admin_session, role_session

        admin = AwsClients(settings, session=admin_session())
        provision(admin)
        function = AwsClients(settings, session=role_session("consumer"))
        consumer = Consumer(function)
        aggregator = TableStreamSource(admin, in_process=True)
        recorder = Recorder(function, aggregator.clients)
        batches = prepare(admin, records)
        seconds: dict[str, float] = {}
        log_bytes = 0
        work: dict[str, Callable[[], int]] = {
            "first delivery": lambda: consumer.deliver(batches),
            "aggregation": aggregator.poll_once,
            "redelivery": lambda: consumer.deliver(batches),
            "aggregation after redelivery": aggregator.poll_once,
        }
        for phase, step in work.items():
            with recorder.recording(phase):
                started = time.perf_counter()
                logged = step()
                seconds[phase] = time.perf_counter() - started
            log_bytes += logged if phase == "first delivery" else 0
        invocations = aggregator.invocations
        sizes = item_sizes(admin)
        compute = measure(admin, cpu_records, cpu_rounds)
    return Run(records, dict(recorder.phases), seconds, invocations, log_bytes, sizes, compute)


class Consumer:
    """The consumer's handler, in this process, with the function's role."""

    def __init__(self, function: AwsClients) -> None:
        from lambda_consumer import handler

        self.handler = handler
        handler.aws_clients = lambda: function  # type: ignore[assignment]  # the function's cached clients

    def deliver(self, batches: list[dict[str, Any]]) -> int:
        """Every batch, in order; the bytes the function logged (CloudWatch bills them)."""
        log_bytes = 0
        for batch in batches:
            # Its metrics (EMF) go to stdout, as in Lambda; not into this report.
            with captured() as lines, contextlib.redirect_stdout(io.StringIO()):
                response = self.handler.handler(batch, _context())
            log_bytes += sum(len(text.encode()) + 26 for _, text in lines)
            assert response == {"batchItemFailures": []}, response
        return log_bytes


def prepare(admin: AwsClients, records: int) -> list[dict[str, Any]]:
    from bench.consumer_data import read_back
    from bench.phone_photo import phone_photo
    from core.stream.producer import encode_event, send_events

    bucket = admin.settings.bucket_name
    batch = Template(admin.settings).event_source().batch_size
    payloads = []
    for index in range(records):
        if index % 10 == 9:
            payloads.append(b"not an image event")
            continue
        # s3://<bucket>/ and a key as a phone backup names it: about 120 characters in all
        key = f"capacity/uploads/2026/11/26/user-4821/IMG_{index:05}-7f3c9a2e-5b1d-4c8e-9f2a-{index:012}.jpeg"
        admin.s3.put_object(Bucket=bucket, Key=key, Body=phone_photo(IMAGE_SIZE, variant=index))
        payloads.append(encode_event(f"s3://{bucket}/{key}", CAPTIONS[index % len(CAPTIONS)]))
    sent = send_events(admin, payloads, partition_key="capacity")
    event = read_back(admin, sent)
    arrival = round(time.time(), 3)
    for offset, record in enumerate(event["Records"]):  # all within one second (see the docstring)
        record["kinesis"]["approximateArrivalTimestamp"] = arrival + offset / 10_000
    return [{"Records": event["Records"][i:i + batch]} for i in range(0, len(event["Records"]), batch)]


def _context() -> Any:
    from local.event_source.invoke import LocalContext

    arn = "arn:aws:lambda:us-east-1:123456789012:function:capacity"
    return LocalContext("capacity", arn, 1024, "capacity", "", "", time.monotonic() + 900)


def item_sizes(admin: AwsClients) -> dict[tuple[str, str], int]:
    sizes: dict[tuple[str, str], int] = {}
    paginator = admin.dynamodb.get_paginator("scan")
    for page in paginator.paginate(TableName=admin.settings.table_name):
        for item in page["Items"]:
            sizes[_key(item)] = item_size(item)
    return sizes


# --- the report --------------------------------------------------------------------------------------


def report(result: Run) -> str:
    template = Template(Settings())
    stream = template.table_stream_source()
    events, phases, sizes = result.records, result.phases, result.sizes
    first, again = phases["first delivery"], phases["redelivery"]
    aggregation = phases["aggregation"]
    invocations = max(result.invocations, 1)
    model = Model(load_of(first.writes, sizes, events), load_of(aggregation.writes, sizes, invocations),
                  stream.batching_window_seconds, stream.batch_size)
    redelivered = load_of(again.writes + phases["aggregation after redelivery"].writes, sizes, events)
    batch = template.event_source().batch_size
    batches = math.ceil(events / batch)
    calls_first, calls_again = sum(first.calls.values()), sum(again.calls.values())
    ratio = result.seconds["redelivery"] / result.seconds["first delivery"]
    out = [machine(), f"{events} records (one in ten not an image event), batches of {batch}, all arriving "
           f"within one second; the aggregator counted them in {result.invocations} invocation(s) "
           f"(BatchSize {stream.batch_size}); then the records were delivered again.", ""]
    out += ["| item class | WCU per event, first delivery | per aggregator invocation "
            "| redelivery, per event |", "| --- | ---: | ---: | ---: |"]
    for name in sorted(set(model.per_event.by_class) | set(model.per_invocation.by_class)
                       | set(redelivered.by_class)):
        out.append(f"| {name} | {model.per_event.by_class[name]:.3f} | "
                   f"{model.per_invocation.by_class[name]:.2f} | {redelivered.by_class[name]:.3f} |")
    out.append(f"| **total** | **{model.per_event.total:.2f}** | **{model.per_invocation.total:.2f}** | "
               f"**{redelivered.total:.3f}** |")
    out += ["", *[f"- {line}" for line in model.lines()]]
    aggregator_calls = sum(aggregation.calls.values())
    out += [f"- AWS calls per event, first delivery: consumer **{calls_first / events:.2f}** "
            f"({_top(first.calls, events)}); aggregator {aggregator_calls / invocations:.1f} per invocation "
            f"({aggregator_calls / events:.3f} per event in this run)",
            f"- redelivery: **{calls_again / batches:.1f} AWS calls per {batch}-record batch** "
            f"({_top(again.calls, events)}); time {result.seconds['redelivery']:.2f} s against "
            f"{result.seconds['first delivery']:.2f} s for the first delivery: **{ratio:.1%}** "
            "(same run, against the emulator)", ""]
    stored = sum(1 for index in range(events) if index % 10 != 9)
    items = item_figures(sizes, stored)
    wcu_stored = model.wcu_per_event(DESIGN_RATE, STREAM_SHARDS[0]) * events / stored
    out += [f"Per stored event ({stored} of the {events} records; the failed events' writes and calls "
            f"counted in): **{wcu_stored:.2f} WCU**, **{calls_first / stored:.2f} AWS calls** in the "
            f"consumer ({_top(first.calls, stored)}); S3 PUTs by folder: {_top(first.puts, stored)}.",
            f"Items: event item median {items['event_median']:,} bytes, largest {items['event_max']:,} "
            f"(budget {ITEM_BUDGET:,}); {items['detail_share']:.0%} of events have a detail item; largest "
            f"LATEST item {items['latest_max']:,} bytes = {math.ceil(items['latest_max'] / 1024)} WCU a "
            f"write (budget {LATEST_BUDGET // 1024}).", ""]
    out += capacity_section(result, model, first, aggregation, stored, wcu_stored, template)
    figures = {"sustained_events_per_second": round(model.sustained()),
               "wcu_per_stored_event": round(wcu_stored, 3),
               "calls_per_stored_event": round(calls_first / stored, 3),
               "cpu_ms_per_stored_event": round(result.compute.cpu() * 1000, 1),
               "event_item_bytes_max": items["event_max"], "latest_item_bytes_max": items["latest_max"],
               "detail_share": round(items["detail_share"], 3),
               "wcu_per_event": round(model.wcu_per_event(DESIGN_RATE, STREAM_SHARDS[0]), 3),
               "calls_per_event": round(calls_first / events, 3),
               "redelivery_calls_per_batch": round(calls_again / batches, 2),
               "redelivery_time_ratio": round(ratio, 3)}
    out += ["", *comparison(figures), "", "```json", json.dumps(figures), "```"]
    return "\n".join(out)


def item_figures(sizes: dict[tuple[str, str], int], stored: int) -> dict[str, Any]:
    """Sizes of the event items (median, largest), the share of events with a detail item, and the
    largest LATEST item, from the table as the run left it."""
    events = sorted(size for (pk, sk), size in sizes.items() if pk.startswith("E#") and sk == keys.EVENT_SK)
    details = sum(1 for pk, sk in sizes if pk.startswith("E#") and sk == keys.DETAIL_SK)
    latest = [size for (pk, _), size in sizes.items() if pk.startswith("LATEST#")]
    return {"event_median": events[len(events) // 2] if events else 0, "event_max": max(events, default=0),
            "detail_share": details / max(len(events), 1), "latest_max": max(latest, default=0)}


def capacity_section(result: Run, model: Model, first: Recording, aggregation: Recording, stored: int,
                     wcu_stored: float, template: Template) -> list[str]:
    """The capacity model on this run's figures (bench/capacity_report.py)."""
    agg_memory_gb = template.function(AGGREGATOR).memory_mb / 1024
    measured = capacity.Measured(
        cpu_seconds=result.compute.cpu(), wcu=wcu_stored,
        read_units=(first.read_units + aggregation.read_units) / stored,
        puts={prefix: count / stored for prefix, count in first.puts.items()},
        gets=first.calls["s3.GetObject"] / stored, table_sustains=model.sustained(),
        log_bytes=result.log_bytes / stored,
        aggregator_gb_seconds=result.seconds["aggregation"] * agg_memory_gb / stored)
    return capacity_report.section(result.compute, measured, template, DESIGN_RATE, BOUND_WCU)


def comparison(now: dict[str, float]) -> list[str]:
    """This layout's figures beside the first layout's (bench/CAPACITY_BEFORE.md, same benchmark)."""
    found = re.search(r"```json\n(.*?)\n```", BEFORE.read_text(), re.S) if BEFORE.exists() else None
    if found is None:
        return []
    before = json.loads(found.group(1))
    names = {"sustained_events_per_second": "sustained events/s", "wcu_per_event": "WCU per event",
             "calls_per_event": "AWS calls per event (first delivery)",
             "redelivery_calls_per_batch": "AWS calls per redelivered batch",
             "redelivery_time_ratio": "redelivery time / first delivery"}
    lines = [f"| layout | {' | '.join(names.values())} |", "| --- |" + " ---: |" * len(names)]
    for label, figures in (("first (hour buckets, counters in each event's transaction)", before),
                           ("this (sharded time index, counters from the table's stream)", now)):
        lines.append(f"| {label} | " + " | ".join(f"{figures[key]:,}" for key in names) + " |")
    return lines


def _top(calls: Counter[str], records: int) -> str:
    return ", ".join(f"{name} {count / records:.2f}" for name, count in calls.most_common(6))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--cpu-records", type=int, default=40, help="2 MP photos per timed round")
    parser.add_argument("--cpu-rounds", type=int, default=3)
    args = parser.parse_args()
    print(report(run(args.records, args.cpu_records, args.cpu_rounds)))


if __name__ == "__main__":
    main()
