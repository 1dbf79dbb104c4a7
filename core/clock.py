"""Time as this project keeps it: aware UTC. A naive datetime is taken to be UTC, here and only here."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    """Aware UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width ISO text (microseconds, Z) so string order is time order."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_ms(moment: datetime) -> str:
    """ISO text with milliseconds and Z, as AWS writes times in JSON documents."""
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as CloudWatch takes times."""
    return int(utc(moment).timestamp() * 1000)
