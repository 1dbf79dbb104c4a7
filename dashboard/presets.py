"""Templates for the Send page: a good event, and events that take each failure path."""

from __future__ import annotations

from dataclasses import dataclass

from core.models import MAX_DESCRIPTION_CHARS
from core.stream.producer import encode_event

GOOD = "Image event (from the form)"
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@dataclass(frozen=True)
class Template:
    """What a template sends: the form's URL and description unless it sets its own."""

    caption: str
    url: str | None = None  # None: the form's
    description: str | None = None  # None: the form's
    cut_short: bool = False  # the JSON loses its end, so it does not parse

    def payload(self, url: str, description: str) -> bytes:
        data = encode_event(self.url or url, self.description or description)
        return data[:-7] if self.cut_short else data


def templates(bucket: str) -> dict[str, Template]:
    """The templates by name, the good event first."""
    return {
        GOOD: Template("The image URL and description below, as producers send them."),
        "Malformed JSON": Template("The form's event with its JSON cut short: stored as failed, “not JSON”.",
                                   cut_short=True),
        "Description too long": Template(
            f"A {MAX_DESCRIPTION_CHARS + 1}-character description: stored as failed by validation.",
            description="x" * (MAX_DESCRIPTION_CHARS + 1)),
        "Blocked URL": Template("The instance metadata address: refused by the SSRF guard.",
                                url=METADATA_URL),
        "Not an image": Template("A text file in the bucket: refused after fetching.",
                                 url=f"s3://{bucket}/samples/not-an-image.txt"),
    }
