"""The Health page's on-failure queue: what waits on it, and Replay with a progress bar and its summary."""

from __future__ import annotations

import streamlit as st

from core import clock
from core.aws import AwsClients
from core.errors import ImageProcessorError, StoreError
from core.ops import health, replay
from core.ops.audit import Action
from core.ops.replay import Replayed
from dashboard import roles
from dashboard.resources import live_snapshot
from dashboard.views import ago, local_time

HIDDEN_MINUTES = replay.VISIBILITY_SECONDS // 60


def show_failure_queue(clients: AwsClients) -> bool:
    """The queue's figures, a Replay button and, once pressed, the replay's progress and summary (the
    figures read again after it). True when Replay was pressed, so the page can read again what it showed
    of the queue before."""
    figures = st.container()
    replayed = False
    try:
        queue = health.failure_queue(clients)
        if not roles.visitor().operates:
            st.caption("Operators can replay the queue from here.")
        elif st.button("Replay", key="health_replay", icon=":material/replay:", disabled=not queue.waiting,
                       help=f"Read each waiting batch's records back from the stream and store them as the "
                            f"consumer would (at most {replay.MOST} messages a press)"):
            _replay_and_report(clients, queue.waiting)
            replayed = True
            queue = health.failure_queue(clients)
    except StoreError as exc:
        figures.error(f"The on-failure queue does not answer: {exc}", icon=":material/cloud_off:")
        return replayed
    with figures:
        _figures(queue)
    return replayed


def replay_failures(clients: AwsClients, waiting: int) -> Replayed | None:
    """The dashboard's one way to replay the on-failure queue: an operator's only (None for anyone else, the
    refusal recorded), recorded in the audit trail either way it ends; a progress bar moves as each message
    is done. Raises what replay raises."""
    if not roles.permit(Action.REPLAY):
        return None
    total = max(1, min(waiting, replay.MOST))
    bar = st.progress(0.0, text=f"Replaying up to {total} message(s)…")

    def progress(done: Replayed) -> None:
        bar.progress(min(1.0, (done.messages + len(done.left)) / total), text=replay.summary(done))

    try:
        done = replay.replay(clients, replay.MOST, progress)
    except ImageProcessorError as exc:
        roles.record(Action.REPLAY, failed=True, detail=str(exc))
        raise
    roles.record(Action.REPLAY, detail=replay.summary(done), event_count=done.records)
    bar.progress(1.0, text=replay.summary(done))
    return done


def _replay_and_report(clients: AwsClients, waiting: int) -> None:
    try:
        done = replay_failures(clients, waiting)
    except ImageProcessorError as exc:
        st.error(f"Replay stopped: {exc}. What it stored is kept and is not stored twice; a message it was "
                 f"working on stays hidden for {HIDDEN_MINUTES} minutes: press Replay again after that.",
                 icon=":material/error:")
        return
    finally:
        live_snapshot.clear()  # the replayed events count on the Live page from its next refresh
    if done is None:  # refused: permit said why
        return
    if not done.left:
        st.success(f"Replayed: {replay.summary(done)}.", icon=":material/check_circle:")
        return
    st.warning(f"Replayed: {replay.summary(done)}. {len(done.left)} message(s) stay on the queue, each said "
               "why below: their records are no longer on the stream, so no replay can store them. Have "
               "their producers send those events again if they can, then delete the messages (the SQS "
               "console, or `aws sqs delete-message`); the on-failure alarm stays on until then.",
               icon=":material/warning:")
    for why in done.left:  # shard ids and message ids come from the queue: shown as text
        st.text(why)


def _figures(queue: health.FailureQueue) -> None:
    if not queue.waiting and not queue.in_flight:
        st.info("The on-failure queue is empty: the consumer has given up on no batch.",
                icon=":material/check_circle:")
        return
    waiting, hidden, oldest = st.columns(3)
    waiting.metric("Waiting", queue.waiting, help="Batches the consumer gave up on (approximate, as SQS "
                   "counts; it catches up within a minute of a change)")
    hidden.metric("Being replayed", queue.in_flight,
                  help=f"Hidden while a replay works on them; visible again after {HIDDEN_MINUTES} minutes "
                       "if it stopped")
    if queue.oldest_sent is not None:
        sampled = "" if queue.looked_at >= queue.waiting else "≥ "
        oldest.metric("Oldest message", f"{sampled}{ago(queue.oldest_sent).removesuffix(' ago')}",
                      help=f"Since SQS received it; the oldest of the {queue.looked_at} message(s) looked at")
    _deadline(queue)


def _deadline(queue: health.FailureQueue) -> None:
    """How long a replay can still store the oldest records: the stream keeps each only so long."""
    if queue.oldest_record is None or queue.replay_by is None:
        return
    arrived = f"Its oldest records reached the stream {ago(queue.oldest_record)}"
    if queue.replay_by > clock.now():
        st.caption(f"{arrived}; the stream keeps records {queue.retention_hours} h, so replay them before "
                   f"{local_time(queue.replay_by)}.")
    else:
        st.warning(f"{arrived}, longer than the stream keeps records ({queue.retention_hours} h): a replay "
                   "reports them rather than storing them.", icon=":material/history_toggle_off:")
