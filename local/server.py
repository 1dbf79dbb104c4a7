"""The embedded AWS's own process: moto behind the strictness layers, on a loopback port.

`python -m local.server --port N` prints `listening on http://127.0.0.1:N` once it answers, then serves
until it is stopped. Run by local.emulator.embedded_aws(); in its own process so the emulator has its
own interpreter (and CPU) beside the consumer and the dashboard.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from typing import Any

from core.settings import Settings
from local import patches
from local.strict.app import StrictEmulator, Strictness
from local.strict.dynamodb import DynamoDBLayer
from local.strict.iam import Authorizer
from local.template import ACCOUNT, ROLES, Template

WORKERS = 32  # requests served at once: the consumer's workers, the dashboard's and the tests' side by side
# Request and answer bodies kept in memory up to this size (waitress spools larger ones to temporary files,
# by default from 512 KB: every image upload and download went through the disk).
BODY_IN_MEMORY_BYTES = 64 * 1024 * 1024


def build(settings: Settings, strictness: Strictness) -> StrictEmulator:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    template = Template(settings)
    authorizer = Authorizer({role: template.role_statements(role) for role in ROLES})
    layer = DynamoDBLayer(
        lambda table: _key_schema(settings.region, table), strictness.transaction_hold_seconds
    )
    return StrictEmulator(DomainDispatcherApplication(create_backend_app), authorizer, layer, strictness)


def _key_schema(region: str, table: str) -> tuple[str, str | None] | None:
    from moto.dynamodb.models import dynamodb_backends

    try:
        found = dynamodb_backends[ACCOUNT][region].get_table(table)
    except Exception:  # moto's ResourceNotFoundException: the call will fail in moto with its own error
        return None
    return found.hash_key_attr, found.range_key_attr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--lenient", action="append", default=[],
                        choices=["sigv2", "presigned_links", "kinesis_limits", "iam"],
                        help="turn one strictness layer off (repeatable)")
    parser.add_argument("--transaction-ms", type=float, default=5.0,
                        help="how long a transaction holds its items (DynamoDB's commit), ms")
    args = parser.parse_args(argv)
    strictness = Strictness(**{name: False for name in args.lenient},
                            transaction_hold_seconds=args.transaction_ms / 1000)
    from waitress import create_server

    patches.apply()  # moto's and waitress's code as the emulator needs it, before anything is served
    # Waitress, not werkzeug's development server: werkzeug closes every connection after its answer,
    # and opening a TCP connection per call cost the consumer an eighth of its CPU.
    server = create_server(build(Settings(), strictness), host=args.host, port=args.port, threads=WORKERS,
                           connection_limit=1000, channel_timeout=300, ident="local-aws",
                           inbuf_overflow=BODY_IN_MEMORY_BYTES, outbuf_overflow=BODY_IN_MEMORY_BYTES)
    signal.signal(signal.SIGTERM, _stop)
    print(f"listening on http://{args.host}:{server.effective_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()


def _stop(*_: Any) -> None:
    sys.exit(0)


if __name__ == "__main__":
    main()
