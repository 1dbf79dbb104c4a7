"""The photos and the servers of the conformance suite, started once for the module that uses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.certificates import make_ca
from tests.conformance import servers
from tests.conformance.photos import write_photos


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_photos(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="session")
def test_ca_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The CA the fetcher is told to trust (SSL_CERT_FILE), and nginx's certificate and key it signed."""
    return make_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def nginx(photos: Path, test_ca_files: tuple[Path, Path, Path],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Served]:
    missing = servers.nginx_missing()
    if missing:
        pytest.fail(missing)
    _, cert, key = test_ca_files
    with servers.nginx(photos, tmp_path_factory.mktemp("nginx"), (cert, key)) as served:
        yield served


@pytest.fixture(scope="module")
def http_server(photos: Path) -> Iterator[servers.Served]:
    with servers.http_server(photos) as served:
        yield served


@pytest.fixture(scope="module")
def waitress(photos: Path) -> Iterator[servers.Served]:
    with servers.waitress(photos) as served:
        yield served
