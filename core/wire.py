"""Decode a stream record's bytes into a WireEvent, or say plainly why not.

AWS CLI v2 base64-decodes `--data`; AWS CLI v1 sends the argument as-is, so the stream receives the
base64 text of the JSON. Both must land as the same event.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import ValidationError

from core.errors import InvalidEvent
from core.models import MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, WIRE_NAMES, WireEvent, readable, text_only

_NOT_JSON = object()
EXPECTED = '{"ImageUrl": "https://…", "Description": "…"}'


def parse_payload(data: bytes) -> WireEvent:
    """The event in `data`, or InvalidEvent with a reason a person can act on."""
    document = _json_object(data)
    try:
        return WireEvent.model_validate(document)
    except ValidationError as exc:
        raise InvalidEvent("Invalid event: " + readable(exc, WIRE_NAMES)) from None


def salvage_fields(data: bytes) -> dict[str, str]:
    """Whatever description and URL a rejected payload carried, trimmed, for the failed record."""
    try:
        document = _json_object(data)
    except InvalidEvent:
        return {}
    found: dict[str, str] = {}
    fields = (("image_url", ("ImageUrl", "imageUrl", "image_url"), MAX_URL_CHARS),
              ("description", ("Description", "description"), MAX_DESCRIPTION_CHARS))
    for field, names, limit in fields:
        value = next((document[n] for n in names if isinstance(document.get(n), str)), None)
        if value:
            found[field] = text_only(value)[:limit]
    return found


def _json_object(data: bytes) -> dict[str, Any]:
    if not data.strip():
        raise InvalidEvent(f"Record is empty; send JSON like {EXPECTED}")
    document = _loads(data)
    if document is _NOT_JSON:
        document = _loads(_base64_text(data) or b"")
    if document is _NOT_JSON:
        raise InvalidEvent(f"Record is not JSON (nor base64 of JSON); send {EXPECTED}")
    if not isinstance(document, dict):
        kind = type(document).__name__ if document is not None else "null"
        raise InvalidEvent(f"Record is JSON {kind}, not an object; send {EXPECTED}")
    return document


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


