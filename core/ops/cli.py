"""`python -m core`: a small command line for people and scripts; every command prints JSON."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from pydantic import ValidationError

from core import clock
from core.aws import AwsClients
from core.errors import ImageProcessorError
from core.ingest.origin import stream_event_id
from core.ingest.retry import retry_event
from core.models import StoredEvent, WireEvent, readable
from core.ops import audit
from core.ops.audit import Action, Outcome
from core.ops.migrate import migrate
from core.ops.provision import provision
from core.ops.recount import SETTLE_SECONDS, Recounted, recount
from core.ops.replay import MOST, Replayed, replay, summary
from core.settings import Settings
from core.store.browse import failed_events
from core.store.reads import get_event, last_hour_count, newest_events
from core.stream.producer import Progress, encode_event, send_events

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class UsageError(Exception):
    """A command line argparse refuses: printed as JSON like every other error, not as argparse's usage."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("latest", help="the latest event (stored or failed, with its reason), the few "
                        "before it and the last-hour count")
    send = commands.add_parser("send", help="put image events on the stream")
    send.add_argument("--url", required=True, help="http(s):// or s3:// address of the image")
    send.add_argument("--description", required=True, help="text shown with the image (1-500 chars)")
    send.add_argument("--count", type=int, default=1, help="how many copies to send (default 1)")
    send.add_argument("--partition-key", default=None, help="default: a random key per record")
    failed = commands.add_parser("failed", help="failed events, newest first, with their full reasons")
    failed.add_argument("--since", type=since, default=None, metavar="WHEN",
                        help="how far back: 30m, 2h, 7d, or a time like 2026-11-25T08:00 (UTC unless it "
                             "says otherwise); default: the last 7 days")
    failed.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    retry = commands.add_parser("retry", help="process a failed event again, if its source failed for now")
    retry.add_argument("event_id", metavar="EVENT_ID", help="the event's id (`failed` lists them)")
    again = commands.add_parser("replay", help="re-ingest the batches the consumer gave up on (its queue)")
    again.add_argument("--most", type=int, default=MOST, metavar="N",
                       help=f"replay at most N on-failure messages (default {MOST})")
    boot = commands.add_parser(
        "provision", aliases=["bootstrap"], help="create the bucket, table, stream, log group and queue"
    )
    boot.add_argument("--shards", type=int, default=1, help="shards for a new stream (default 1)")
    count = commands.add_parser("recount", help="rebuild the minute counters of a time range from its events")
    count.add_argument("--from", dest="start", type=since, required=True,
                       help="the first minute: an ISO time (2026-11-25T08:00) or a duration back (2h)")
    count.add_argument("--to", dest="end", type=since, default=None,
                       help="the last minute, the same way (default: now)")
    count.add_argument("--settle", type=float, default=SETTLE_SECONDS, metavar="SECONDS",
                       help="how long a minute must stay still before it is written (default "
                            f"{SETTLE_SECONDS:g}: the aggregator applies a change within a second or two)")
    move = commands.add_parser("migrate", help="copy a first-layout table's events into TABLE_NAME")
    move.add_argument("--from", dest="source", required=True, help="the old table's name")
    return parser


def since(text: str) -> datetime:
    """`--since`: a duration back from now (30m, 2h, 7d) or an ISO time, as an aware UTC datetime."""
    duration = _DURATION.match(text.strip().lower())
    if duration:
        return clock.now() - timedelta(**{_UNITS[duration.group(2)]: int(duration.group(1))})
    try:
        return clock.utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a duration (30m, 2h, 7d) nor a time (2026-11-25T08:00)") from None


def _latest(clients: AwsClients, _: argparse.Namespace) -> dict[str, Any]:
    newest = newest_events(clients)
    event = newest.event
    if event is not None and event is newest.stored:  # as LATEST lists it: read its detail too
        event = get_event(clients, event.event_id) or event
    return {
        "latest": _whole(event) if event else None,
        "recent": [{"event_id": e.event_id, "received_at": clock.iso_ms(e.received_at),
                    "status": e.status.value, "description": e.description, "reason": e.failure_reason}
                   for e in newest.recent],
        "last_hour_count": last_hour_count(clients),
    }


def _whole(event: StoredEvent) -> dict[str, Any]:
    """Every field of the event, its time written as every list here writes it."""
    return event.model_dump(mode="json") | {"received_at": clock.iso_ms(event.received_at)}


def _send(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    event = WireEvent(ImageUrl=args.url, Description=args.description)  # refuse before sending
    payload = encode_event(event.image_url, event.description)

    latest = [Progress(0, 0)]

    def progress(done: Progress) -> None:
        latest[0] = done
        if done.throttled:  # the shard is at its write rate: say why the send is taking its time
            print(f"{done.done} of {done.total} sent; {done.throttled} refused for the shard's write rate "
                  f"and {done.resent} resent so far", file=sys.stderr, flush=True)

    sent = send_events(clients, [payload] * max(1, args.count), args.partition_key, on_progress=progress)
    return {"sent": [record.__dict__ for record in sent], "throttled": latest[0].throttled,
            "resent": latest[0].resent}


def _failed(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    events = failed_events(clients, limit=max(1, args.limit), since=args.since)
    return {"failed": [
        {"event_id": e.event_id, "received_at": clock.iso_ms(e.received_at), "reason": e.failure_reason,
         "source": e.source.value, "image_url": e.image_url, "filename": e.filename,
         "description": e.description, "shard_id": e.shard_id, "sequence_number": e.sequence_number,
         "failure_kind": e.failure_kind and e.failure_kind.value}
        for e in events
    ]}


def _retry(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    event = retry_event(clients, args.event_id)
    return {"retried": _whole(event)}


def _replay(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    def progress(done: Replayed) -> None:
        print(summary(done), file=sys.stderr, flush=True)

    return {"replayed": asdict(replay(clients, max(1, args.most), progress))}


def _provision(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    provision(clients, shard_count=args.shards)
    names = clients.settings
    return {"bucket": names.bucket_name, "table": names.table_name, "stream": names.stream_name,
            "log_group": names.consumer_log_group, "queue": names.failure_queue_name}


def _migrate(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    def progress(copied: int) -> None:
        print(f"{copied} events copied", file=sys.stderr, flush=True)

    copied = migrate(clients, args.source, progress)
    return {"copied": copied, "from": args.source, "to": clients.settings.table_name}


def _recount(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    def progress(done: Recounted, waiting: int) -> None:
        print(f"{done.exact} minutes exact, {len(done.corrected)} corrected, {waiting} still changing "
              f"(of {done.minutes})", file=sys.stderr, flush=True)

    done = recount(clients, args.start, args.end or clock.now(), progress, settle_seconds=args.settle)
    return {"recounted": asdict(done)}


Command = Callable[[AwsClients, argparse.Namespace], dict[str, Any]]


Result = dict[str, Any] | None  # a command's result; None when it failed


def _sent_ids(_: argparse.Namespace, result: Result) -> list[str]:
    records = result["sent"] if result else []
    return [stream_event_id(record["shard_id"], record["sequence_number"]) for record in records]


def _replay_summary(result: dict[str, Any]) -> str:
    return summary(Replayed(**result["replayed"]))


@dataclass(frozen=True)
class Audited:
    """An operator's command as the audit trail records it: which action, the events it touched (or, when
    it failed, tried to), and what came of it."""

    action: Action
    touched: Callable[[argparse.Namespace, Result], list[str]]
    summary: Callable[[dict[str, Any]], str]

    def around(self, command: Command) -> Command:
        """`command`, recorded done (or failed, with why) as the caller STS names."""

        def run(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
            who = audit.caller(clients)  # asked first: nothing is done by someone unnamed
            try:
                result = command(clients, args)
            except ImageProcessorError as exc:
                self.record(clients, who, Outcome.FAILED, self.touched(args, None), str(exc))
                raise
            self.record(clients, who, Outcome.DONE, self.touched(args, result), self.summary(result))
            return result

        return run

    def record(self, clients: AwsClients, who: str, outcome: Outcome, event_ids: list[str],
               detail: str) -> None:
        audit.record(clients, audit.Entry(who, self.action, outcome, tuple(event_ids), detail, via="cli"))


AUDITED = {
    "send": Audited(Action.SEND, _sent_ids, lambda result: f"{len(result['sent'])} record(s) sent"),
    "retry": Audited(Action.RETRY, lambda args, _: [args.event_id],
                     lambda result: f"the event is {result['retried']['status']} now"),
    "replay": Audited(Action.REPLAY, lambda _args, _result: [], _replay_summary),
}


COMMANDS: dict[str, Command] = {
    "latest": _latest, "send": _send, "failed": _failed, "retry": _retry, "replay": _replay,
    "provision": _provision, "bootstrap": _provision, "migrate": _migrate, "recount": _recount,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc))
    try:
        command = COMMANDS[args.command]
        if args.command in AUDITED:
            command = AUDITED[args.command].around(command)
        result = command(AwsClients(Settings()), args)
    except ValidationError as exc:  # before ValueError, its base: its own text is a dump for programmers
        return _fail(readable(exc))
    except (ImageProcessorError, ValueError) as exc:
        return _fail(str(exc))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _fail(message: str) -> int:
    print(json.dumps({"error": message}, ensure_ascii=False), file=sys.stderr)
    return 1
