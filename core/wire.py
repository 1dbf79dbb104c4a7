"""Decode a stream record's bytes into a WireEvent, or say plainly why not.

AWS CLI v2 base64-decodes `--data`; AWS CLI v1 sends the argument as-is, so the stream receives the
base64 text of the JSON. Both must land as the same event.

The earlier system's README sends `--data "$(echo -n '{\"ImageUrl\": …}' | base64)"`: inside single quotes
the shell keeps the backslashes, so the record is `{\"ImageUrl\": …}`, JSON only once they are removed. Its
users have that line in their scripts, so such a record is read as the event it meant, and the event says
so (`read_as`). Any other record that is not JSON is refused with its first bytes in the reason.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from core.errors import InvalidEvent
from core.models import MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, WIRE_NAMES, WireEvent, printable, readable

_NOT_JSON = object()
EXPECTED = '{"ImageUrl": "https://…", "Description": "…"}'
ESCAPED_QUOTES = ('its quotes arrived escaped (\\"), as a JSON text in single quotes in a shell leaves them '
                  "(the earlier system's README command); read with those backslashes removed")
SHOWN_BYTES = 60  # of a record that is not JSON, in its reason


@dataclass(frozen=True)
class Record:
    """A stream record read as an event, and how, when it was not plain JSON (else None)."""

    event: WireEvent
    read_as: str | None = None


def parse_payload(data: bytes) -> WireEvent:
    """The event in `data`, or InvalidEvent with a reason a person can act on."""
    return parse_record(data).event


def parse_record(data: bytes) -> Record:
    """As parse_payload, saying how a record that needed repair was read."""
    document, read_as = _json_object(data)
    try:
        return Record(WireEvent.model_validate(document), read_as)
    except ValidationError as exc:
        raise InvalidEvent("Invalid event: " + readable(exc, WIRE_NAMES)) from None


def salvage_fields(data: bytes) -> dict[str, str]:
    """Whatever description and URL a rejected payload carried, trimmed, for the failed record."""
    try:
        document, _ = _json_object(data)
    except InvalidEvent:
        return {}
    found: dict[str, str] = {}
    fields = (("image_url", ("ImageUrl", "imageUrl", "image_url"), MAX_URL_CHARS),
              ("description", ("Description", "description"), MAX_DESCRIPTION_CHARS))
    for field, names, limit in fields:
        value = next((document[n] for n in names if isinstance(document.get(n), str)), None)
        if value:
            found[field] = printable(value)[:limit]
    return found


def _json_object(data: bytes) -> tuple[dict[str, Any], str | None]:
    """The record's JSON object, and how it was read when that took a repair."""
    if not data.strip():
        raise InvalidEvent(f"Record is empty; send JSON like {EXPECTED}")
    decoded = _base64_text(data)
    document, read_as = _loads(data), None
    if document is _NOT_JSON:
        document = _loads(decoded or b"")
    if document is _NOT_JSON:
        repaired = next((d for d in (_unescaped(data), _unescaped(decoded)) if isinstance(d, dict)), None)
        document, read_as = (repaired, ESCAPED_QUOTES) if repaired is not None else (_NOT_JSON, None)
    if document is _NOT_JSON:
        raise InvalidEvent(_not_json(data))
    if not isinstance(document, dict):
        kind = type(document).__name__ if document is not None else "null"
        raise InvalidEvent(f"Record is JSON {kind}, not an object; send {EXPECTED}")
    return document, read_as


def _unescaped(data: bytes | None) -> Any:
    """`data` as JSON once every backslash before a quote is removed, if it has one; else _NOT_JSON."""
    if not data or b'\\"' not in data:
        return _NOT_JSON
    return _loads(data.replace(b'\\"', b'"'))


def _not_json(data: bytes) -> str:
    """Why `data` is no event: not UTF-8 (and where), or text that is not JSON (and how it began)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        return (f"Record is not UTF-8 text: byte 0x{byte:02x} at position {exc.start} cannot be read as "
                f"UTF-8 (it began {_shown(data)}); send JSON in UTF-8, like {EXPECTED}")
    return f"Record is not JSON (nor base64 of JSON); it began {_shown(data)}; send {EXPECTED}"


def _shown(data: bytes) -> str:
    """The record's first bytes as a person can read them: escaped, quoted, cut."""
    text = data[:SHOWN_BYTES].decode("utf-8", "backslashreplace")
    return json.dumps(text, ensure_ascii=True) + ("…" if len(data) > SHOWN_BYTES else "")


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))  # a byte-order mark before the JSON is tolerated
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, 4,300+ digit numbers, deep nesting
        return _NOT_JSON


def _base64_text(data: bytes) -> bytes | None:
    try:
        # GNU base64 wraps at 76 columns and AWS CLI v1 sends those line breaks as they are.
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


