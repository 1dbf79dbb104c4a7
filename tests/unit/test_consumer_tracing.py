"""X-Ray tracing of the consumer: off by default with nothing built, Powertools' Tracer when switched on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.settings import Settings
from lambda_consumer import tracing


@pytest.fixture(autouse=True)
def fresh_tracer() -> Iterator[None]:
    tracing._tracer.cache_clear()
    yield
    tracing._tracer.cache_clear()


def echo(event: Any, context: Any) -> Any:
    return {"event": event}


def test_without_tracing_no_tracer_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    handler = tracing.traced(Settings)(echo)
    assert handler(1, None) == {"event": 1}
    assert tracing._tracer.cache_info().currsize == 0


def test_with_tracing_the_handler_runs_under_powertools_tracer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    captured: list[str] = []

    def capture(self: Any, handler: Any) -> Any:
        captured.append(handler.__name__)
        return handler

    from aws_lambda_powertools import Tracer

    monkeypatch.setattr(Tracer, "capture_lambda_handler", capture)
    handler = tracing.traced(Settings)(echo)
    assert handler(2, None) == {"event": 2}
    assert captured == ["echo"]
