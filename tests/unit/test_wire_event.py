"""The wire event: the earlier system's payload, its aliases, its limits, and readable reasons."""

from __future__ import annotations

import base64

import pytest

from core.errors import InvalidEvent
from core.wire import parse_payload, parse_record, salvage_fields
from tests.factories import SEED_DESCRIPTION, image_event, wire_json

URL = "https://images.example.com/cat.jpg"


@pytest.mark.parametrize(
    "keys", [("ImageUrl", "Description"), ("imageUrl", "description"), ("image_url", "description")]
)
def test_every_spelling_of_the_fields_is_the_same_event(keys: tuple[str, str]) -> None:
    event = parse_payload(image_event(URL, keys=keys))
    assert (event.image_url, event.description) == (URL, SEED_DESCRIPTION)


def test_aws_cli_v1_base64_text_of_the_json_is_the_same_event() -> None:
    raw = image_event(URL, "from CLI v1")
    assert parse_payload(base64.b64encode(raw)) == parse_payload(raw)


def test_base64_wrapped_at_76_columns_like_gnu_base64_is_the_same_event() -> None:
    raw = image_event(URL)
    wrapped = base64.encodebytes(raw)  # line breaks every 76 characters, as `base64` prints
    assert b"\n" in wrapped.strip() and parse_payload(wrapped) == parse_payload(raw)


def test_a_byte_order_mark_before_the_json_is_the_same_event() -> None:
    """Windows editors and some SDKs write UTF-8 with a BOM; it is not part of the JSON."""
    event = parse_payload(b"\xef\xbb\xbf" + image_event("https://example.com/cat.jpg", "With a BOM"))
    assert (event.image_url, event.description) == ("https://example.com/cat.jpg", "With a BOM")


@pytest.mark.parametrize("url", [URL, "http://example.com/a.png", "s3://bucket/key/a.webp"])
def test_http_https_and_s3_urls_are_accepted(url: str) -> None:
    assert parse_payload(image_event(url, "ok")).image_url == url


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"ImageUrl": URL}, "Description: missing"),
        ({"Description": "x"}, "ImageUrl: missing"),
        ({"ImageUrl": URL, "Description": ""}, "Description: must not be empty"),
        ({"ImageUrl": URL, "Description": "   "}, "Description: must not be blank"),
        ({"ImageUrl": URL, "Description": "x" * 501}, "longer than 500 characters"),
        ({"ImageUrl": URL, "Description": "bell\x07"}, "control characters"),
        ({"ImageUrl": URL, "Description": 5}, "Description: must be a string"),
        ({"ImageUrl": None, "Description": "x"}, "ImageUrl: must be a string"),
        ({"ImageUrl": "javascript:alert(1)", "Description": "x"}, "must start with http://"),
        ({"ImageUrl": "file:///etc/passwd", "Description": "x"}, "(got 'file:')"),
        ({"ImageUrl": "ftp://example.com/a.jpg", "Description": "x"}, "(got 'ftp:')"),
        ({"ImageUrl": "http:///nohost.jpg", "Description": "x"}, "has no host"),
        ({"ImageUrl": "http://user:pw@example.com/a.jpg", "Description": "x"}, "user name or password"),
        ({"ImageUrl": "s3://bucket-only", "Description": "x"}, "need a key"),
        ({"ImageUrl": "https://e.com/" + "a" * 2100, "Description": "x"}, "longer than 2048"),
    ],
)
def test_invalid_fields_are_refused_with_a_reason(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidEvent, match="Invalid event") as caught:
        parse_payload(wire_json(fields))
    assert reason in str(caught.value)


def test_exactly_500_characters_is_accepted() -> None:
    assert len(parse_payload(image_event(URL, "x" * 500)).description) == 500


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Record is empty"),
        (b"not json", "not JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text: byte 0xff at position 0"),
        (b"{\"ImageUrl\": \"caf\xe9\"}", "not UTF-8 text: byte 0xe9 at position 17"),
        (b"[1, 2]", "JSON list, not an object"),
        (b"42", "JSON int, not an object"),
        (b"null", "JSON null, not an object"),
    ],
)
def test_records_that_are_not_a_json_object_say_so(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        parse_payload(data)


def test_fields_of_a_rejected_event_are_kept_for_its_failed_record() -> None:
    salvaged = salvage_fields(wire_json({"ImageUrl": "ftp://x/y", "Description": "kept", "Extra": 1}))
    assert salvaged == {"image_url": "ftp://x/y", "description": "kept"}
    assert salvage_fields(b"not json") == {}


def test_a_record_that_is_not_json_shows_its_first_bytes_escaped_in_its_reason() -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse_payload(b"ImageUrl=http://x/y.jpg\x01\xff" + b"z" * 100)
    assert 'it began "ImageUrl=http://x/y.jpg\\u0001\\\\xff' in str(refused.value)
    assert str(refused.value).count("z") < 60  # cut, not the whole record


def test_escaped_quotes_are_read_once_removed_and_the_event_says_so() -> None:
    escaped = b'{\\"ImageUrl\\": \\"http://example.com/image.jpg\\", \\"Description\\": \\"from a script\\"}'
    for data in (escaped, base64.b64encode(escaped)):  # as AWS CLI v2 and v1 deliver it
        record = parse_record(data)
        assert (record.event.image_url, record.event.description) == ("http://example.com/image.jpg",
                                                                      "from a script")
        assert record.read_as is not None and "escaped" in record.read_as
    assert parse_record(wire_json({"ImageUrl": URL, "Description": 'say \\"hi\\"'})).read_as is None


def test_escaped_quotes_that_still_make_no_json_are_refused() -> None:
    with pytest.raises(InvalidEvent, match="not JSON"):
        parse_payload(b'{\\"ImageUrl\\": \\"http://x/y.jpg\\"')


def test_a_refused_description_is_kept_without_its_control_characters() -> None:
    salvaged = salvage_fields(wire_json({"ImageUrl": URL, "Description": "ring\u0007 the\u001b[31m bell\n"}))
    assert salvaged["description"] == "ring\ufffd the\ufffd[31m bell\n"
