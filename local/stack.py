"""`make stack`: the embedded AWS with every resource and the sample images, in the foreground.

Prints one `export …` line (endpoint, credentials, region) for the AWS CLI and scripts in another
terminal. Ctrl-C or SIGTERM stops the emulator and the local event source's function processes.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from core.aws import AwsClients
from core.ops.provision import provision
from core.settings import Settings
from core.stream.producer import encode_event, send_events
from local.emulator import embedded_aws, shell_line, use_endpoint
from local.event_source.runner import LocalEventSource
from local.event_source.table_stream import TableStreamSource
from local.processes import stopped_by_sigterm_or_ctrl_c
from local.samples import upload_samples

SEED_TIMEOUT_SECONDS = 60


def seed_samples(clients: AwsClients, consumer: LocalEventSource) -> int:
    """Upload the sample images and put an event for each on the stream, so the first screen has data.

    They travel the producers' path (stream -> local event source -> handler) and this waits until
    the consumer has taken them, so the stack is ready when it says so.
    """
    samples = upload_samples(clients)
    bucket = clients.settings.bucket_name
    send_events(clients, [encode_event(f"s3://{bucket}/{s.key}", s.description) for s in samples])
    if not consumer.wait_until_caught_up(SEED_TIMEOUT_SECONDS):
        raise RuntimeError(f"The local consumer did not take the sample events in {SEED_TIMEOUT_SECONDS} s")
    return len(samples)


@contextmanager
def local_stack(port: int, settings: Settings | None = None) -> Iterator[str]:
    """Start the emulator on `port`, the resources, the local consumer and aggregator and the samples;
    yields the endpoint.

    The consumer's handler reads its settings from the environment, as it does in Lambda.
    """
    with embedded_aws(port=port) as endpoint:
        use_endpoint(endpoint)
        clients = AwsClients(settings or Settings())
        provision(clients)
        consumer = LocalEventSource(clients)
        aggregator = TableStreamSource(clients)
        consumer.start()
        aggregator.start()
        try:
            seed_samples(clients, consumer)
            aggregator.poll_once()  # the samples counted before the stack says it is ready
            yield endpoint
        finally:
            consumer.stop()
            aggregator.stop()
            print("Stopped the local consumer and aggregator.", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4566, help="emulator port (default 4566)")
    args = parser.parse_args()
    with stopped_by_sigterm_or_ctrl_c():
        try:
            with local_stack(args.port) as endpoint:
                print(shell_line(endpoint, Settings().region))
                print("Embedded AWS is up (it keeps nothing after it stops). Ctrl+C to stop.", flush=True)
                threading.Event().wait()
        except OSError as exc:
            raise SystemExit(f"Could not start the emulator on port {args.port} ({exc}); "
                             "choose another with `make stack PORT=…`") from None
        except KeyboardInterrupt:
            print("Stopped; the emulator's data is gone.", flush=True)


if __name__ == "__main__":
    main()
