"""The one batch service: the Lambda's batches, replay, uploads, retries and the tests all run `run`.

1. One consistent read finds the jobs whose events are kept already (a redelivered record): they are left
   out before any fetch, decode or upload.
2. The sources of the rest are fetched concurrently (core/fetching/concurrent.py, FETCH_CONCURRENCY at
   once), and as each arrives its decode, renditions and S3 puts run on WORKER_COUNT threads: slow hosts
   overlap one another, the CPU work uses the function's vCPUs, and the images waiting in memory stay
   within FETCH_MEMORY_BYTES and two per worker (core/fetching/limits.py).
3. The new events are written together (a retry writes over its failed self instead).
4. Each job's outcome comes back in the jobs' order: the event written for it, a repeat, or an error that
   means "deliver it again" (our store failed, or our own code did); an upload's bad image is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace

from core.aws import AwsClients
from core.errors import EventRejected, StoreUnavailable
from core.fetching import Fetched
from core.fetching.concurrent import Claim, fetch_each
from core.fetching.limits import ByteBudget
from core.imaging.pixel_budget import DECODING
from core.ingest.events import failed_event, make_event
from core.ingest.origin import Origin
from core.models import EventStatus, StoredEvent
from core.store.reads import existing
from core.store.writes import put_events
from core.wire import parse_record, salvage_fields

# Ids of events not written, and why (the error each of their jobs reports).
Writer = Callable[[AwsClients, list[StoredEvent]], tuple[set[str], Exception]]
Progress = Callable[[int], object]  # told how many jobs are made so far


@dataclass(frozen=True)
class Job:
    """One event to make: where it came from, what it says and where its image is."""

    origin: Origin
    description: str = ""
    image_url: str | None = None  # fetched, unless `data` holds the image already
    data: bytes | None = None  # an upload's own bytes
    rejected: EventRejected | None = None  # bad before any work: a record that is not an event


def stream_job(data: bytes, origin: Origin) -> Job:
    """A raw stream record as a job: its event, or why it is none (with what URL and description it had)."""
    try:
        record = parse_record(data)
    except EventRejected as exc:
        salvaged = salvage_fields(data)
        return Job(origin, salvaged.get("description", ""), salvaged.get("image_url"), rejected=exc)
    return Job(replace(origin, read_as=record.read_as), record.event.description, record.event.image_url)


def write_all(clients: AwsClients, events: list[StoredEvent]) -> tuple[set[str], Exception]:
    """The batch's events in a few BatchWriteItem calls: the ids left unwritten (all if the call failed)."""
    try:
        unwritten = put_events(clients, events)
    except StoreUnavailable as exc:
        return {event.event_id for event in events}, exc
    return unwritten, StoreUnavailable(f"table {clients.settings.table_name}: DynamoDB is throttling writes; "
                                       "try again in a moment")


@dataclass(frozen=True)
class Mode:
    """How a kind of caller wants its jobs handled."""

    skip_kept: bool = True  # leave out jobs whose events are kept already (a redelivery)
    keep_failures: bool = True  # a job that fails becomes a failed event; else it is refused, writing nothing
    write: Writer = write_all


STREAM = Mode()  # the Lambda, replay and the tests: a redelivery changes nothing, every failure is kept
UPLOAD = Mode(skip_kept=False, keep_failures=False)  # a file that is no usable image is refused


@dataclass(frozen=True)
class Outcome:
    """What became of one job."""

    job: Job
    event: StoredEvent | None = None  # the event written for it now (stored, or failed with its reason)
    error: Exception | None = None  # nothing written: deliver it again, or (an upload) refused and why
    seconds: float = 0.0  # from the batch's start until its event was made
    decode_seconds: float | None = None  # decoding and resizing its image, on its worker thread

    @property
    def status(self) -> str:
        """stored, failed, repeat (kept by an earlier delivery), retry or refused."""
        if self.event is not None:
            return self.event.status.value
        if self.error is None:
            return "repeat"
        return "refused" if isinstance(self.error, EventRejected) else "retry"


def run(
    clients: AwsClients, jobs: Sequence[Job], mode: Mode = STREAM, done: Progress | None = None
) -> list[Outcome]:
    """Every job through fetch, imaging and the store; their outcomes in order. `done(count)` is told how
    many jobs are made so far, as they are made (an upload's progress bar).

    Raises StoreUnavailable only when the kept events could not be looked up (nothing was done)."""
    kept = existing(clients, [job.origin.event_id for job in jobs]) if mode.skip_kept else set()
    outcomes = [Outcome(job) if job.origin.event_id in kept else None for job in jobs]
    started = time.perf_counter()
    for position, outcome in _made(clients, jobs, [p for p, o in enumerate(outcomes) if o is None], mode,
                                   started, done):
        outcomes[position] = outcome
    made = [o for o in outcomes if o is not None]
    assert len(made) == len(jobs), "every job has an outcome"
    return _written(clients, made, mode)


def _made(
    clients: AwsClients, jobs: Sequence[Job], todo: list[int], mode: Mode, started: float,
    done: Progress | None,
) -> Iterator[tuple[int, Outcome]]:
    """The outcome of each job in `todo`, made on WORKER_COUNT threads as its image arrives."""
    workers = max(1, min(clients.settings.worker_count, len(todo)))
    futures: dict[Future[Outcome], int] = {}

    def make(position: int, source: Fetched | bytes | Exception, claim: Claim | None = None) -> None:
        future = pool.submit(_outcome, clients, jobs[position], source, mode, started)
        if claim is not None:  # once its event is made, room for the next image, and the next fetch
            # The claim alone: a future keeps its callbacks until the batch ends, the image with them.
            future.add_done_callback(lambda _: claim.release())
        futures[future] = position

    with ThreadPoolExecutor(workers, thread_name_prefix="record") as pool:
        fetching = [p for p in todo if jobs[p].rejected is None and jobs[p].data is None]
        for position in todo:
            job = jobs[position]
            if job.rejected is not None or job.data is not None:
                make(position, job.rejected or job.data or b"")
        budget = ByteBudget(clients.settings.fetch_memory_bytes)
        for arrival in fetch_each([jobs[p].image_url or "" for p in fetching], clients, budget):
            make(fetching[arrival.index], arrival.result, arrival.claim)
        for count, future in enumerate(as_completed(futures), start=1):
            if done:
                done(count)
            yield futures[future], future.result()


def _outcome(clients: AwsClients, job: Job, source: Fetched | bytes | Exception, mode: Mode,
             started: float) -> Outcome:
    """One job's event from its fetched source; never raises (an error is the outcome's)."""
    begun = time.perf_counter()
    try:
        if isinstance(source, Exception):
            raise source
        data = source.data if isinstance(source, Fetched) else source
        event = make_event(clients, job.origin, job.description, job.image_url, data)
    except EventRejected as exc:
        if not mode.keep_failures:
            return Outcome(job, error=exc, seconds=time.perf_counter() - started)
        event = failed_event(job.origin, exc, job.image_url, job.description)
    except Exception as exc:  # our store failed, or our own code did: Lambda delivers it again
        return Outcome(job, error=exc, seconds=time.perf_counter() - started)
    return Outcome(job, event, seconds=time.perf_counter() - started, decode_seconds=_decode_seconds(begun))


def _decode_seconds(begun: float) -> float | None:
    """The decode this worker thread held the pixel budget for since `begun`, if any."""
    hold = DECODING.last_hold()
    return hold.held if hold is not None and hold.asked >= begun else None


def _written(clients: AwsClients, outcomes: list[Outcome], mode: Mode) -> list[Outcome]:
    """The new events written together; a job whose event was not written reports why."""
    new = [outcome.event for outcome in outcomes if outcome.event is not None]
    if not new:
        return outcomes
    unwritten, error = mode.write(clients, new)
    return [replace(o, event=None, error=error) if o.event and o.event.event_id in unwritten else o
            for o in outcomes]


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """How many jobs ended each way: stored, failed, repeat, retry, refused."""
    statuses = [outcome.status for outcome in outcomes]
    return {status: statuses.count(status)
            for status in (EventStatus.STORED.value, EventStatus.FAILED.value, "repeat", "retry", "refused")}
