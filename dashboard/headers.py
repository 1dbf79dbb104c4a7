"""What every answer of the dashboard carries for the browser: HSTS, no framing by other sites, no content
sniffing; and, when its public address is HTTPS, `Secure` on every cookie it sets.

ASGI middleware that dashboard/server.py puts outside the login gate, so the gate's own answers (redirects
to the login, refusals) carry the headers too. Browsers ignore HSTS over plain HTTP (RFC 6797, 8.1), so a
local dashboard on http://localhost is unaffected. CloudFront adds the same headers to what it answers
itself (infra/template.yaml, DashboardResponseHeaders; tests/infra/test_template.py compares them).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard.auth import login_served_over_https

# A year of HTTPS-only; the dashboard never sits in a frame (Streamlit draws no iframes of its own here).
SECURITY_HEADERS: dict[str, str] = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
}
_NAMES = {name.encode() for name in SECURITY_HEADERS}
_ADDED = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Pure ASGI middleware: rewrites the start of every HTTP answer, passes everything else through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = login_served_over_https()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, secured(v) if secure and k == b"set-cookie" else v)
                        for k, v in message.get("headers", []) if k not in _NAMES]
                message = {**message, "headers": kept + _ADDED}
            await send(message)

        await self.app(scope, receive, with_headers)


def secured(cookie: bytes) -> bytes:
    """A Set-Cookie value with the `Secure` attribute (Streamlit sets it only when it terminates TLS)."""
    attributes = {part.strip().lower() for part in cookie.split(b";")[1:]}
    return cookie if b"secure" in attributes else cookie + b"; Secure"
