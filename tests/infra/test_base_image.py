"""The Dockerfile's base image, pinned by digest, and tools/base_image.py, which `make lock` runs to re-pin it
to what the tag names today."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests import hosts
from tests.infra.paths import ROOT
from tools import base_image

DOCKERFILE = (ROOT / "Dockerfile").read_text()
DIGEST = "sha256:" + "ab" * 32


def test_the_base_image_is_pinned_by_the_digest_of_its_tag() -> None:
    image, tag, digest = base_image.base_image(DOCKERFILE)
    assert (image, tag) == ("python", "3.12-slim")
    assert digest is not None and re.fullmatch(r"sha256:[0-9a-f]{64}", digest)


def test_make_lock_repins_the_base_image() -> None:
    lock = (ROOT / "Makefile").read_text().split("\nlock:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/python -m tools.base_image" in lock


def test_repinning_changes_the_from_line_and_nothing_else() -> None:
    repinned = base_image.pinned(DOCKERFILE, DIGEST)
    assert base_image.base_image(repinned) == ("python", "3.12-slim", DIGEST)
    changed = [(a, b) for a, b in zip(DOCKERFILE.splitlines(), repinned.splitlines(), strict=True) if a != b]
    assert [b for _, b in changed] == [f"FROM python:3.12-slim@{DIGEST}"]
    unpinned = DOCKERFILE.replace(f"@{base_image.base_image(DOCKERFILE)[2]}", "")
    assert base_image.pinned(unpinned, DIGEST) == repinned


def test_a_value_that_is_not_a_digest_is_never_written() -> None:
    with pytest.raises(ValueError, match="not an image digest"):
        base_image.pinned(DOCKERFILE, "latest")


class Registry(BaseHTTPRequestHandler):
    """Docker Hub's two steps as its registry documents them: an anonymous pull token, then the manifest's
    digest in a header of the answer to a HEAD."""

    server: RegistryHost

    def do_GET(self) -> None:
        self.server.asked.append(("GET", self.path, dict(self.headers)))
        body = json.dumps({"token": "anonymous-token"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.server.asked.append(("HEAD", self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Docker-Content-Digest", DIGEST)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class RegistryHost(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Registry)
        self.asked: list[tuple[str, str, dict[str, str]]] = []


@pytest.fixture()
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, dict[str, str]]]]:
    server = RegistryHost()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(base_image, "REGISTRY", base)
    monkeypatch.setattr(base_image, "TOKENS", base + "/token?scope=repository:{name}:pull")
    with hosts.serving(server):
        yield server.asked


def test_the_digest_is_asked_for_the_tags_multi_platform_index(registry: list[Any]) -> None:
    assert base_image.current_digest("python", "3.12-slim") == DIGEST
    (token, manifest) = registry
    assert token[:2] == ("GET", "/token?scope=repository:library/python:pull")
    assert manifest[:2] == ("HEAD", "/v2/library/python/manifests/3.12-slim")
    assert manifest[2]["Authorization"] == "Bearer anonymous-token"
    assert "application/vnd.oci.image.index.v1+json" in manifest[2]["Accept"]
