"""Image bytes from where an event points: S3 through our own client, http(s) through the SSRF guard,
under one deadline."""

from core.fetching.fetch import Fetched, fetch_image

__all__ = ["Fetched", "fetch_image"]
