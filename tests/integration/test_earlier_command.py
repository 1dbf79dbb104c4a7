"""The earlier system's README command, pasted verbatim into bash, still sends an event we read: the shell
keeps the backslashes inside single quotes, so the record is JSON only once they are removed. With AWS CLI
v2 the record is what `base64` encoded; with v1, the base64 text itself. Both become the event it meant,
fetched and stored like any other, and the event says how its record was read."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from core.aws import AwsClients
from core.ingest.batch import run, stream_job
from core.models import EventStatus
from core.store.reads import get_event
from tests import factories as make
from tests.hosts import counting_host

# The earlier system's README command, verbatim, as its users have it in their scripts.
EARLIER_COMMAND = Path(__file__).parents[1] / "golden" / "earlier_readme_command.sh"
PNG = make.encode(make.halves((32, 32)), "PNG")


def data_argument(tmp_path: Path) -> str:
    """What bash hands `aws` as --data when the command runs (an `aws` function that writes it down)."""
    captured = tmp_path / "data"
    shim = 'aws() { while [ "$#" -gt 0 ]; do [ "$1" = --data ] && printf %s "$2" >"$CAPTURED"; shift; done; }'
    script = f"{shim}\n{EARLIER_COMMAND.read_text()}"
    environment = {"CAPTURED": str(captured), "PATH": "/bin:/usr/bin"}
    subprocess.run(["bash", "-c", script], check=True, timeout=30, env=environment)
    return captured.read_text()


@pytest.mark.parametrize("cli", ["v2", "v1"])
def test_the_earlier_systems_command_sends_the_event_it_meant(
    aws: AwsClients, tmp_path: Path, cli: str
) -> None:
    sent = base64.b64decode(data_argument(tmp_path))  # what `echo -n '…' | base64` encoded
    assert sent == (b'{\\"ImageUrl\\": \\"http://example.com/image.jpg\\", '
                    b'\\"Description\\": \\"Test image event from Kinesis\\"}')
    with counting_host(PNG) as host:  # the same record, its image on a host the test can reach
        meant = sent.replace(b"http://example.com/image.jpg", host.url("image.jpg").encode())
        # v2 base64-decodes --data (cli_binary_format base64); v1 sends the argument's text as it is.
        record = meant if cli == "v2" else base64.b64encode(meant)
        origin = make.stream_origin(f"earlier-{cli}")
        (outcome,) = run(aws, [stream_job(record, origin)])

    assert outcome.event is not None and outcome.event.status is EventStatus.STORED, outcome
    kept = get_event(aws, origin.event_id)
    assert kept is not None and kept.description == "Test image event from Kinesis"
    assert kept.image_url == host.url("image.jpg")
    assert kept.read_as is not None and "escaped" in kept.read_as
