"""`make stack`: the embedded AWS with every resource and the sample images, in the foreground.

Prints `AWS_ENDPOINT_URL=…` so the AWS CLI and scripts in another terminal can use it.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from core.aws import AwsClients
from core.bootstrap import bootstrap
from core.emulator import embedded_aws, local_environment, use_endpoint
from core.ingest import Origin, ingest_event
from core.models import EventSource, WireEvent
from core.samples import upload_samples
from core.settings import Settings


def seed_samples(clients: AwsClients) -> int:
    """Upload the sample images and ingest one event for each, so the first screen has data."""
    samples = upload_samples(clients)
    for sample in samples:
        url = f"s3://{clients.settings.bucket_name}/{sample.key}"
        origin = Origin(f"sample-{sample.key}", datetime.now(UTC), EventSource.DIRECT)
        ingest_event(clients, WireEvent(ImageUrl=url, Description=sample.description), origin)
    return len(samples)


@contextmanager
def local_stack(port: int, settings: Settings | None = None) -> Iterator[str]:
    """Start the emulator on `port`, create the resources and the samples; yields the endpoint."""
    with embedded_aws(port=port) as endpoint:
        use_endpoint(endpoint)
        clients = AwsClients(settings or Settings())
        bootstrap(clients)
        seed_samples(clients)
        yield endpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4566, help="emulator port (default 4566)")
    args = parser.parse_args()
    try:
        with local_stack(args.port) as endpoint:
            for name, value in local_environment(endpoint).items():
                print(f"export {name}={value}")
            print("Embedded AWS is up (it keeps nothing after it stops). Ctrl+C to stop.", flush=True)
            threading.Event().wait()
    except OSError as exc:
        raise SystemExit(f"Could not start the emulator on port {args.port} ({exc}); "
                         "choose another with `make stack PORT=…`") from None
    except KeyboardInterrupt:
        print("Stopped; the emulator's data is gone.")


if __name__ == "__main__":
    main()
