"""One request to the emulator, read the way AWS reads it: service, operation, parameters, caller."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_CBOR_OPERATION = re.compile(r"^/service/[^/]+/operation/([^/]+)$")  # CloudWatch's RPC v2 CBOR


@dataclass
class AwsCall:
    method: str
    path: str  # URL path, unquoted
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    service: str = ""  # the signing name: s3, dynamodb, kinesis, logs, sqs, monitoring, sts…
    region: str = ""
    access_key: str = ""
    operation: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # the JSON body of JSON-protocol calls
    secure: bool = False  # came over HTTPS (IAM's aws:SecureTransport)

    @property
    def sigv2(self) -> bool:
        """Signed with S3's legacy Signature Version 2 (a header or a presigned query)."""
        return self.headers.get("authorization", "").startswith("AWS ") or (
            "AWSAccessKeyId" in self.query and "Signature" in self.query
        )

    @property
    def protocol(self) -> str:
        if self.service == "s3":
            return "rest-xml"
        if self.service == "monitoring":
            return "cbor"
        if "x-amz-target" in self.headers:
            return "json"
        return "query"


def read_call(environ: dict[str, Any]) -> AwsCall:
    """The call in a WSGI environ; its body is read and put back so moto can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's stream ends where the body does
        body = environ["wsgi.input"].read()
    else:
        body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = BytesIO(body)
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    headers["content-type"] = environ.get("CONTENT_TYPE", "")
    call = AwsCall(
        method=environ["REQUEST_METHOD"], path=unquote(environ.get("PATH_INFO", "")),
        query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True), headers=headers, body=body,
        secure=environ.get("wsgi.url_scheme") == "https",
    )
    _identify(call)
    return call


def _identify(call: AwsCall) -> None:
    scope = _CREDENTIAL.search(call.headers.get("authorization", "")) or _CREDENTIAL.search(
        "Credential=" + call.query.get("X-Amz-Credential", [""])[0]
    )
    if scope:
        call.access_key, call.region, call.service = scope.group(1), scope.group(2), scope.group(3)
    elif call.sigv2:
        call.service = "s3"
        call.access_key = call.query.get("AWSAccessKeyId", [""])[0] or _v2_key(call)
    target = call.headers.get("x-amz-target", "")
    if target:
        call.operation = target.rsplit(".", 1)[-1]
        call.params = _json(call.body)
    elif (cbor := _CBOR_OPERATION.match(call.path)) is not None:
        call.operation = cbor.group(1)
    elif call.service and call.service != "s3":
        form = parse_qs(call.body.decode("utf-8", "replace")) if call.body else call.query
        call.operation = form.get("Action", [""])[0]


def _v2_key(call: AwsCall) -> str:
    return call.headers.get("authorization", "")[4:].split(":")[0]


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def s3_location(call: AwsCall) -> tuple[str, str]:
    """(bucket, key) of a path-style S3 request; the local endpoint is always path-style."""
    bucket, _, key = call.path.lstrip("/").partition("/")
    return bucket, key


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
