"""Bench only, for comparison: the batch service's fetching as it was before FETCH_CONCURRENCY, copied
unchanged from core/ingest/batch.py (commit 65b2f64). Its fetches ran WORKER_COUNT at a time, as many as
the decode workers, so a batch of slow hosts took about one deadline per WORKER_COUNT records.
Everything else (kept events, making an event, writing) is today's code, imported."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from core.aws import AwsClients
from core.fetching import Fetched, fetch_image
from core.ingest.batch import STREAM, Job, Mode, Outcome, Progress, _outcome, _written
from core.store.reads import existing


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
    room = threading.BoundedSemaphore(workers * 2)  # images fetched and waiting for a worker, at most
    futures: dict[Future[Outcome], int] = {}

    def make(position: int, source: Fetched | bytes | Exception) -> None:
        room.acquire()
        future = pool.submit(_outcome, clients, jobs[position], source, mode, started)
        future.add_done_callback(lambda _: room.release())
        futures[future] = position

    with ThreadPoolExecutor(workers, thread_name_prefix="record") as pool:
        fetching = [p for p in todo if jobs[p].rejected is None and jobs[p].data is None]
        for position in todo:
            job = jobs[position]
            if job.rejected is not None or job.data is not None:
                make(position, job.rejected or job.data or b"")
        urls = [jobs[p].image_url or "" for p in fetching]
        for index, fetched in fetch_each(urls, clients):
            make(fetching[index], fetched)
        for count, future in enumerate(as_completed(futures), start=1):
            if done:
                done(count)
            yield futures[future], future.result()


def fetch_each(urls: Sequence[str], clients: AwsClients) -> Iterator[tuple[int, Fetched | Exception]]:
    """Each source as it arrives, WORKER_COUNT at once (core.fetching's concurrent fetcher replaces this)."""
    if not urls:
        return
    with ThreadPoolExecutor(max(1, min(clients.settings.worker_count, len(urls))),
                            thread_name_prefix="fetch") as pool:
        futures = {pool.submit(fetch_image, url, clients): index for index, url in enumerate(urls)}
        for future in as_completed(futures):
            error = future.exception()
            yield futures[future], future.result() if error is None else error  # type: ignore[misc]

