"""The photos and the servers of the conformance suite, started once for the module that uses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from core.aws import AwsClients
from core.ops.provision import provision
from core.settings import Settings
from local.roles import admin_session
from tests.certificates import make_ca
from tests.conformance import servers
from tests.conformance.photos import write_photos


@pytest.fixture(scope="module")
def store(moto_endpoint: str) -> Iterator[AwsClients]:
    """One clean store for the module, as the `aws` fixture makes one per test: every case writes events of
    its own, under its own sequence numbers, so none needs a store of its own (a reset costs ~2 s)."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        clients = AwsClients(Settings(allow_loopback_fetch=True, worker_count=4), session=admin_session())
        provision(clients)
        yield clients


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
