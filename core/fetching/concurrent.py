"""A batch's fetches at once: FETCH_CONCURRENCY of them, each under its own deadline, their bodies within the
batch's byte budget and no further ahead of the workers than its lead allows (core/fetching/limits.py), each
result handed on as it arrives.

Most of a fetch is waiting on the source, so the fetches run on threads of their own, apart from the CPU work
of decoding (WORKER_COUNT threads, core/ingest/batch.py): a batch of slow hosts takes about one deadline,
not one per WORKER_COUNT records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from core.aws import AwsClients
from core.fetching.fetch import Fetched, fetch_image, is_s3
from core.fetching.limits import LEAD_PER_WORKER, ByteBudget, Hold, Lead, Ticket


@dataclass(frozen=True)
class Claim:
    """What a fetched image holds until it is processed: room in the budget and a place in the lead. Kept
    apart from the image, so that whoever releases it later does not keep the image's bytes alive."""

    hold: Hold
    ticket: Ticket

    def release(self) -> None:
        """Its image is processed: room for another body, and another fetch may start (safe to repeat)."""
        self.hold.release()
        self.ticket.processed()


@dataclass(frozen=True)
class Arrival:
    """One fetch's result (the image, or why there is none) and its claim: release it once the image is
    processed."""

    index: int  # of its URL in the list asked for
    result: Fetched | Exception
    claim: Claim

    def release(self) -> None:
        self.claim.release()


def fetch_each(urls: Sequence[str], clients: AwsClients, budget: ByteBudget) -> Iterator[Arrival]:
    """Each URL's image as it arrives, FETCH_CONCURRENCY fetches at once; a failed fetch holds no room."""
    if not urls:
        return
    threads = max(1, min(clients.settings.fetch_concurrency, len(urls)))
    lead = Lead(LEAD_PER_WORKER * clients.settings.worker_count)
    pool = ThreadPoolExecutor(threads, thread_name_prefix="fetch")
    try:
        futures = {pool.submit(_fetch, url, clients, budget, lead): index for index, url in enumerate(urls)}
        for future in as_completed(futures):
            index = futures.pop(future)  # as_completed lets go of it too: a processed body is freed
            result, hold, ticket = future.result()
            yield Arrival(index, result, Claim(hold, ticket))
    finally:
        lead.close()
        pool.shutdown(wait=True, cancel_futures=True)  # a fetch running ends by its deadline


def _fetch(
    url: str, clients: AwsClients, budget: ByteBudget, lead: Lead
) -> tuple[Fetched | Exception, Hold, Ticket]:
    """One fetch, once the lead allows; room for its body is waited for until its deadline at most (the
    wait is part of it)."""
    with lead.fetching(ages=not is_s3(url)) as ticket:
        hold = budget.hold(until=time.monotonic() + clients.settings.fetch_timeout_seconds)
        try:
            fetched = fetch_image(url, clients, room=hold.reserve)
        except Exception as exc:  # the source's failure, or our store's: the caller records which
            hold.release()
            return exc, hold, ticket
        hold.keep(len(fetched.data))
        ticket.arrived()
        return fetched, hold, ticket


