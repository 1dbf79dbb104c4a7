"""Payloads for the Send page: a good event, and ones that show each failure path."""

from __future__ import annotations

from core.producer import encode_event

GOOD = "Image event (from the form)"
TEMPLATES = {
    GOOD: "The ImageUrl and Description below, as producers send them.",
    "Malformed JSON": "Cut-off JSON: stored as failed with “not JSON”.",
    "Description too long": "501 characters: stored as failed by validation.",
    "Blocked URL": "The instance metadata address: refused by the SSRF guard.",
    "Not an image": "A text file in the bucket: refused after fetching.",
}


def payload(template: str, image_url: str, description: str, bucket: str) -> bytes:
    """The record bytes for a template; only GOOD uses the form's fields as they are."""
    if template == "Malformed JSON":
        return encode_event(image_url, description)[:-7]
    if template == "Description too long":
        return encode_event(image_url, "x" * 501)
    if template == "Blocked URL":
        return encode_event("http://169.254.169.254/latest/meta-data/", description)
    if template == "Not an image":
        return encode_event(f"s3://{bucket}/samples/not-an-image.txt", description)
    return encode_event(image_url, description)
