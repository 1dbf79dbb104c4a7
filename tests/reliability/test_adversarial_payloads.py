"""Hostile stream payloads through the real handler, as one batch read back from the emulator's stream:
no crash, nothing reported for retry, and each one kept as a failed event whose reason names the problem."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.aws import AwsClients
from core.models import EventStatus, StoredEvent
from core.settings import Settings
from core.store.browse import failed_events
from core.store.reads import last_hour_minutes
from tests.factories import counted, image_event, wire_json
from tests.reliability.harness import deliver, fake_dns, fresh_emulator

BUCKET = Settings().bucket_name
IMAGE = f"s3://{BUCKET}/incoming/cat.jpg"
SEND_JSON = r"send (JSON like )?\{\"ImageUrl\""
NOT_ALLOWED = "is not an allowed source .* add it to ALLOWED_SOURCE_BUCKETS"


# kind: (the record's bytes, what the stored reason must say)
PAYLOADS: dict[str, tuple[bytes, str]] = {
    "not-json": (b"not json at all", f"not JSON.*{SEND_JSON}"),
    "invalid-utf8": (b"\xff\xfe\xfa\x00{", "not UTF-8 text: byte 0xff at position 0"),
    "truncated-json": (b'{"ImageUrl": "s3://b/k.jpg", "Descr', "not JSON"),
    "empty": (b"", "Record is empty"),
    "whitespace-only": (b" \n\t ", "Record is empty"),
    "json-array": (b'[{"ImageUrl": "s3://b/k.jpg", "Description": "x"}]', "JSON list, not an object"),
    "json-number": (b"42", "JSON int, not an object"),
    "json-null": (b"null", "JSON null, not an object"),
    "json-string": (b'"ImageUrl"', "JSON str, not an object"),
    "json-true": (b"true", "JSON bool, not an object"),
    "base64-of-garbage": (base64.b64encode(b"still not json"), "not JSON"),
    "empty-object": (b"{}", "ImageUrl: missing.*Description: missing"),
    "missing-url": (wire_json({"Description": "A cat on a mat"}), "ImageUrl: missing"),
    "missing-description": (wire_json({"ImageUrl": IMAGE}), "Description: missing"),
    "null-url": (image_event(None), "ImageUrl: must be a string"),
    "null-description": (image_event(IMAGE, None), "Description: must be a string"),
    "url-is-a-number": (image_event(12345), "ImageUrl: must be a string"),
    "url-is-a-list": (image_event([IMAGE]), "ImageUrl: must be a string"),
    "url-is-nan": (b'{"ImageUrl": NaN, "Description": "x"}', "ImageUrl: must be a string"),
    "description-is-an-object": (image_event(IMAGE, {"text": "x"}), "Description: must be a string"),
    "description-empty": (image_event(IMAGE, ""), "Description: must not be empty"),
    "description-blank": (image_event(IMAGE, "  \n "), "Description: must not be blank"),
    "description-501-chars": (image_event(IMAGE, "x" * 501), "Description: longer than 500 characters"),
    "description-1-MB": (image_event(IMAGE, "x" * 1_000_000), "Description: longer than 500 characters"),
    "description-control-chars": (image_event(IMAGE, "bell\x07 \x1b[31mred"), "Description: .*control char"),
    "description-nul": (image_event(IMAGE, "nul\x00byte"), "Description: .*control char"),
    "javascript-url": (image_event("javascript:alert(1)"), "ImageUrl: .*scheme|got 'javascript:'"),
    "file-url": (image_event("file:///etc/passwd"), "ImageUrl: .*got 'file:'"),
    "data-url": (image_event("data:image/png;base64,iVBORw0KGgo="), "ImageUrl: .*got 'data:'"),
    "gopher-url": (image_event("gopher://example.com/_GET%20/"), "ImageUrl: .*got 'gopher:'"),
    "ftp-url": (image_event("ftp://example.com/cat.jpg"), "ImageUrl: .*got 'ftp:'"),
    "no-scheme": (image_event("example.com/cat.jpg"), "ImageUrl: .*got no scheme"),
    "scheme-relative": (image_event("//example.com/cat.jpg"), "ImageUrl: .*got no scheme"),
    "url-without-host": (image_event("http:///cat.jpg"), "ImageUrl: has no host"),
    "url-with-credentials": (image_event("http://user:secret@example.com/cat.jpg"), "user name or password"),
    "port-out-of-range": (image_event("http://example.com:99999/cat.jpg"), "ImageUrl: is not a valid URL"),
    "broken-ipv6-literal": (image_event("http://[::1/cat.jpg"), "ImageUrl: is not a valid URL"),
    "url-over-2048-chars": (image_event("https://example.com/" + "a" * 3000), "ImageUrl: longer than 2048"),
    "idn-host-unknown": (image_event("http://bücher.example/cat.jpg"),
                         "could not resolve host xn--bcher-kva.example"),
    "idn-label-too-long": (image_event(f"http://{'ü' * 70}.example/cat.jpg"), "not allowed: .*idna"),
    "crlf-in-url": (image_event("http://internal.example/a.jpg\r\nX-Injected: 1"),
                    "ImageUrl: must not contain control characters"),
    # Once crashed the record handler (reported for retry until Lambda gave up, never recorded).
    "deeply-nested-json": (b'{"ImageUrl": ' + b"[" * 100_000, "not JSON"),
    "integer-over-4300-digits": (b'{"ImageUrl": ' + b"9" * 5000 + b', "Description": "x"}', "not JSON"),
    "nul-in-host": (image_event("http://exa\x00mple.com/cat.jpg"), "ImageUrl: must not contain"),
    # Other buckets are refused before any S3 call (ALLOWED_SOURCE_BUCKETS is BUCKET_NAME by default).
    "s3-invalid-bucket-name": (image_event("s3://Invalid_Bucket!/cat.jpg"), NOT_ALLOWED),
    "s3-bucket-with-port": (image_event("s3://bucket:80/cat.jpg"), NOT_ALLOWED),
    "lone-surrogate-in-url": (b'{"ImageUrl": "s3://b/\\ud800.jpg", "Description": "x"}',
                              "ImageUrl: .*invalid Unicode"),
    "lone-surrogate-in-description": (b'{"ImageUrl": "ftp://x/y.jpg", "Description": "\\udc80 cat"}',
                                      "ImageUrl: .*got 'ftp:'"),
    "s3-without-key": (image_event(f"s3://{BUCKET}"), "s3:// URLs need a key"),
    "s3-missing-object": (image_event(f"s3://{BUCKET}/incoming/nope.jpg"), r"does not exist \(NoSuchKey\)"),
    "s3-another-bucket": (image_event("s3://no-such-bucket-here/cat.jpg"), NOT_ALLOWED),
    "duplicate-keys-last-wins": (b'{"ImageUrl": "s3://b/k.jpg", "ImageUrl": "javascript:x", '
                                 b'"Description": "x"}', "got 'javascript:'"),
    "html-description-missing-image": (image_event(f"s3://{BUCKET}/x.jpg", "<script>x</script>"),
                                       "does not exist"),
}
assert len(PAYLOADS) >= 30

DNS = {"internal.example": ["10.1.2.3"]}


@dataclass(frozen=True)
class Outcome:
    response: Any
    stored: dict[str, StoredEvent | None]
    failed_listed: set[str]  # event ids core.browse.failed_events returns
    counted: tuple[int, int]  # (events, failed) in the last hour's minute counters


@pytest.fixture(scope="module")
def outcome(moto_endpoint: str) -> Iterator[Outcome]:
    """Every payload in one batch, delivered once to the handler with production's fetch settings."""
    with fresh_emulator(moto_endpoint, Settings(worker_count=4)) as clients, fake_dns(DNS):
        delivery = deliver(clients, [data for data, _ in PAYLOADS.values()])
        yield Outcome(
            delivery.response,
            dict(zip(PAYLOADS, delivery.stored, strict=True)),
            {e.event_id for e in failed_events(clients, limit=len(PAYLOADS) + 10)},
            _counted(clients),
        )


def _counted(clients: AwsClients) -> tuple[int, int]:
    minutes = last_hour_minutes(counted(clients))
    return sum(m.events for m in minutes), sum(m.failed for m in minutes)


def test_a_batch_of_every_hostile_payload_is_answered_without_a_crash_or_a_retry(outcome: Outcome) -> None:
    assert outcome.response == {"batchItemFailures": []}


@pytest.mark.parametrize("kind", PAYLOADS)
def test_a_hostile_payload_is_kept_as_failed_with_a_reason_that_names_the_problem(
    outcome: Outcome, kind: str
) -> None:
    kept = outcome.stored[kind]
    assert kept is not None, f"{kind}: no event was stored"
    assert kept.status is EventStatus.FAILED
    assert re.search(PAYLOADS[kind][1], kept.failure_reason or ""), kept.failure_reason
    assert kept.event_id in outcome.failed_listed  # the dashboard's failed list shows it


def test_every_hostile_payload_is_counted_once_as_failed(outcome: Outcome) -> None:
    assert outcome.counted == (len(PAYLOADS), len(PAYLOADS))
