"""Optional X-Ray tracing of the consumer with Powertools' Tracer, built only when tracing is on.

Building a Tracer imports the X-Ray SDK and patches botocore: 200-300 ms, even when Powertools then
disables it. Cold starts without tracing should not pay that, so the tracer is made on the first traced
invocation, never at import. Powertools reads the same POWERTOOLS_TRACE_DISABLED variable Settings does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from core.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "image-processor"
Handler = TypeVar("Handler", bound=Callable[..., Any])


def traced(settings: Callable[[], Settings]) -> Callable[[Handler], Handler]:
    """A decorator: the Lambda handler, under Powertools' capture_lambda_handler when tracing is on."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            tracer = _tracer() if not settings().trace_disabled else None
            if tracer is None:
                return handler(event, context)
            return tracer.capture_lambda_handler(handler)(event, context)

        return run  # type: ignore[return-value]

    return decorate


@functools.cache
def _tracer() -> Tracer:
    from aws_lambda_powertools import Tracer  # the X-Ray SDK's import: see the module's docstring

    return Tracer(service=SERVICE)
