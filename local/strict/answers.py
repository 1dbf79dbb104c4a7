"""Error answers in each protocol's own shape, as AWS sends them (and botocore parses them)."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from local.strict.calls import AwsCall

Answer = tuple[int, list[tuple[str, str]], bytes]


def error(call: AwsCall, status: int, code: str, message: str, **extra: object) -> Answer:
    """An AWS error answer for `call`, in its protocol: JSON, S3 XML, query XML or CBOR."""
    if call.protocol == "json":
        document = {"__type": code, "message": message, **extra}
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", code)]
        return status, headers, json.dumps(document).encode()
    if call.protocol == "cbor":
        body = _cbor_map({"__type": code, "message": message})
        return status, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")], body
    if call.protocol == "rest-xml":
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
               f"<Message>{escape(message)}</Message><RequestId>local</RequestId></Error>")
        return status, [("Content-Type", "application/xml")], xml.encode()
    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
           "</Error><RequestId>local</RequestId></ErrorResponse>")
    return status, [("Content-Type", "text/xml")], xml.encode()


def _cbor_map(values: dict[str, str]) -> bytes:
    """A CBOR map of short text strings (all CloudWatch's error body needs)."""
    out = bytearray([0xA0 | len(values)])
    for key, value in values.items():
        for text in (key, value):
            data = text.encode()
            out += _cbor_head(3, len(data)) + data
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + length.to_bytes(2, "big")
