"""S3's presigned links, checked as S3 checks them: the SigV4 query signature, the link's own expiry,
and the expiry of the session whose temporary credentials signed it (whatever X-Amz-Expires says).

The emulator knows each key's secret the way local/roles.py hands them out (roles.secret_of), and a role
session's end from its token (roles.session_end). Header-signed calls are not checked here.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from local.strict.answers import Answer, error
from local.strict.calls import AwsCall

ALGORITHM = "AWS4-HMAC-SHA256"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.")


def refuse(call: AwsCall, secret_of: Callable[[str], str], session_end: Callable[[str], float | None],
           now: Callable[[], float] = time.time) -> Answer | None:
    """S3's answer to a SigV4 presigned request it would not serve, else None."""
    if call.service != "s3" or _param(call, "X-Amz-Algorithm") != ALGORITHM:
        return None
    expected = _signature(call, secret_of(call.access_key))
    if not hmac.compare_digest(_param(call, "X-Amz-Signature"), expected):
        return error(call, 403, "SignatureDoesNotMatch", MISMATCH)
    signed_at = datetime.strptime(_param(call, "X-Amz-Date"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if now() > signed_at.timestamp() + int(_param(call, "X-Amz-Expires") or 0):
        return error(call, 403, "AccessDenied", "Request has expired")
    ends = session_end(_param(call, "X-Amz-Security-Token"))
    if ends is not None and now() > ends:
        return error(call, 400, "ExpiredToken", "The provided token has expired.")
    return None


def _param(call: AwsCall, name: str) -> str:
    return call.query.get(name, [""])[0]


def _signature(call: AwsCall, secret: str) -> str:
    amz_date = _param(call, "X-Amz-Date")
    scope = _param(call, "X-Amz-Credential").split("/", 1)[-1]
    request_hash = hashlib.sha256(_canonical_request(call).encode()).hexdigest()
    to_sign = "\n".join((ALGORITHM, amz_date, scope, request_hash))
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _canonical_request(call: AwsCall) -> str:
    query = sorted((_encode(name), _encode(value)) for name, values in call.query.items()
                   for value in values if name != "X-Amz-Signature")
    signed = _param(call, "X-Amz-SignedHeaders")
    headers = "".join(f"{name}:{' '.join(call.headers.get(name, '').split())}\n"
                      for name in signed.split(";"))
    return "\n".join((call.method, quote(call.path, safe="/~"), "&".join(f"{k}={v}" for k, v in query),
                      headers, signed, "UNSIGNED-PAYLOAD"))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")
