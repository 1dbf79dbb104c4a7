"""`python -m core`: a small command line for people and scripts; every command prints JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from core.aws import AwsClients
from core.errors import ImageProcessorError
from core.migrate import migrate
from core.models import WireEvent
from core.producer import encode_event, send_events
from core.provision import provision
from core.settings import Settings
from core.store.reads import get_event, last_hour_count, latest_event


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("latest", help="the latest stored event and the last-hour count")
    send = commands.add_parser("send", help="put image events on the stream")
    send.add_argument("--url", required=True, help="http(s):// or s3:// address of the image")
    send.add_argument("--description", required=True, help="text shown with the image (1-500 chars)")
    send.add_argument("--count", type=int, default=1, help="how many copies to send (default 1)")
    send.add_argument("--partition-key", default=None, help="default: a random key per record")
    boot = commands.add_parser(
        "provision", aliases=["bootstrap"], help="create the bucket, table, stream, log group and queue"
    )
    boot.add_argument("--shards", type=int, default=1, help="shards for a new stream (default 1)")
    move = commands.add_parser("migrate", help="copy a first-layout table's events into TABLE_NAME")
    move.add_argument("--from", dest="source", required=True, help="the old table's name")
    return parser


def _latest(clients: AwsClients, _: argparse.Namespace) -> dict[str, Any]:
    listed = latest_event(clients)
    event = (get_event(clients, listed.event_id) or listed) if listed else None  # all of it, detail too
    return {
        "latest": event.model_dump(mode="json") if event else None,
        "last_hour_count": last_hour_count(clients),
    }


def _send(clients: AwsClients, args: argparse.Namespace) -> dict[str, Any]:
    event = WireEvent(ImageUrl=args.url, Description=args.description)  # refuse before sending
    payload = encode_event(event.image_url, event.description)
    sent = send_events(clients, [payload] * max(1, args.count), args.partition_key)
    return {"sent": [record.__dict__ for record in sent]}


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


COMMANDS = {"latest": _latest, "send": _send, "provision": _provision, "bootstrap": _provision,
            "migrate": _migrate}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    clients = AwsClients(Settings())
    try:
        result = COMMANDS[args.command](clients, args)
    except (ImageProcessorError, ValueError) as exc:
        print(json.dumps({"error": str(exc)}), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
